// SPDX-License-Identifier: MIT
//
// fuzz_storename: the input, as UTF-8, is a store name handed to PersistVar::openStorage(), as an
// application might take it from a command line or a config file. Parsing must never crash,
// leak or hit undefined behaviour, and no error or log message may show a URL's password.
//
// The fuzzer must not touch anything outside its own temporary directory, nor the network:
// - HOME and the XDG folders point into the sandbox, so "settings:" and the default store
//   (an empty name) land there;
// - the path of file:, ini: and sqlite: names is moved into the sandbox, keeping its file
//   names (".." and empty components dropped); the pure path parser still sees the raw name;
// - postgresql: names are never opened (that would connect); only the name parsing shared by
//   every scheme sees them;
// - a scheme the library knows but this file does not is never opened, so a new backend cannot
//   make the fuzzer write outside the sandbox before someone teaches it here.
#include <persistvar/storage.h>

#include "storage_p.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QDir>
#include <QtCore/QRegularExpression>
#include <QtCore/QSet>
#include <QtCore/QStringList>
#include <QtCore/QTemporaryDir>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

using PersistVar::Private::knownSchemes;
using PersistVar::Private::localPathFromStoreName;
using PersistVar::Private::redactStoreName;

QString storeRoot; // every file:, ini: and sqlite: store is put below it
QString configRoot; // XDG_CONFIG_HOME: "settings:" stores
QString dataRoot; // XDG_DATA_HOME: the default store
QStringList logged; // what the library logged while handling the current input

void recordMessage(QtMsgType type, const QMessageLogContext &, const QString &message)
{
    if (type == QtFatalMsg) {
        std::fprintf(stderr, "fuzz_storename: qFatal: %s\n", qUtf8Printable(message));
        std::abort();
    }
    if (logged.size() < 100)
        logged.append(message);
    if (qEnvironmentVariableIsSet("PERSISTVAR_FUZZ_VERBOSE"))
        std::fprintf(stderr, "%s\n", qUtf8Printable(message));
}

[[noreturn]] void violation(const char *what, const QString &name, const QString &detail)
{
    std::fprintf(stderr, "fuzz_storename: %s\n  name:   %s\n  detail: %s\n", what,
                 qUtf8Printable(name), qUtf8Printable(detail));
    std::abort();
}

// The password of "scheme://user:password@host...", which no message may show.
QString passwordIn(const QString &name)
{
    static const QRegularExpression userInfo(
        QStringLiteral("^\\s*[A-Za-z][A-Za-z0-9+.-]*://[^/?#@:]*:([^/?#@]{3,})@"));
    const QRegularExpressionMatch match = userInfo.match(name);
    if (!match.hasMatch() || match.captured(1) == QLatin1String("xxxxx"))
        return {};
    return match.captured(1);
}

// A message may quote the name, redacted; the password must be gone from it. Only judged when
// ":password@" occurs once in the name, so a path that repeats it is no false alarm.
void checkNoPassword(const QString &name, const QString &password, const QString &text,
                     const char *where)
{
    if (password.isEmpty())
        return;
    const QString needle = QLatin1Char(':') + password + QLatin1Char('@');
    if (name.count(needle) == 1 && text.contains(needle))
        violation(where, name, text);
}

// Keeps the file names of \a path but puts them below storeRoot.
QString confined(const QString &path)
{
    QStringList parts;
    for (const QString &part : path.split(QLatin1Char('/'), Qt::SkipEmptyParts)) {
        if (part != QLatin1String(".") && part != QLatin1String(".."))
            parts.append(part);
    }
    return storeRoot + QLatin1Char('/') + parts.join(QLatin1Char('/'));
}

