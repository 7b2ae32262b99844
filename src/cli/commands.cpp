// SPDX-License-Identifier: MIT
#include "commands.h"

#include "typedjson.h"

#include <persistvar/codec.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QFile>
#include <QtCore/QSaveFile>
#include <QtCore/QSocketNotifier>
#include <QtCore/QTimer>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <functional>
#include <optional>

#include <fcntl.h>
#include <unistd.h>

using PersistVar::ErrorCode;
using PersistVar::Result;
using PersistVar::Storage;
using TypedJson::Json;

namespace Commands {

namespace {

using Values = QHash<QString, QByteArray>;
using ProgressFunction = std::function<void(qsizetype done, qsizetype total)>;

// Keys are written in batches of this size: one transaction each on SQL stores, small enough
// that a progress bar moves and a failure loses little work.
constexpr qsizetype BatchSize = 1000;

void printOut(const QByteArray &text)
{
    std::fwrite(text.constData(), 1, size_t(text.size()), stdout);
}

QString quoted(const QString &key)
{
    return QLatin1Char('"') + key + QLatin1Char('"');
}

QStringList sortedKeys(const Values &values)
{
    QStringList keys = values.keys();
    std::sort(keys.begin(), keys.end());
    return keys;
}

QByteArray jsonLine(const QString &key, const QByteArray &bytes)
{
    return key.toUtf8() + '\t' + TypedJson::write(TypedJson::fromStoredBytes(bytes)) + '\n';
}

// Every key and its bytes: loadAll() where the backend has it, else keys() and load().
Result<Values> readAll(Storage &storage, const ProgressFunction &progress = {})
{
    Result<Values> all = storage.loadAll();
    if (all.isOk() || all.errorCode() != ErrorCode::NotSupported)
        return all;
    const Result<QStringList> keys = storage.keys();
    if (!keys.isOk())
        return keys.error();
    Values values;
    values.reserve(keys.value().size());
    qsizetype done = 0;
    for (const QString &key : keys.value()) {
        const Result<QByteArray> bytes = storage.load(key);
        if (bytes.isOk())
            values.insert(key, bytes.value());
        else if (bytes.errorCode() != ErrorCode::NotFound) // NotFound: removed meanwhile
            return bytes.error();
        if (progress)
            progress(++done, keys.value().size());
    }
    return values;
}

// A one-line progress bar on standard error, drawn only when that is a terminal.
class ProgressBar
{
public:
    ProgressBar() : m_enabled(isatty(STDERR_FILENO)) { }
    ~ProgressBar()
    {
        if (m_drawn)
            std::fputc('\n', stderr);
    }
    Q_DISABLE_COPY_MOVE(ProgressBar)

