// SPDX-License-Identifier: MIT
// persistvar: looks inside a PersistVar store, changes it, exports, imports and migrates it.
//
//   persistvar STORE list | get KEY | set KEY VALUE | rm KEY | export [FILE] | import [FILE]
//              | copy TO_STORE | watch
//   persistvar help [COMMAND]
#include "commands.h"

#include <persistvar/version.h>

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>

#include <algorithm>
#include <cstdio>
#include <memory>

using namespace Commands;

namespace {

struct Command
{
    const char *name;
    const char *syntax; // the arguments after the command name, for the usage line
    const char *summary; // one line, for the tool's help
    const char *details; // the command's help
};

const Command commands[] = {
    {"list", "", "print every key and its value: KEY<TAB>JSON, sorted by key",
     "Prints one line per stored key, sorted: the key, a tab, and the value as typed JSON."},
    {"get", "KEY", "print the value stored under KEY as typed JSON",
     "Prints the value stored under KEY as typed JSON (see the tool's README for the mapping).\n"
     "Exits with status 1 when nothing is stored under KEY."},
    {"set", "KEY VALUE", "store VALUE under KEY: typed JSON, or else a plain string",
     "Stores VALUE under KEY, replacing what is there. VALUE is read as typed JSON when it is\n"
     "JSON: 42 is an int, 0.5 and 1.0 are doubles, true a bool, [\"a\",\"b\"] a list, \"42\" a\n"
     "string, {\"$type\":\"QRect\",\"value\":[0,0,640,480]} a QRect. Anything else is stored as a\n"
     "plain string, except text starting with {, [ or \" that is not valid JSON (exit status 2)."},
    {"rm", "KEY", "remove the value stored under KEY",
     "Removes the value stored under KEY. Exits with status 1 when nothing is stored under KEY."},
    {"export", "[FILE]", "write every value as typed JSON to FILE (default: standard output)",
     "Writes {\"format\": \"persistvar-export\", \"version\": 1, \"values\": {KEY: JSON, ...}}\n"
     "to FILE, or to standard output when FILE is missing or \"-\". Importing it into any store\n"
     "gives back exactly the same stored bytes."},
    {"import", "[FILE]", "store every value of an export (default: from standard input)",
     "Reads an export from FILE, or from standard input when FILE is missing or \"-\", and\n"
     "stores all its values in one batch (one transaction on SQL stores), replacing what is\n"
     "there. Keys not in the export are left alone. Nothing is written when any value is bad."},
    {"copy", "TO_STORE", "copy every value to another store (migrate between backends)",
     "Copies every value of STORE into TO_STORE, replacing values under the same keys and\n"
     "leaving other keys alone; for example an application's QSettings INI file into SQLite:\n"
     "  persistvar ini:/home/ada/.config/Org/App.ini copy sqlite:/home/ada/app.db\n"
     "Writes in batches of 1000 keys and shows a progress bar when standard error is a terminal."},
    {"watch", "", "print changes as they happen, until interrupted (Ctrl+C)",
     "Prints KEY<TAB>JSON for every new or changed value and KEY<TAB>(removed) for every\n"
     "removed one, as they happen, until interrupted with Ctrl+C (SIGINT) or SIGTERM.\n"
     "Uses the backend's live change notification where it has one; elsewhere it reads the\n"
     "whole store every interval (polling), which costs a full read of a large store each time."},
};

const Command *findCommand(const QString &name)
{
    for (const Command &command : commands) {
        if (name == QLatin1String(command.name))
            return &command;
    }
    return nullptr;
}

QString toolDescription()
{
    QString text = QStringLiteral("Looks inside a PersistVar store and changes it.\n\nCommands:\n");
    for (const Command &command : commands) {
        const QString call =
            QLatin1String(command.name) + QLatin1Char(' ') + QLatin1String(command.syntax);
        text +=
            QStringLiteral("  %1%2\n").arg(call.leftJustified(18), QLatin1String(command.summary));
    }
    text += QStringLiteral(
        "  help [COMMAND]    show the help of a command\n\n"
        "STORE names a store: sqlite:/path/app.db, ini:/path/app.ini, file:/dir,\n"
        "settings:Org/App, postgresql://user@host/db (password from PGPASSWORD), memory: ...\n"
        "Exit status: 0 success, 1 failure (missing key, storage error), 2 usage error\n"
        "(bad arguments, unknown store, bad JSON).");
    return text;
}

// The options and arguments of one command, so that its help and its parsing agree.
struct CommandOptions
{
    QCommandLineOption help{{QStringLiteral("h"), QStringLiteral("help")},
                            QStringLiteral("Displays help on this command.")};
    QCommandLineOption rawOutput{{QStringLiteral("r"), QStringLiteral("raw-output")},
                                 QStringLiteral("Prints a string value as it is, without JSON "
                                                "quotes and escapes.")};
    QCommandLineOption string{{QStringLiteral("s"), QStringLiteral("string")},
                              QStringLiteral("Stores VALUE as a string, never as JSON.")};
    QCommandLineOption interval{{QStringLiteral("i"), QStringLiteral("interval")},
                                QStringLiteral("Where the backend cannot report changes, reads "
                                               "the store every <ms> milliseconds (default: 200)."),
                                QStringLiteral("ms"),
                                QStringLiteral("200")};
};

void setUpParser(QCommandLineParser &parser, const Command &command, const CommandOptions &options)
{
    // Options come before the arguments, so that "set offset -5" stores -5.
    parser.setOptionsAfterPositionalArgumentsMode(QCommandLineParser::ParseAsPositionalArguments);
    parser.setApplicationDescription(QLatin1String(command.details));
    parser.addOption(options.help);
    const QLatin1String name(command.name);
    if (name == QLatin1String("get"))
        parser.addOption(options.rawOutput);
    if (name == QLatin1String("set"))
        parser.addOption(options.string);
    if (name == QLatin1String("watch"))
        parser.addOption(options.interval);
    const QStringList arguments =
        QString::fromLatin1(command.syntax).split(QLatin1Char(' '), Qt::SkipEmptyParts);
    for (const QString &argument : arguments) {
        const QString bare = QString(argument).remove(QLatin1Char('[')).remove(QLatin1Char(']'));
        QString description;
        if (bare == QLatin1String("KEY"))
            description = QStringLiteral("The key, for example window/width.");
        else if (bare == QLatin1String("VALUE"))
            description = QStringLiteral("The value: typed JSON, or else a plain string.");
        else if (bare == QLatin1String("FILE"))
            description = QStringLiteral("The file; \"-\" is standard input or output.");
        else if (bare == QLatin1String("TO_STORE"))
            description =
                QStringLiteral("The store to copy into, for example sqlite:/path/app.db.");
        parser.addPositionalArgument(bare, description, argument);
    }
}

// QCommandLineParser's usage line shows the program's path and knows nothing of a command
// after STORE: write our own.
QString withUsage(const QCommandLineParser &parser, const QString &usage)
{
    QString text = parser.helpText();
    return text.replace(0, text.indexOf(QLatin1Char('\n')), QStringLiteral("Usage: ") + usage);
}

QString commandHelp(const QCommandLineParser &parser, const Command &command)
{
    return withUsage(parser,
                     QStringLiteral("persistvar STORE %1 [options] %2")
                         .arg(QLatin1String(command.name), QLatin1String(command.syntax))
                         .trimmed());
}

void printText(FILE *stream, const QString &text)
{
    std::fputs(text.toLocal8Bit().constData(), stream);
}

int usageError(const QString &message, const QString &helpHint)
{
    printError(message);
    std::fprintf(stderr, "Try \"%s\".\n", helpHint.toLocal8Bit().constData());
    return ExitUsage;
}

std::unique_ptr<PersistVar::Storage> openStore(const QString &name, int *status)
{
    auto storage = PersistVar::openStorage(name);
    if (!storage.isOk()) {
        // The library's message says what is wrong and never contains a password.
        printError(storage.error().toString());
        *status =
            storage.errorCode() == PersistVar::ErrorCode::InvalidArgument ? ExitUsage : ExitFailure;
        return nullptr;
    }
    return std::move(storage).value();
}

int closeStore(PersistVar::Storage &storage, int status)
{
    const PersistVar::Result<void> closed = storage.close();
    if (!closed.isOk()) {
        printError(closed.error().toString());
        return status == ExitSuccess ? ExitFailure : status;
    }
    return status;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("persistvar"));
    QCoreApplication::setApplicationVersion(QStringLiteral(PERSISTVAR_VERSION_STRING));