// The name to hand to openStorage(): \a name with every local path moved into the sandbox, or
// an empty string when it must not be opened. Mirrors openStorage()'s own scheme split.
QString sandboxed(const QString &name)
{
    const QString trimmed = name.trimmed();
    const qsizetype colon = trimmed.indexOf(QLatin1Char(':'));
    if (colon <= 0)
        return name; // the default store (in the sandbox) or "no scheme": nothing else opens
    const QString scheme = trimmed.left(colon).toLower();
    const QString rest = trimmed.mid(colon + 1);

    if (scheme == QLatin1String("memory"))
        return name;
    if (scheme == QLatin1String("file") || scheme == QLatin1String("ini")) {
        const QString path = localPathFromStoreName(rest);
        return path.isEmpty() ? name : scheme + QLatin1Char(':') + confined(path);
    }
    if (scheme == QLatin1String("sqlite")) {
        const qsizetype query = rest.indexOf(QLatin1Char('?'));
        const QString path = localPathFromStoreName(query >= 0 ? rest.left(query) : rest);
        if (path.isEmpty())
            return name;
        return QStringLiteral("sqlite:") + confined(path)
            + (query >= 0 ? rest.mid(query) : QString());
    }
    if (scheme == QLatin1String("settings")) {
        // QSettings makes "Organization/Application" a folder and a file name below
        // XDG_CONFIG_HOME without checking them; keep the fuzzer inside it.
        if (rest.contains(QLatin1String("..")) || rest.count(QLatin1Char('/')) > 1
            || rest.contains(QLatin1Char('\\')) || rest.contains(QChar(0)))
            return {};
        return name;
    }
    if (scheme == QLatin1String("postgresql") || scheme == QLatin1String("postgres"))
        return {};
    // Unknown to this file: open only what the library rejects as unknown too.
    static const QStringList known = knownSchemes().split(QStringLiteral(", "));
    if (known.contains(scheme + QLatin1Char(':'))) {
        static QSet<QString> reported;
        if (!reported.contains(scheme)) {
            reported.insert(scheme);
            std::fprintf(stderr,
                         "fuzz_storename: scheme \"%s:\" is not sandboxed here and never opened; "
                         "teach tests/fuzz/fuzz_storename.cpp about it\n",
                         qUtf8Printable(scheme));
        }
        return {};
    }
    return name;
}

void removeStores()
{
    for (const QString &dir : {storeRoot, configRoot, dataRoot}) {
        if (QFileInfo::exists(dir))
            QDir(dir).removeRecursively();
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    // Lives as long as the process; the directory is removed when it exits normally.
    static QTemporaryDir sandbox(QDir::tempPath() + QStringLiteral("/fuzz_storename-XXXXXX"));
    if (!sandbox.isValid()) {
        std::fprintf(stderr, "fuzz_storename: cannot create a temporary directory\n");
        std::abort();
    }
    const QString root = sandbox.path();
    storeRoot = root + QStringLiteral("/stores");
    configRoot = root + QStringLiteral("/config");
    dataRoot = root + QStringLiteral("/data");
    // Before the first QStandardPaths or QSettings call, which cache these.
    qputenv("HOME", QFile::encodeName(root));
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(configRoot));
    qputenv("XDG_DATA_HOME", QFile::encodeName(dataRoot));
    qputenv("XDG_CACHE_HOME", QFile::encodeName(root + QStringLiteral("/cache")));
    qputenv("XDG_STATE_HOME", QFile::encodeName(root + QStringLiteral("/state")));
    QDir().mkpath(root + QStringLiteral("/runtime"));
    QFile::setPermissions(root + QStringLiteral("/runtime"),
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    qputenv("XDG_RUNTIME_DIR", QFile::encodeName(root + QStringLiteral("/runtime")));
    qInstallMessageHandler(recordMessage);

    // The SQL drivers are plugins, found through the application object.
    static QCoreApplication app(*argc, *argv);
    QCoreApplication::setOrganizationName(QStringLiteral("PersistVarFuzz"));
    QCoreApplication::setApplicationName(QStringLiteral("fuzz_storename"));
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString name = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    const QString password = passwordIn(name);
    logged.clear();

    // The pure parsers see every name, whatever its scheme.
    const QString redacted = redactStoreName(name);
    if (!password.isEmpty() && passwordIn(redacted) == password)
        violation("redactStoreName() kept the password", name, redacted);
    const qsizetype colon = name.indexOf(QLatin1Char(':'));
    (void)localPathFromStoreName(colon >= 0 ? name.mid(colon + 1) : name);

    const QString opened = sandboxed(name);
    if (!opened.isNull()) {
        auto result = PersistVar::openStorage(opened);
        if (result.isOk()) {
            std::unique_ptr<PersistVar::Storage> storage = std::move(result).value();
            (void)storage->description();
            (void)storage->load(QStringLiteral("key"));
            (void)storage->close();
        } else {
            checkNoPassword(name, password, result.error().message(),
                            "an openStorage() error shows the password");
        }
        removeStores();
    }
    for (const QString &message : std::as_const(logged))
        checkNoPassword(name, password, message, "a log message shows the password");
    return 0;
}