    void update(const char *phase, qsizetype done, qsizetype total)
    {
        if (!m_enabled || total <= 0)
            return;
        constexpr int Width = 30;
        const int percent = int(done * 100 / total);
        if (m_drawn && phase == m_phase && percent == m_percent && done != total)
            return; // redraw only when the bar visibly moves
        m_phase = phase;
        m_percent = percent;
        m_drawn = true;
        const int filled = int(done * Width / total);
        std::fprintf(stderr, "\r%-8s [%s%s] %3d%% %lld/%lld keys", phase,
                     QByteArray(filled, '#').constData(),
                     QByteArray(Width - filled, '.').constData(), percent, qlonglong(done),
                     qlonglong(total));
        std::fflush(stderr);
    }

private:
    const bool m_enabled;
    bool m_drawn = false;
    const char *m_phase = nullptr;
    int m_percent = -1;
};

QByteArray readInput(const QString &fileName, QString *error)
{
    QFile file;
    const bool standardInput = fileName.isEmpty() || fileName == QLatin1String("-");
    if (!standardInput)
        file.setFileName(fileName);
    if (!(standardInput ? file.open(stdin, QIODevice::ReadOnly) : file.open(QIODevice::ReadOnly))) {
        *error = QStringLiteral("cannot read %1: %2")
                     .arg(standardInput ? QStringLiteral("standard input") : fileName,
                          file.errorString());
        return {};
    }
    return file.readAll();
}

bool writeOutput(const QString &fileName, const QByteArray &data, QString *error)
{
    if (fileName.isEmpty() || fileName == QLatin1String("-")) {
        printOut(data);
        if (std::fflush(stdout) != 0) {
            *error = QStringLiteral("cannot write to standard output");
            return false;
        }
        return true;
    }
    // All or nothing: an interrupted export never leaves half a file behind.
    QSaveFile file(fileName);
    if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size() || !file.commit()) {
        *error = QStringLiteral("cannot write %1: %2").arg(fileName, file.errorString());
        return false;
    }
    return true;
}

// Writes \a values in batches of \a batchSize keys, unconditionally (last writer wins).
// Returns the failures.
QList<PersistVar::Error> writeAll(Storage &storage, const Values &values, qsizetype batchSize,
                                  const ProgressFunction &progress = {})
{
    const QStringList keys = sortedKeys(values);
    QList<PersistVar::Error> failures;
    for (qsizetype start = 0; start < keys.size(); start += batchSize) {
        QList<PersistVar::StorageWrite> batch;
        const qsizetype end = std::min(start + batchSize, keys.size());
        batch.reserve(end - start);
        for (qsizetype i = start; i < end; ++i) {
            PersistVar::StorageWrite write;
            write.key = keys.at(i);
            write.newValue = values.value(keys.at(i));
            write.compareOldValue = false;
            batch.append(write);
        }
        const QList<PersistVar::Error> errors = storage.saveBatch(batch);
        for (const PersistVar::Error &error : errors) {
            if (error.isError())
                failures.append(error);
        }
        if (progress)
            progress(end, keys.size());
    }
    return failures;
}

int reportFailures(const QList<PersistVar::Error> &failures)
{
    // A store that is down fails every key the same way: a screenful of that helps nobody.
    constexpr qsizetype Shown = 10;
    for (qsizetype i = 0; i < std::min(failures.size(), Shown); ++i)
        printError(failures.at(i).toString());
    if (failures.size() > Shown)
        printError(QStringLiteral("... and %1 more failed keys").arg(failures.size() - Shown));
    return failures.isEmpty() ? ExitSuccess : ExitFailure;
}

// The self-pipe trick: the signal handler only writes a byte, the event loop does the rest.
int signalPipe[2] = {-1, -1};

void onSignal(int)
{
    const char byte = 1;
    [[maybe_unused]] const ssize_t written = ::write(signalPipe[1], &byte, 1);
}

} // namespace

void printError(const QString &message)
{
    std::fprintf(stderr, "persistvar: %s\n", message.toLocal8Bit().constData());
}

int list(Storage &storage)
{
    const Result<Values> values = readAll(storage);
    if (!values.isOk()) {
        printError(values.error().toString());
        return ExitFailure;
    }
    QByteArray out;
    for (const QString &key : sortedKeys(values.value()))
        out += jsonLine(key, values.value().value(key));
    printOut(out);
    return ExitSuccess;
}

int get(Storage &storage, const QString &key, StringOutput output)
{
    const Result<QByteArray> bytes = storage.load(key);
    if (bytes.errorCode() == ErrorCode::NotFound) {
        printError(QStringLiteral("no value stored under ") + quoted(key));
        return ExitFailure;
    }
    if (!bytes.isOk()) {
        printError(bytes.error().toString());
        return ExitFailure;
    }
    const Json json = TypedJson::fromStoredBytes(bytes.value());
    if (output == StringOutput::Raw && json.type == Json::Type::String)
        printOut(json.string.toUtf8() + '\n');
    else
        printOut(TypedJson::write(json) + '\n');
    return ExitSuccess;
}