    QCommandLineParser parser;
    parser.setApplicationDescription(toolDescription());
    const QCommandLineOption helpOption = parser.addHelpOption();
    const QCommandLineOption versionOption = parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("STORE"), QStringLiteral("The store to work on."));
    parser.addPositionalArgument(QStringLiteral("COMMAND"), QStringLiteral("What to do."),
                                 QStringLiteral("COMMAND [ARGS...]"));
    // Everything after STORE belongs to the command and its own parser.
    parser.setOptionsAfterPositionalArgumentsMode(QCommandLineParser::ParseAsPositionalArguments);
    const QString toolHint = QStringLiteral("persistvar --help");
    const QString toolHelp =
        withUsage(parser, QStringLiteral("persistvar [options] STORE COMMAND [ARGS...]"));
    if (!parser.parse(QCoreApplication::arguments()))
        return usageError(parser.errorText(), toolHint);
    if (parser.isSet(helpOption)) {
        printText(stdout, toolHelp);
        return ExitSuccess;
    }
    if (parser.isSet(versionOption)) {
        printText(stdout,
                  QStringLiteral("persistvar %1\n").arg(QCoreApplication::applicationVersion()));
        return ExitSuccess;
    }

    const QStringList arguments = parser.positionalArguments();
    CommandOptions options;
    if (arguments.value(0) == QLatin1String("help")) {
        if (arguments.size() == 1) {
            printText(stdout, toolHelp);
            return ExitSuccess;
        }
        const Command *command = findCommand(arguments.at(1));
        if (!command || arguments.size() > 2)
            return usageError(
                QStringLiteral("no such command: %1").arg(arguments.mid(1).join(QLatin1Char(' '))),
                toolHint);
        QCommandLineParser commandParser;
        setUpParser(commandParser, *command, options);
        printText(stdout, commandHelp(commandParser, *command));
        return ExitSuccess;
    }
    if (arguments.isEmpty()) {
        printText(stderr, toolHelp);
        return ExitUsage;
    }
    if (arguments.size() < 2)
        return usageError(QStringLiteral("missing command after STORE"), toolHint);

    const Command *command = findCommand(arguments.at(1));
    if (!command)
        return usageError(QStringLiteral("unknown command \"%1\"").arg(arguments.at(1)), toolHint);
    const QString commandHint =
        QStringLiteral("persistvar help %1").arg(QLatin1String(command->name));
    QCommandLineParser commandParser;
    setUpParser(commandParser, *command, options);
    if (!commandParser.parse(QStringList{QCoreApplication::arguments().constFirst()}
                             + arguments.mid(2)))
        return usageError(commandParser.errorText(), commandHint);
    if (commandParser.isSet(options.help)) {
        printText(stdout, commandHelp(commandParser, *command));
        return ExitSuccess;
    }

    const QString name = QLatin1String(command->name);
    const QStringList args = commandParser.positionalArguments();
    const QStringList syntax =
        QString::fromLatin1(command->syntax).split(QLatin1Char(' '), Qt::SkipEmptyParts);
    const qsizetype required = std::count_if(syntax.cbegin(), syntax.cend(), [](const QString &s) {
        return !s.startsWith(QLatin1Char('['));
    });
    if (args.size() < required || args.size() > syntax.size())
        return usageError(QStringLiteral("%1 takes %2")
                              .arg(name,
                                   syntax.isEmpty() ? QStringLiteral("no arguments")
                                                    : syntax.join(QLatin1Char(' '))),
                          commandHint);
    std::chrono::milliseconds interval(200);
    if (name == QLatin1String("watch") && commandParser.isSet(options.interval)) {
        bool ok = false;
        interval = std::chrono::milliseconds(commandParser.value(options.interval).toInt(&ok));
        if (!ok || interval.count() <= 0)
            return usageError(QStringLiteral("--interval needs a positive number of milliseconds"),
                              commandHint);
    }

    int status = ExitSuccess;
    const std::unique_ptr<PersistVar::Storage> storage = openStore(arguments.at(0), &status);
    if (!storage)
        return status;

    if (name == QLatin1String("list")) {
        status = list(*storage);
    } else if (name == QLatin1String("get")) {
        status =
            get(*storage, args.at(0),
                commandParser.isSet(options.rawOutput) ? StringOutput::Raw : StringOutput::Json);
    } else if (name == QLatin1String("set")) {
        status = set(*storage, args.at(0), args.at(1),
                     commandParser.isSet(options.string) ? ValueParsing::String
                                                         : ValueParsing::TypedJson);
    } else if (name == QLatin1String("rm")) {
        status = remove(*storage, args.at(0));
    } else if (name == QLatin1String("export")) {
        status = exportValues(*storage, args.value(0));
    } else if (name == QLatin1String("import")) {
        status = importValues(*storage, args.value(0));
    } else if (name == QLatin1String("copy")) {
        const std::unique_ptr<PersistVar::Storage> target = openStore(args.at(0), &status);
        if (!target)
            return closeStore(*storage, status);
        status = closeStore(*target, copy(*storage, *target));
    } else if (name == QLatin1String("watch")) {
        status = watch(*storage, interval);
    }
    return closeStore(*storage, status);
}