int set(Storage &storage, const QString &key, const QString &value, ValueParsing parsing)
{
    QByteArray bytes;
    Json json;
    QString error;
    if (parsing == ValueParsing::String) {
        bytes = PersistVar::encode(value);
    } else if (TypedJson::parse(value.toUtf8(), &json, &error)) {
        if (!TypedJson::toStoredBytes(json, &bytes, &error)) {
            printError(QStringLiteral("VALUE: ") + error);
            return ExitUsage;
        }
    } else if (value.startsWith(QLatin1Char('{')) || value.startsWith(QLatin1Char('['))
               || value.startsWith(QLatin1Char('"'))) {
        // Almost certainly JSON with a typo: storing it as text would hide the mistake.
        printError(QStringLiteral("VALUE is not valid JSON (%1); use --string to store it as "
                                  "text")
                       .arg(error));
        return ExitUsage;
    } else {
        bytes = PersistVar::encode(value);
    }
    const Result<void> written = storage.saveUnconditionally(key, bytes);
    if (!written.isOk()) {
        printError(written.error().toString());
        return ExitFailure;
    }
    return ExitSuccess;
}

int remove(Storage &storage, const QString &key)
{
    const Result<QByteArray> bytes = storage.load(key);
    if (bytes.errorCode() == ErrorCode::NotFound) {
        printError(QStringLiteral("no value stored under ") + quoted(key));
        return ExitFailure;
    }
    const Result<void> removed = storage.remove(key);
    if (!removed.isOk()) {
        printError(removed.error().toString());
        return ExitFailure;
    }
    return ExitSuccess;
}

int exportValues(Storage &storage, const QString &fileName)
{
    const Result<Values> values = readAll(storage);
    if (!values.isOk()) {
        printError(values.error().toString());
        return ExitFailure;
    }
    // One value per line, sorted: exports of similar stores diff well.
    QByteArray out = "{\n  \"format\": \"persistvar-export\",\n  \"version\": 1,\n  \"values\": {";
    const QStringList keys = sortedKeys(values.value());
    for (qsizetype i = 0; i < keys.size(); ++i) {
        out += i == 0 ? "\n    " : ",\n    ";
        out += TypedJson::write(Json::fromString(keys.at(i))) + ": "
            + TypedJson::write(TypedJson::fromStoredBytes(values.value().value(keys.at(i))));
    }
    out += keys.isEmpty() ? "}\n}\n" : "\n  }\n}\n";
    QString error;
    if (!writeOutput(fileName, out, &error)) {
        printError(error);
        return ExitFailure;
    }
    return ExitSuccess;
}

int importValues(Storage &storage, const QString &fileName)
{
    QString error;
    const QByteArray text = readInput(fileName, &error);
    if (!error.isEmpty()) {
        printError(error);
        return ExitFailure;
    }
    Json document;
    if (!TypedJson::parse(text, &document, &error)) {
        printError(QStringLiteral("not valid JSON: ") + error);
        return ExitUsage;
    }
    const Json *format = document.member(QLatin1String("format"));
    const Json *version = document.member(QLatin1String("version"));
    const Json *values = document.member(QLatin1String("values"));
    if (!format || format->string != QLatin1String("persistvar-export") || !version
        || version->type != Json::Type::Integer || !values || !values->isObject()) {
        printError(QStringLiteral("not a persistvar export: expected {\"format\": "
                                  "\"persistvar-export\", \"version\": 1, \"values\": {...}}"));
        return ExitUsage;
    }
    if (version->integer != 1) {
        printError(QStringLiteral("export format version %1 is not supported; this tool reads "
                                  "version 1")
                       .arg(version->integer));
        return ExitUsage;
    }
    // Check everything before writing anything: a bad value never leaves a half import.
    Values decoded;
    decoded.reserve(values->object.size());
    for (const Json::Member &member : values->object) {
        QByteArray bytes;
        if (!TypedJson::toStoredBytes(member.second, &bytes, &error)) {
            printError(QStringLiteral("value of %1: %2").arg(quoted(member.first), error));
            return ExitUsage;
        }
        decoded.insert(member.first, bytes);
    }
    // One batch: a transaction on SQL stores, so an import lands completely or not at all.
    const QList<PersistVar::Error> failures = writeAll(storage, decoded, decoded.size());
    return reportFailures(failures);
}

int copy(Storage &from, Storage &to)
{
    ProgressBar bar;
    const Result<Values> values = readAll(
        from, [&bar](qsizetype done, qsizetype total) { bar.update("reading", done, total); });
    if (!values.isOk()) {
        printError(values.error().toString());
        return ExitFailure;
    }
    const QList<PersistVar::Error> failures =
        writeAll(to, values.value(), BatchSize,
                 [&bar](qsizetype done, qsizetype total) { bar.update("copying", done, total); });
    return reportFailures(failures);
}

int watch(Storage &storage, std::chrono::milliseconds interval)
{
    Result<Values> initial = readAll(storage);
    if (!initial.isOk()) {
        printError(initial.error().toString());
        return ExitFailure;
    }
    Values known = std::move(initial).value();

    if (::pipe2(signalPipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        printError(QStringLiteral("cannot create a pipe for signal handling"));
        return ExitFailure;
    }
    QSocketNotifier notifier(signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, qApp, &QCoreApplication::quit);
    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);

    // Prints what differs from what was printed last; nullopt means removed. Backends may
    // report a key that did not really change: comparing keeps the output to real changes.
    const auto report = [&known](const QHash<QString, std::optional<QByteArray>> &changes) {
        QStringList keys = changes.keys();
        std::sort(keys.begin(), keys.end());
        QByteArray out;
        for (const QString &key : std::as_const(keys)) {
            const std::optional<QByteArray> bytes = changes.value(key);
            if (!bytes) {
                if (known.remove(key))
                    out += key.toUtf8() + "\t(removed)\n";
            } else if (const auto it = known.constFind(key); it == known.cend() || *it != *bytes) {
                known.insert(key, *bytes);
                out += jsonLine(key, *bytes);
            }
        }
        if (!out.isEmpty()) {
            printOut(out);
            std::fflush(stdout); // lines arrive as they happen, also through a pipe
        }
    };
    QString lastError;
    const auto reportError = [&lastError](const PersistVar::Error &error) {
        // A store that is briefly unavailable (a server restart) is reported once, then retried.
        if (error.toString() != lastError) {
            lastError = error.toString();
            printError(lastError);
        }
    };
    const auto rescan = [&] {
        const Result<Values> current = readAll(storage);
        if (!current.isOk())
            return reportError(current.error());
        lastError.clear();
        QHash<QString, std::optional<QByteArray>> changes;
        for (auto it = current.value().cbegin(); it != current.value().cend(); ++it)
            changes.insert(it.key(), it.value());
        for (auto it = known.cbegin(); it != known.cend(); ++it) {
            if (!current.value().contains(it.key()))
                changes.insert(it.key(), std::nullopt);
        }
        report(changes);
    };

    // The backend's live changes where it has them, polling where it has not.
    QTimer timer;
    const Result<void> watching = storage.startWatching(qApp, [&](const QStringList &changedKeys) {
        if (changedKeys.isEmpty()) // the backend cannot tell which keys: look at all
            return rescan();
        QHash<QString, std::optional<QByteArray>> changes;
        for (const QString &key : changedKeys) {
            const Result<QByteArray> bytes = storage.load(key);
            if (bytes.isOk())
                changes.insert(key, bytes.value());
            else if (bytes.errorCode() == ErrorCode::NotFound)
                changes.insert(key, std::nullopt);
            else
                return reportError(bytes.error());
        }
        report(changes);
    });
    if (!watching.isOk()) {
        timer.setInterval(interval);
        QObject::connect(&timer, &QTimer::timeout, rescan);
        timer.start();
    }
    QCoreApplication::exec();

    storage.stopWatching();
    action.sa_handler = SIG_DFL;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    ::close(signalPipe[0]);
    ::close(signalPipe[1]);
    return ExitSuccess;
}

} // namespace Commands
