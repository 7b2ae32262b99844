// SPDX-License-Identifier: MIT
#include <persistvar/sqlstorage.h>

#include "../logging_p.h"
#include "../storage_p.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QCryptographicHash>
#include <QtCore/QDeadlineTimer>
#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QMutex>
#include <QtCore/QPointer>
#include <QtCore/QRandomGenerator>
#include <QtCore/QRegularExpression>
#include <QtCore/QSet>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtCore/QUrl>
#include <QtCore/QUrlQuery>
#include <QtSql/QSqlDatabase>
#include <QtSql/QSqlDriver>
#include <QtSql/QSqlError>
#include <QtSql/QSqlQuery>

#include <algorithm>
#include <atomic>
#include <map>
#include <vector>

// The SQLite fast path: PersistVar's own sqlite3 calls on the QSQLITE driver's handle, without
// QtSql's per-row QVariants and UTF-16 conversions (see nativeSqliteRefusal()).
#if PERSISTVAR_SQLITE_NATIVE
#include <QtCore/QStringEncoder>

#include <sqlite3.h>
#if defined(Q_OS_UNIX)
#include <dlfcn.h>
#endif
#endif

namespace PersistVar {

namespace {

enum class Backend { Sqlite, PostgreSql };

constexpr int SchemaVersion = 1;
// One row per table of this database: which schema version PersistVar created it with.
const QLatin1String MetaTable("persistvar_meta");
// PostgreSQL batches: rows and bytes per statement. The rows travel as four array parameters
// (see bulkSql()); the byte bound keeps a batch of huge values below the 1 GB query limit.
constexpr qsizetype MaxRowsPerStatement = 50000;
constexpr qsizetype MaxBytesPerStatement = 64 * 1024 * 1024;

// SQLite's own busy handler sleeps up to 100 ms between attempts, so under steady contention
// (four processes taking turns on one key) a writer can lose every attempt for seconds and time
// out. SQLite therefore waits only this long itself; beyond it we retry with short, jittered
// sleeps until Options::busyTimeout, which gives every waiter a fair chance.
constexpr std::chrono::milliseconds SqliteBusyStep{10};

// Only meaningful for SQLite errors: PostgreSQL's codes are SQLSTATEs.
bool isBusy(const QSqlError &error)
{
    // Extended result codes keep the primary code in the low byte: SQLITE_BUSY, SQLITE_LOCKED.
    const int primary = error.nativeErrorCode().toInt() & 0xff;
    return primary == 5 || primary == 6;
}

// Runs \a attempt (returning its QSqlError) until it succeeds, fails for another reason than a
// busy SQLite database, or \a timeout has passed. Only for statements that can be repeated: ones
// outside a transaction, or the BEGIN that starts one.
template<typename Attempt>
QSqlError retryWhileBusy(std::chrono::milliseconds timeout, Attempt attempt)
{
    QDeadlineTimer deadline(timeout);
    for (;;) {
        const QSqlError error = attempt();
        if (!error.isValid() || !isBusy(error) || deadline.hasExpired())
            return error;
        QThread::msleep(QRandomGenerator::global()->bounded(1, 4));
    }
}

// What one StorageWrite asks of the database.
enum class WriteMode : int {
    CheckOnly = 0, // new == old: nothing to write, only verify the stored state
    Upsert = 1,
    Delete = 2,
    InsertIfAbsent = 3,
    UpdateIfEqual = 4,
    DeleteIfEqual = 5,
};

WriteMode writeMode(const StorageWrite &write)
{
    if (!write.compareOldValue)
        return write.newValue ? WriteMode::Upsert : WriteMode::Delete;
    if (write.newValue == write.oldValue)
        return WriteMode::CheckOnly;
    if (!write.newValue)
        return WriteMode::DeleteIfEqual;
    return write.oldValue ? WriteMode::UpdateIfEqual : WriteMode::InsertIfAbsent;
}

// A null QByteArray binds as SQL NULL (QSqlResultPrivate::isVariantNull), which the NOT NULL
// value column refuses: bind empty values as non-null empty arrays.
QVariant blob(const std::optional<QByteArray> &bytes)
{
    if (!bytes)
        return QVariant(QMetaType::fromType<QByteArray>());
    return bytes->isNull() ? QVariant(QByteArray("")) : QVariant(*bytes);
}

// An element of a PostgreSQL array literal: double-quoted, with '"' and '\\' escaped.
void appendArrayText(QString *array, const QString &text)
{
    array->reserve(array->size() + text.size() + 2);
    *array += QLatin1Char('"');
    for (QChar c : text) {
        if (c == QLatin1Char('"') || c == QLatin1Char('\\'))
            *array += QLatin1Char('\\');
        *array += c;
    }
    *array += QLatin1Char('"');
}

// A bytea element of an array literal in hex input form ("\\x..." once the array's own
// escaping is undone), or NULL.
void appendArrayBytes(QString *array, const std::optional<QByteArray> &bytes)
{
    if (!bytes) {
        *array += QLatin1String("NULL");
        return;
    }
    static constexpr char Hex[] = "0123456789abcdef";
    const qsizetype start = array->size();
    array->resize(start + 5 + 2 * bytes->size());
    QChar *out = array->data() + start;
    for (char c : {'"', '\\', '\\', 'x'})
        *out++ = QLatin1Char(c);
    for (char byte : *bytes) {
        const auto b = static_cast<unsigned char>(byte);
        *out++ = QLatin1Char(Hex[b >> 4]);
        *out++ = QLatin1Char(Hex[b & 15]);
    }
    *out = QLatin1Char('"');
}

// A key and a value of SqlCall::visitAll() as owned Qt types; the QtSql path's are already.
QString ownedKey(const QString &key)
{
    return key;
}

QByteArray ownedBytes(const QByteArray &bytes)
{
    return bytes;
}

#if PERSISTVAR_SQLITE_NATIVE
QString ownedKey(QUtf8StringView key)
{
    return key.toString();
}

QByteArray ownedBytes(QByteArrayView bytes)
{
    return bytes.toByteArray();
}

// Calls \a row(key, value) for the row \a statement stands on (when \a code, the result of
// the step that got there, is SQLITE_ROW) and for each one after. Returns SQLITE_DONE once
// every row was read, SQLITE_ROW when \a row returned false to stop, else the failed step's
// code. Both native readers use it: visitAll() and the background reader of the start-up
// snapshot.
template<typename Row>
int visitRows(sqlite3_stmt *statement, int code, Row row)
{
    for (; code == SQLITE_ROW; code = sqlite3_step(statement)) {
        // Through the columns' sqlite3_value: each sqlite3_column_*() call enters the
        // connection's mutex and checks for a failed allocation, which for a short row costs
        // more than reading it. The values are "unprotected", which matters only to a connection
        // that several threads use at once; a statement is only ever used by one at a time.
        sqlite3_value *keyColumn = sqlite3_column_value(statement, 0);
        sqlite3_value *valueColumn = sqlite3_column_value(statement, 1);
        // _text() and _blob() before _bytes(): they may convert the value first.
        const auto *key = reinterpret_cast<const char *>(sqlite3_value_text(keyColumn));
        const qsizetype keySize = sqlite3_value_bytes(keyColumn);
        const auto *value = static_cast<const char *>(sqlite3_value_blob(valueColumn));
        const qsizetype valueSize = sqlite3_value_bytes(valueColumn);
        if (!row(QUtf8StringView(key, keySize), QByteArrayView(value, valueSize)))
            return SQLITE_ROW;
    }
    return code;
}
#endif

QString quoted(const QString &identifier)
{
    // Only called with validated identifiers (letters, digits, '_'); quoting keeps reserved
    // words such as "order" usable and the case as given.
    return QLatin1Char('"') + identifier + QLatin1Char('"');
}

Error invalidArgument(const QString &message)
{
    return Error(ErrorCode::InvalidArgument, QString(), message);
}

Error storageFailed(const QString &key, const QString &message)
{
    return Error(ErrorCode::StorageFailed, key, message);
}

Error withKey(const Error &error, const QString &key)
{
    return Error(error.code(), key, error.message());
}

Error validateTable(const QString &table)
{
    // anchoredPattern(): "$" alone would also accept a trailing newline.
    static const QRegularExpression pattern(
        QRegularExpression::anchoredPattern(QStringLiteral("[A-Za-z_][A-Za-z0-9_]{0,62}")));
    if (!pattern.match(table).hasMatch())
        return invalidArgument(
            QStringLiteral("the table name \"%1\" is not allowed: use 1 to 63 letters, digits or "
                           "underscores, not starting with a digit")
                .arg(table.left(80)));
    if (table.compare(MetaTable, Qt::CaseInsensitive) == 0
        || table.startsWith(QLatin1String("sqlite_"), Qt::CaseInsensitive))
        return invalidArgument(
            QStringLiteral("the table name \"%1\" is reserved; choose another").arg(table));
    return {};
}

Error requireSqlDriver(const QString &driver, const QString &package)
{
    // Qt SQL refuses to work (and only warns) without an application object.
    if (!QCoreApplication::instance())
        return storageFailed(QString(),
                             QStringLiteral("SqlStorage needs a QCoreApplication: Qt SQL does not "
                                            "work without one"));
    if (!QSqlDatabase::isDriverAvailable(driver))
        return storageFailed(QString(),
                             QStringLiteral("the Qt SQL driver %1 is not installed (on Debian and "
                                            "Ubuntu: the package %2)")
                                 .arg(driver, package));
    return {};
}

// Creates every missing folder above \a filePath with owner-only permissions: the store may hold
// personal data.
Error createParentFolders(const QString &filePath)
{
    const QString folder = QFileInfo(filePath).absolutePath();
    QStringList missing;
    for (QString current = folder; !QFileInfo::exists(current);
         current = QFileInfo(current).absolutePath())
        missing.prepend(current);
    for (const QString &path : std::as_const(missing)) {
        if (!QDir().mkdir(path, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner)
            && !QFileInfo(path).isDir())
            return storageFailed(QString(),
                                 QStringLiteral("cannot create the folder %1").arg(path));
    }
    if (!QFileInfo(folder).isDir())
        return storageFailed(QString(), QStringLiteral("%1 is not a folder").arg(folder));
    return {};
}

// Creates an empty database file readable by its owner only; SQLite would use 0644. SQLite gives
// its -wal and -shm files the permissions of the database file.
Error createDatabaseFile(const QString &path)
{
    const QFileInfo info(path);
    if (info.isDir())
        return storageFailed(QString(),
                             QStringLiteral("%1 is a folder, not an SQLite database").arg(path));
    if (info.exists())
        return {};
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::NewOnly, QFile::ReadOwner | QFile::WriteOwner)
        && !QFileInfo::exists(path)) // another process may just have created it
        return storageFailed(QString(),
                             QStringLiteral("cannot create %1: %2").arg(path, file.errorString()));
    return {};
}

// Where and how to reach a PostgreSQL database, from its URL.
struct PostgresTarget
{
    QString host;
    int port = 5432;
    QString database;
    QString user;
    QString password;
    QString table;
    QStringList connectOptions;
};

Result<PostgresTarget> parsePostgresUrl(const QString &text)
{
    // Messages never quote the URL: it may hold the password.
    const QString form =
        QStringLiteral("postgresql://user[:password]@host[:port]/database[?table=name]");
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid())
        return invalidArgument(
            QStringLiteral("the PostgreSQL URL is malformed; expected %1, with special "
                           "characters of user and password percent-encoded")
                .arg(form));
    if (url.scheme() != QLatin1String("postgresql") && url.scheme() != QLatin1String("postgres"))
        return invalidArgument(
            QStringLiteral("a PostgreSQL URL starts with postgresql:// or postgres://; expected %1")
                .arg(form));
    if (url.hasFragment())
        return invalidArgument(
            QStringLiteral("a PostgreSQL URL has no #fragment; expected %1").arg(form));

    PostgresTarget target;
    target.host = url.host(QUrl::FullyDecoded);
    target.port = url.port(5432);
    target.user = url.userName(QUrl::FullyDecoded);
    target.password = url.password(QUrl::FullyDecoded);
    target.database = url.path(QUrl::FullyDecoded).mid(1);
    if (target.host.isEmpty())
        return invalidArgument(
            QStringLiteral("the PostgreSQL URL names no host; expected %1").arg(form));
    if (target.port <= 0)
        return invalidArgument(
            QStringLiteral("the PostgreSQL URL has port %1; expected 1 to 65535").arg(target.port));
    if (target.database.isEmpty() || target.database.contains(QLatin1Char('/')))
        return invalidArgument(
            QStringLiteral("the PostgreSQL URL must name one database; expected %1").arg(form));

    bool timeoutGiven = false;
    QSet<QString> seen;
    const auto items = QUrlQuery(url).queryItems(QUrl::FullyDecoded);
    for (const auto &[name, value] : items) {
        if (seen.contains(name))
            return invalidArgument(
                QStringLiteral("the PostgreSQL URL sets \"%1\" twice").arg(name));
        seen.insert(name);
        // Options reach libpq's connection string, so each value is checked against its syntax.
        if (name == QLatin1String("table")) {
            target.table = value;
        } else if (name == QLatin1String("sslmode")) {
            static const QStringList modes{
                QStringLiteral("disable"),   QStringLiteral("allow"),
                QStringLiteral("prefer"),    QStringLiteral("require"),
                QStringLiteral("verify-ca"), QStringLiteral("verify-full")};
            if (!modes.contains(value))
                return invalidArgument(QStringLiteral("sslmode \"%1\" is not one of %2")
                                           .arg(value.left(40), modes.join(QStringLiteral(", "))));
            target.connectOptions.append(QStringLiteral("sslmode=") + value);
        } else if (name == QLatin1String("connect_timeout")) {
            bool ok = false;
            const int seconds = value.toInt(&ok);
            if (!ok || seconds < 1 || seconds > 3600)
                return invalidArgument(
                    QStringLiteral("connect_timeout \"%1\" is not a number of seconds from 1 to "
                                   "3600")
                        .arg(value.left(40)));
            target.connectOptions.append(QStringLiteral("connect_timeout=%1").arg(seconds));
            timeoutGiven = true;
        } else if (name == QLatin1String("application_name")) {
            static const QRegularExpression plain(
                QRegularExpression::anchoredPattern(QStringLiteral("[A-Za-z0-9_.-]{1,63}")));
            if (!plain.match(value).hasMatch())
                return invalidArgument(QStringLiteral("application_name may use 1 to 63 letters, "
                                                      "digits, '_', '.' or '-'"));
            target.connectOptions.append(QStringLiteral("application_name=") + value);
        } else {
            return invalidArgument(
                QStringLiteral("unknown option \"%1\" in the PostgreSQL URL; supported are table, "
                               "sslmode, connect_timeout and application_name")
                    .arg(name.left(40)));
        }
    }
    // A server that does not answer must not hang the application for libpq's default (forever).
    if (!timeoutGiven)
        target.connectOptions.append(QStringLiteral("connect_timeout=5"));
    // A server or network that vanishes without closing the connection (a machine switched off,
    // a NAT entry expired) would leave the change listener, which never sends, waiting forever:
    // TCP keepalives notice it within about a minute, and the watcher then listens again.
    target.connectOptions.append(QStringLiteral(
        "keepalives=1;keepalives_idle=30;keepalives_interval=10;keepalives_count=3"));
    return target;
}

#if PERSISTVAR_SQLITE_NATIVE
struct FinalizeStatement
{
    void operator()(sqlite3_stmt *statement) const { sqlite3_finalize(statement); }
};
using NativeStatement = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

// The native path's statements of one connection, each prepared on first use.
struct NativeStatements
{
    NativeStatement load;
    NativeStatement loadAll;
    NativeStatement writes[6]; // by WriteMode
};

bool isDisabledByEnvironment()
{
    // PERSISTVAR_SQLITE_NATIVE=0 forces the QtSql path: for testing it, and as an escape hatch.
    // Read once per process.
    static const bool disabled = [] {
        const QString value = qEnvironmentVariable("PERSISTVAR_SQLITE_NATIVE").toLower();
        return value == QLatin1String("0") || value == QLatin1String("off")
            || value == QLatin1String("false");
    }();
    return disabled;
}

// Why our sqlite3 functions must not touch the handles of \a driver, or an empty string when
// they may. They may only when the QSQLITE plugin uses the very libsqlite3 that PersistVar
// links (Debian's, Fedora's, Homebrew's and vcpkg's Qt do): a Qt built with its bundled SQLite
// has its own copy, whose handles our functions would corrupt.
QString nativeSqliteRefusal(const QSqlDriver *driver)
{
    if (isDisabledByEnvironment())
        return QStringLiteral("the environment sets PERSISTVAR_SQLITE_NATIVE=0");
#if defined(Q_OS_UNIX)
    // There is one QSQLITE plugin per process: check it once.
    static const QString refusal = [driver]() -> QString {
        // The driver's meta-object lives in the plugin's data: dladdr() names the plugin file.
        Dl_info info{};
        if (!dladdr(static_cast<const void *>(driver->metaObject()), &info) || !info.dli_fname)
            return QStringLiteral("dladdr() cannot tell which file holds the driver");
        const QString file = QFile::decodeName(info.dli_fname);
        void *plugin = dlopen(info.dli_fname, RTLD_NOLOAD | RTLD_LAZY);
        if (!plugin)
            return QStringLiteral("dlopen() cannot find the loaded %1").arg(file);
        // Searches the plugin and its dependencies: the libsqlite3 it uses, if it has one.
        const void *theirs = dlsym(plugin, "sqlite3_libversion");
        dlclose(plugin); // RTLD_NOLOAD still counted a reference
        if (theirs != reinterpret_cast<const void *>(&sqlite3_libversion))
            return QStringLiteral("%1 does not use PersistVar's libsqlite3 %2")
                .arg(file, QLatin1String(sqlite3_libversion()));
        return QString();
    }();
    return refusal;
#else
    Q_UNUSED(driver);
    return QStringLiteral("this platform has no check that the QSQLITE driver shares "
                          "PersistVar's libsqlite3");
#endif
}

// A native failure, dressed as the QSqlError that QSQLITE would give: the same message, and the
// extended result code that isBusy() and SqlStoragePrivate::sqlError() read.
QSqlError nativeError(sqlite3 *db)
{
    return QSqlError(QString(), QString::fromUtf8(sqlite3_errmsg(db)), QSqlError::StatementError,
                     QString::number(sqlite3_extended_errcode(db)));
}
#endif

// One thread's connection to the store.
struct Connection
{
    QString name;
    quint64 serial = 0; // tells a reopened connection from the one before
    // The application's own connection (fromConnection(), on its thread): used, never closed.
    bool borrowed = false;
    // Our handle on a connection we opened; empty for a borrowed one, so the application can
    // remove its connection without Qt warning that we still use it.
    QSqlDatabase database;
    // Prepared once per connection: SQLite compiles and PostgreSQL plans each statement once.
    std::map<QString, std::unique_ptr<QSqlQuery>> statements;
#if PERSISTVAR_SQLITE_NATIVE
    // Prepared on the driver's handle: finalized before it closes, else sqlite3_close() fails.
    NativeStatements native;
#endif
};

void closeConnection(Connection &connection)
{
    connection.statements.clear(); // finalize them while the driver is alive
#if PERSISTVAR_SQLITE_NATIVE
    connection.native = {};
#endif
    if (connection.borrowed)
        return;
    if (connection.database.isValid())
        connection.database.close();
    connection.database = QSqlDatabase(); // removeDatabase() warns while a handle is alive
    if (QCoreApplication::instance())
        QSqlDatabase::removeDatabase(connection.name);
}

// The connections of one storage, shared with the exit handlers of the threads holding one.
struct ConnectionSet
{
    QMutex mutex; // held for a whole storage call
    std::map<const void *, Connection> byThread;
    bool closed = false;
};

// Each thread's list of stores it holds a connection to. Its destructor runs when the thread
// ends, on that thread, so a thread's connection is closed where it was opened and connections
// of finished (thread-pool) threads do not pile up.
class ThreadConnections
{
public:
    ThreadConnections() = default;
    Q_DISABLE_COPY_MOVE(ThreadConnections)

    ~ThreadConnections()
    {
        for (const std::weak_ptr<ConnectionSet> &weak : m_sets) {
            const std::shared_ptr<ConnectionSet> set = weak.lock();
            if (!set)
                continue;
            QMutexLocker lock(&set->mutex);
            const auto it = set->byThread.find(this);
            if (it == set->byThread.end())
                continue;
            closeConnection(it->second);
            set->byThread.erase(it);
        }
    }

    void track(const std::shared_ptr<ConnectionSet> &set)
    {
        std::erase_if(m_sets, [](const std::weak_ptr<ConnectionSet> &w) { return w.expired(); });
        m_sets.push_back(set);
    }

private:
    std::vector<std::weak_ptr<ConnectionSet>> m_sets;
};

ThreadConnections &threadConnections()
{
    thread_local ThreadConnections connections;
    return connections;
}

std::atomic<quint64> storageSerial{0};
std::atomic<quint64> connectionSerial{0};

// Watching: SQLite is polled this often; a lost PostgreSQL listener is reconnected this often.
constexpr std::chrono::milliseconds SqlitePollInterval{250};
constexpr std::chrono::milliseconds ListenerCheckInterval{5000};
// NOTIFY payloads must stay below 8000 bytes; longer key lists are sent empty ("reload all").
constexpr qsizetype MaxNotifyPayload = 7900;

// What SQLite watching last saw.
struct WatchState
{
    quint64 connection = 0;
    qint64 dataVersion = -1;
    QHash<QString, QByteArray> digests; // key -> MD5 of the value
};

class SqlWatcher;

} // namespace

class SqlStoragePrivate
{
public:
    Backend backend = Backend::Sqlite;
    SqlStorage::Options options;
    QString descriptionText;
    quint64 serial = ++storageSerial;

    // Connections the storage opens itself.
    QString driverName;
    QString databaseName; // SQLite: the absolute file path
    QString host;
    int port = -1;
    QString user;
    QString password; // only handed to the driver, and scrubbed from every message
    QString connectOptions;
    // fromConnection(): the application's connection and the thread that owns it.
    QString appConnection;
    QPointer<QThread> appThread;

    std::shared_ptr<ConnectionSet> connections = std::make_shared<ConnectionSet>();
    bool walWarningShown = false; // guarded by the connection set's mutex
#if PERSISTVAR_SQLITE_NATIVE
    // Whether SQLite rows go through the native API; decided at the first connection. Guarded by
    // the connection set's mutex.
    bool nativeDecided = false;
    bool nativeAllowed = false;
    sqlite3 *nativeHandle(const QSqlDatabase &db);
#endif

    // Watching (startWatching()).
    QString channel; // PostgreSQL: the table's NOTIFY channel
    QMutex watchMutex;
    QPointer<SqlWatcher> watcher; // guarded by watchMutex

    // Statements built once from the validated table name.
    QString quotedTable;
    QString keyIndex; // PostgreSQL: the unique index on md5(key)
    QString loadSql, loadAllSql, keysSql, insertSql, updateSql, upsertSql, deleteSql, deleteIfSql;

    void setTable(const QString &table);
    QString bulkSql() const;
    Error checkKey(const QString &key) const;
    Error sqlError(const QString &key, const QString &action, const QSqlError &error,
                   bool connectionLost = false) const;
    QSqlDatabase addConnection(const QString &name) const;
    Error openConnection(Connection *connection);
    Error configure(Connection &connection);
    QList<Error> write(const QList<StorageWrite> &writes);
    Result<QStringList> changedKeys(WatchState *state);
    Private::BackgroundReader backgroundReader();

    static SqlStoragePrivate *get(SqlStorage *storage)
    {
        return storage->d.get();
    }
};

namespace {

// One storage call: this thread's connection, with the storage's mutex held throughout. A
// connection that failed is closed when the call ends, so the next call starts afresh (a
// PostgreSQL server that restarted, an SQLite file that was replaced).
class SqlCall
{
public:
    explicit SqlCall(SqlStoragePrivate *d) : d(d), set(*d->connections), lock(&set.mutex) { }
    Q_DISABLE_COPY_MOVE(SqlCall)

    ~SqlCall()
    {
        if (!connection)
            return;
        if (connection->borrowed) {
            // The application may close or reopen its connection before the next call.
            connection->statements.clear();
#if PERSISTVAR_SQLITE_NATIVE
            connection->native = {};
#endif
            return;
        }
        if (failed) {
            closeConnection(*connection);
            set.byThread.erase(threadKey);
        }
    }

    Error start(const QString &key)
    {
        if (set.closed)
            return Error(ErrorCode::Closed, key, QStringLiteral("the SQL store is closed"));
        ThreadConnections &thread = threadConnections();
        threadKey = &thread;
        auto it = set.byThread.find(threadKey);
        reused = it != set.byThread.end();
        if (!reused) {
            Connection opened;
            if (Error e = d->openConnection(&opened); e.isError())
                return withKey(e, key);
            thread.track(d->connections);
            it = set.byThread.emplace(threadKey, std::move(opened)).first;
        }
        connection = &it->second;
#if PERSISTVAR_SQLITE_NATIVE
        native = d->nativeHandle(database());
#endif
        return {};
    }

    QSqlDatabase database() const
    {
        return connection->borrowed ? QSqlDatabase::database(connection->name, false)
                                    : connection->database;
    }

    Error failure(const QString &key, const QString &action, const QSqlError &error)
    {
        failed = true;
        // The server may report the loss itself before Qt notices the closed socket: an
        // administrator's termination (57P01) or a connection exception (class 08).
        const QString code = error.nativeErrorCode();
        lost = lost || isLost()
            || (d->backend == Backend::PostgreSql
                && (code == QLatin1String("57P01") || code.startsWith(QLatin1String("08"))));
        return d->sqlError(key, action, error, lost);
    }

    // After a failed read: when the reused connection had died while idle (a server restart,
    // an administrator), replaces it by a fresh one, once, so the read can be repeated. Writes
    // are not repeated: whether a lost one committed is unknown.
    bool reconnectAfterLoss(const QString &key)
    {
        if (!connection || !reused || inTransaction || !(lost || isLost()))
            return false;
        lost = false;
        closeConnection(*connection);
        set.byThread.erase(threadKey);
        connection = nullptr;
        failed = false;
        return !start(key).isError();
    }

    // The prepared statement for \a sql, or nullptr and \a error.
    QSqlQuery *statement(const QString &sql, const QString &key, Error *error)
    {
        auto it = connection->statements.find(sql);
        if (it == connection->statements.end()) {
            auto query = std::make_unique<QSqlQuery>(database());
            query->setForwardOnly(true);
            if (!query->prepare(sql)) {
                *error = failure(key, QStringLiteral("cannot prepare a statement for"),
                                 query->lastError());
                return nullptr;
            }
            it = connection->statements.emplace(sql, std::move(query)).first;
        }
        return it->second.get();
    }

    // Runs \a attempt, retrying while SQLite is busy where a statement can be repeated.
    template<typename Attempt>
    QSqlError run(Attempt attempt)
    {
        if (d->backend != Backend::Sqlite || inTransaction)
            return attempt();
        return retryWhileBusy(d->options.busyTimeout, attempt);
    }

    Error exec(QSqlQuery *query, const QString &key, const QString &action)
    {
        const QSqlError error =
            run([query] { return query->exec() ? QSqlError() : query->lastError(); });
        if (!error.isValid())
            return {};
        query->finish();
        return failure(key, action, error);
    }

    // Runs a statement without parameters, once (schema set-up, transactions).
    Error execOnce(const QString &sql, const QString &action, QVariant *firstValue = nullptr)
    {
        QSqlQuery query(database());
        query.setForwardOnly(true);
        const QSqlError error =
            run([&] { return query.exec(sql) ? QSqlError() : query.lastError(); });
        if (error.isValid())
            return failure(QString(), action, error);
        if (firstValue && query.next())
            *firstValue = query.value(0);
        return {};
    }

    // Reads the rows of an executed query; \a row is called for each.
    template<typename RowFunction>
    Error readRows(QSqlQuery *query, const QString &key, const QString &action, RowFunction row)
    {
        while (query->next())
            row(*query);
        const QSqlError error = query->lastError();
        query->finish(); // an unfinished SELECT would hold SQLite's read lock
        if (error.isValid())
            return failure(key, action, error);
        return {};
    }

    Error begin()
    {
        // IMMEDIATE takes SQLite's write lock at once, so a busy database is waited for (busy
        // timeout) instead of failing when a read turns into a write.
        if (d->backend == Backend::Sqlite) {
            if (Error e = execOnce(QStringLiteral("BEGIN IMMEDIATE"),
                                   QStringLiteral("cannot start a transaction in"));
                e.isError())
                return e;
        } else {
            QSqlDatabase db = database();
            if (!db.transaction())
                return failure(QString(), QStringLiteral("cannot start a transaction in"),
                               db.lastError());
        }
        inTransaction = true;
        return {};
    }

    Error commit()
    {
        QSqlDatabase db = database();
        inTransaction = false;
        if (!db.commit()) {
            const Error e = failure(QString(), QStringLiteral("cannot commit to"), db.lastError());
            db.rollback();
            return e;
        }
        return {};
    }

    void rollback()
    {
        QSqlDatabase db = database();
        inTransaction = false;
        if (!db.rollback())
            qCDebug(lcSql).noquote()
                << "rollback in" << d->descriptionText << "failed:" << db.lastError().text();
    }

    // The parameters of a statement's key condition (see setTable()).
    QVariantList keyParameters(const QString &key) const
    {
        if (d->backend == Backend::PostgreSql)
            return {key, key};
        return {key};
    }

    Result<std::optional<QByteArray>> loadValue(const QString &key)
    {
#if PERSISTVAR_SQLITE_NATIVE
        if (native)
            return nativeLoadValue(key);
#endif
        Error error;
        QSqlQuery *query = statement(d->loadSql, key, &error);
        if (!query)
            return error;
        const QVariantList parameters = keyParameters(key);
        for (qsizetype i = 0; i < parameters.size(); ++i)
            query->bindValue(int(i), parameters.at(i));
        if (Error e = exec(query, key, QStringLiteral("cannot read from")); e.isError())
            return e;
        std::optional<QByteArray> value;
        if (Error e = readRows(query, key, QStringLiteral("cannot read from"),
                               [&](const QSqlQuery &q) { value = q.value(0).toByteArray(); });
            e.isError())
            return e;
        return value;
    }

    Result<QStringList> tableColumns(const QString &table)
    {
        const QString sql = d->backend == Backend::Sqlite
            ? QStringLiteral("SELECT name FROM pragma_table_info(?)")
            : QStringLiteral("SELECT column_name FROM information_schema.columns WHERE "
                             "table_schema = current_schema() AND table_name = ? "
                             "ORDER BY ordinal_position");
        Error error;
        QSqlQuery *query = statement(sql, QString(), &error);
        if (!query)
            return error;
        query->bindValue(0, table);
        const QString action = QStringLiteral("cannot read the schema of");
        if (Error e = exec(query, QString(), action); e.isError())
            return e;
        QStringList columns;
        if (Error e = readRows(query, QString(), action,
                               [&](const QSqlQuery &q) { columns.append(q.value(0).toString()); });
            e.isError())
            return e;
        return columns;
    }

    Result<int> schemaVersion()
    {
        const Result<QStringList> metaColumns = tableColumns(MetaTable);
        if (!metaColumns.isOk())
            return metaColumns.error();
        if (metaColumns.value().isEmpty())
            return 0;
        Error error;
        QSqlQuery *query = statement(
            QStringLiteral("SELECT schema_version FROM %1 WHERE table_name = ?").arg(MetaTable),
            QString(), &error);
        if (!query)
            return error;
        query->bindValue(0, d->options.table);
        const QString action = QStringLiteral("cannot read the schema version of");
        if (Error e = exec(query, QString(), action); e.isError())
            return e;
        int version = 0;
        if (Error e = readRows(query, QString(), action,
                               [&](const QSqlQuery &q) { version = q.value(0).toInt(); });
            e.isError())
            return e;
        return version;
    }

    // Starts a transaction for changing the schema.
    Error beginSchemaChange(const QString &action)
    {
        if (Error e = begin(); e.isError())
            return e;
        if (d->backend == Backend::Sqlite)
            return {};
        // Two sessions racing through CREATE TABLE IF NOT EXISTS can still collide on the
        // catalog's unique index: one lock for all PersistVar schema changes serializes them.
        // The notice "already exists, skipping" would otherwise go to stderr.
        for (const QString &sql :
             {QStringLiteral("SELECT pg_advisory_xact_lock(hashtext('persistvar schema'))"),
              QStringLiteral("SET LOCAL client_min_messages TO WARNING")}) {
            if (Error e = execOnce(sql, action); e.isError()) {
                rollback();
                return e;
            }
        }
        return {};
    }

    // Creates the table (when missing) and records its schema version, in one transaction.
    Error createSchema()
    {
        const QString action =
            QStringLiteral("cannot create the table \"%1\" in").arg(d->options.table);
        if (Error e = beginSchemaChange(action); e.isError())
            return e;
        const QString createTable = d->backend == Backend::Sqlite
            ? QStringLiteral("CREATE TABLE IF NOT EXISTS %1 (\"key\" TEXT PRIMARY KEY NOT NULL, "
                             "\"value\" BLOB NOT NULL)")
            : QStringLiteral("CREATE TABLE IF NOT EXISTS %1 (\"key\" TEXT NOT NULL, "
                             "\"value\" BYTEA NOT NULL)");
        Error e = execOnce(createTable.arg(d->quotedTable), action);
        if (!e.isError())
            e = recordSchemaVersion(action);
        if (e.isError()) {
            rollback();
            return e;
        }
        return commit();
    }

    // Creates the schema-version table when missing and records our table's version (and, on
    // PostgreSQL, the table's key index).
    Error recordSchemaVersion(const QString &action)
    {
        const QString createMeta =
            QStringLiteral("CREATE TABLE IF NOT EXISTS %1 (table_name TEXT PRIMARY KEY NOT NULL, "
                           "schema_version INTEGER NOT NULL)")
                .arg(MetaTable);
        if (Error e = execOnce(createMeta, action); e.isError())
            return e;
        if (d->backend == Backend::PostgreSql) {
            // The key's uniqueness (see setTable()); also given to an adopted table.
            const QString createIndex =
                QStringLiteral("CREATE UNIQUE INDEX IF NOT EXISTS %1 ON %2 (md5(\"key\"))")
                    .arg(d->keyIndex, d->quotedTable);
            if (Error e = execOnce(createIndex, action); e.isError())
                return e;
        }
        QSqlQuery query(database());
        query.prepare(QStringLiteral("INSERT INTO %1 (table_name, schema_version) VALUES (?, ?) "
                                     "ON CONFLICT (table_name) DO NOTHING")
                          .arg(MetaTable));
        query.bindValue(0, d->options.table);
        query.bindValue(1, SchemaVersion);
        if (!query.exec())
            return failure(QString(), action, query.lastError());
        return {};
    }

    // Makes sure the table exists with our schema; a table of someone else is left untouched.
    Error ensureSchema()
    {
        Result<QStringList> columns = tableColumns(d->options.table);
        if (columns.isOk() && columns.value().isEmpty()) {
            qCDebug(lcSql).noquote()
                << "creating the table" << d->options.table << "in" << d->descriptionText;
            if (Error e = createSchema(); e.isError())
                return e;
            columns = tableColumns(d->options.table);
        }
        if (!columns.isOk())
            return columns.error();
        const Qt::CaseSensitivity sensitivity =
            d->backend == Backend::Sqlite ? Qt::CaseInsensitive : Qt::CaseSensitive;
        if (!columns.value().contains(QStringLiteral("key"), sensitivity)
            || !columns.value().contains(QStringLiteral("value"), sensitivity))
            return storageFailed(
                QString(),
                QStringLiteral("the table \"%1\" in %2 has a foreign schema (columns %3), not "
                               "PersistVar's (key, value); it was left untouched. Choose another "
                               "table, for example with ?table=NAME")
                    .arg(d->options.table, d->descriptionText,
                         columns.value().join(QStringLiteral(", "))));

        const Result<int> version = schemaVersion();
        if (!version.isOk())
            return version.error();
        if (version.value() > SchemaVersion)
            return storageFailed(
                QString(),
                QStringLiteral("the table \"%1\" in %2 has schema version %3, written by a newer "
                               "PersistVar; this version reads version %4")
                    .arg(d->options.table, d->descriptionText)
                    .arg(version.value())
                    .arg(SchemaVersion));
        if (version.value() == 0) {
            // A compatible table made by hand or by an older tool: adopt it. A read-only store
            // cannot record that, which does not stop reading it.
            const QString action = QStringLiteral("cannot record the schema version in");
            Error e = beginSchemaChange(action);
            if (!e.isError()) {
                e = recordSchemaVersion(action);
                if (e.isError())
                    rollback();
                else
                    e = commit();
            }
            if (e.isError())
                qCWarning(lcSql).noquote() << e.toString();
        }
        return {};
    }

    static Error conflict(const QString &key)
    {
        return Error(ErrorCode::Conflict, key,
                     QStringLiteral("the stored value changed since it was read"));
    }

    // The stored state of \a key compared with \a expected: success or Conflict.
    Error compareStored(const QString &key, const std::optional<QByteArray> &expected)
    {
        const Result<std::optional<QByteArray>> stored = loadValue(key);
        if (!stored.isOk())
            return stored.error();
        return stored.value() == expected ? Error() : conflict(key);
    }

    // The statement of a write mode (see setTable()).
    const QString &writeSql(WriteMode mode) const
    {
        switch (mode) {
        case WriteMode::Upsert:
            return d->upsertSql;
        case WriteMode::Delete:
            return d->deleteSql;
        case WriteMode::InsertIfAbsent:
            return d->insertSql;
        case WriteMode::UpdateIfEqual:
            return d->updateSql;
        case WriteMode::DeleteIfEqual:
            return d->deleteIfSql;
        case WriteMode::CheckOnly:
            break;
        }
        static const QString none;
        return none;
    }

    // Runs the statement of \a mode for \a write through QtSql; \a rows receives the number of
    // rows it changed.
    Error qtWriteRow(const StorageWrite &write, WriteMode mode, int *rows)
    {
        // The statement of each mode is looked up once per call: a batch of 100,000 rows would
        // otherwise compare the SQL text with the cached statements' for every row.
        QSqlQuery *&query = modeStatements[int(mode)];
        if (!query) {
            Error error;
            query = statement(writeSql(mode), write.key, &error);
            if (!query)
                return error;
        }
        int parameter = 0;
        const auto bind = [&](const QVariant &value) { query->bindValue(parameter++, value); };
        const auto bindKey = [&] {
            bind(write.key);
            if (d->backend == Backend::PostgreSql)
                bind(write.key); // md5(key) = md5(?) AND key = ?
        };
        switch (mode) {
        case WriteMode::Upsert:
        case WriteMode::InsertIfAbsent:
            bind(write.key);
            bind(blob(write.newValue));
            break;
        case WriteMode::Delete:
            bindKey();
            break;
        case WriteMode::UpdateIfEqual:
            bind(blob(write.newValue));
            bindKey();
            bind(blob(write.oldValue));
            break;
        case WriteMode::DeleteIfEqual:
            bindKey();
            bind(blob(write.oldValue));
            break;
        case WriteMode::CheckOnly:
            break;
        }
        if (Error e = exec(query, write.key, QStringLiteral("cannot write to")); e.isError())
            return e;
        *rows = query->numRowsAffected();
        query->finish();
        return {};
    }

    // One write as its own statement; returns success, Conflict, or a store failure.
    Error writeRow(const StorageWrite &write)
    {
        const WriteMode mode = writeMode(write);
        if (mode == WriteMode::CheckOnly)
            return compareStored(write.key, write.oldValue);
        int rows = 0;
#if PERSISTVAR_SQLITE_NATIVE
        const Error e =
            native ? nativeWriteRow(write, mode, &rows) : qtWriteRow(write, mode, &rows);
#else
        const Error e = qtWriteRow(write, mode, &rows);
#endif
        if (e.isError())
            return e;
        if (rows > 0 || mode == WriteMode::Delete)
            return {};
        if (mode == WriteMode::Upsert)
            return Error(ErrorCode::Conflict, write.key,
                         QStringLiteral("another key with the same MD5 is stored; PostgreSQL "
                                        "cannot keep both"));
        // Nothing matched. Even a stored value that happens to equal ours is a conflict: two
        // update() calls that both turn 1 into 2 must not both succeed (a lost increment).
        return conflict(write.key);
    }

    // SQLite, and PostgreSQL batches that name a key twice: one statement per write, all in
    // one transaction. Returns a store failure (then nothing was written), else fills \a errors.
    Error writeRows(const QList<StorageWrite> &writes, const QList<qsizetype> &entries,
                    QList<Error> *errors)
    {
        const bool writesSomething =
            std::any_of(entries.cbegin(), entries.cend(), [&](qsizetype i) {
                return writeMode(writes.at(i)) != WriteMode::CheckOnly;
            });
        if (writesSomething) {
            if (Error e = begin(); e.isError())
                return e;
        }
        QStringList written;
        for (qsizetype i : entries) {
            const Error e = writeRow(writes.at(i));
            if (e.code() != ErrorCode::NoError && e.code() != ErrorCode::Conflict) {
                if (writesSomething)
                    rollback();
                return e;
            }
            (*errors)[i] = e;
            if (d->backend == Backend::PostgreSql && !e.isError()
                && writeMode(writes.at(i)) != WriteMode::CheckOnly)
                written.append(writes.at(i).key);
        }
        if (!written.isEmpty()) {
            if (Error e = notify(written); e.isError()) {
                rollback();
                return e;
            }
        }
        return writesSomething ? commit() : Error();
    }

    // PostgreSQL: tells watchers which keys this transaction wrote, when it commits.
    Error notify(const QStringList &keys)
    {
        QByteArray payload =
            QJsonDocument(QJsonArray::fromStringList(keys)).toJson(QJsonDocument::Compact);
        if (payload.size() >= MaxNotifyPayload)
            payload.clear();
        QSqlQuery query(database());
        query.prepare(QStringLiteral("SELECT pg_notify(?, ?)"));
        query.bindValue(0, d->channel);
        query.bindValue(1, QString::fromUtf8(payload));
        if (!query.exec())
            return failure(QString(), QStringLiteral("cannot notify the watchers of"),
                           query.lastError());
        return {};
    }

    // PostgreSQL: one statement per chunk of up to 50,000 writes, compare-and-swap included, so a
    // batch costs a round trip per chunk instead of per row. Several chunks share a transaction.
    Error writeBulk(const QList<StorageWrite> &writes, const QList<qsizetype> &entries,
                    QList<Error> *errors)
    {
        QList<QList<qsizetype>> chunks(1);
        qsizetype bytes = 0;
        for (qsizetype i : entries) {
            const StorageWrite &w = writes.at(i);
            // Values travel hex-encoded in the statement text.
            const qsizetype size = 2
                    * (w.newValue.value_or(QByteArray()).size()
                       + w.oldValue.value_or(QByteArray()).size())
                + 4 * w.key.size() + 32;
            if (!chunks.last().isEmpty()
                && (chunks.last().size() == MaxRowsPerStatement
                    || bytes + size > MaxBytesPerStatement)) {
                chunks.emplaceBack();
                bytes = 0;
            }
            chunks.last().append(i);
            bytes += size;
        }
        const bool transaction = chunks.size() > 1;
        if (transaction) {
            if (Error e = begin(); e.isError())
                return e;
        }
        for (const QList<qsizetype> &chunk : std::as_const(chunks)) {
            if (Error e = writeChunk(writes, chunk, errors); e.isError()) {
                if (transaction)
                    rollback();
                return e;
            }
        }
        return transaction ? commit() : Error();
    }

    Error writeChunk(const QList<StorageWrite> &writes, const QList<qsizetype> &chunk,
                     QList<Error> *errors)
    {
        const QString action = QStringLiteral("cannot write a batch to");
        Error error;
        QSqlQuery *query = statement(d->bulkSql(), QString(), &error);
        if (!query)
            return error;
        // Four array literals instead of four parameters per row: Qt's QPSQL driver sends
        // bound values inside the statement text, and the server parses one array literal
        // many times faster than thousands of separate parameters (5x for 10,000 rows).
        QString keys = QStringLiteral("{");
        QString newValues = QStringLiteral("{");
        QString oldValues = QStringLiteral("{");
        QString modes = QStringLiteral("{");
        for (qsizetype row = 0; row < chunk.size(); ++row) {
            const StorageWrite &w = writes.at(chunk.at(row));
            if (row > 0) {
                keys += QLatin1Char(',');
                newValues += QLatin1Char(',');
                oldValues += QLatin1Char(',');
                modes += QLatin1Char(',');
            }
            appendArrayText(&keys, w.key);
            appendArrayBytes(&newValues, w.newValue);
            appendArrayBytes(&oldValues, w.oldValue);
            modes += QString::number(int(writeMode(w)));
        }
        keys += QLatin1Char('}');
        newValues += QLatin1Char('}');
        oldValues += QLatin1Char('}');
        modes += QLatin1Char('}');
        query->bindValue(0, keys);
        query->bindValue(1, newValues);
        query->bindValue(2, oldValues);
        query->bindValue(3, modes);
        query->bindValue(4, d->channel);
        if (Error e = exec(query, QString(), action); e.isError())
            return e;
        QSet<QString> conflicts;
        // The statement also returns one NULL row when it notified the watchers.
        if (Error e = readRows(query, QString(), action,
                               [&](const QSqlQuery &q) {
                                   if (!q.isNull(0))
                                       conflicts.insert(q.value(0).toString());
                               });
            e.isError())
            return e;
        for (qsizetype i : chunk) {
            const QString &key = writes.at(i).key;
            (*errors)[i] = conflicts.contains(key) ? conflict(key) : Error();
        }
        return {};
    }

    // Reads every row of the table: \a row(key, value) gets a QUtf8StringView and a QByteArrayView
    // on the native path, a QString and a QByteArray through QtSql. \a visited counts the rows.
    template<typename RowFunction>
    Error visitAll(RowFunction row, qsizetype *visited)
    {
        const QString action = QStringLiteral("cannot read from");
        Error error;
#if PERSISTVAR_SQLITE_NATIVE
        if (native) {
            sqlite3_stmt *statement =
                nativeStatement(connection->native.loadAll, d->loadAllSql, QString(), &error);
            if (!statement)
                return error;
            const StatementUse use(statement); // an unfinished SELECT would hold the read lock
            bool hasRow = false;
            if (Error e = nativeExec(statement, QString(), action, &hasRow); e.isError())
                return e;
            const int code = visitRows(statement, hasRow ? SQLITE_ROW : SQLITE_DONE,
                                       [&](QUtf8StringView key, QByteArrayView value) {
                                           row(key, value);
                                           ++*visited;
                                           return true;
                                       });
            if (code != SQLITE_DONE)
                return failure(QString(), action, nativeError(native));
            return {};
        }
#endif
        QSqlQuery *query = statement(d->loadAllSql, QString(), &error);
        if (!query)
            return error;
        if (Error e = exec(query, QString(), action); e.isError())
            return e;
        return readRows(query, QString(), action, [&](const QSqlQuery &q) {
            row(q.value(0).toString(), q.value(1).toByteArray());
            ++*visited;
        });
    }

#if PERSISTVAR_SQLITE_NATIVE
    // Resets a native statement when its use ends: an unfinished statement would hold SQLite's
    // locks, and its SQLITE_STATIC bindings would point to bytes about to go away.
    class StatementUse
    {
    public:
        explicit StatementUse(sqlite3_stmt *statement) : m_statement(statement) { }
        Q_DISABLE_COPY_MOVE(StatementUse)
        ~StatementUse()
        {
            sqlite3_reset(m_statement);
            sqlite3_clear_bindings(m_statement);
        }

    private:
        sqlite3_stmt *const m_statement;
    };

    // The statement in \a slot, prepared for \a sql on first use and kept as long as the
    // connection (SQLITE_PREPARE_PERSISTENT), or nullptr and \a error.
    sqlite3_stmt *nativeStatement(NativeStatement &slot, const QString &sql, const QString &key,
                                  Error *error)
    {
        if (!slot) {
            const QByteArray text = sql.toUtf8();
            sqlite3_stmt *prepared = nullptr;
            if (sqlite3_prepare_v3(native, text.constData(), int(text.size()),
                                   SQLITE_PREPARE_PERSISTENT, &prepared, nullptr)
                != SQLITE_OK) {
                *error = failure(key, QStringLiteral("cannot prepare a statement for"),
                                 nativeError(native));
                sqlite3_finalize(prepared);
                return nullptr;
            }
            slot.reset(prepared);
        }
        return slot.get();
    }

    // Binds \a key as UTF-8, SQLite's storage encoding, so SQLite need not convert every key.
    // One buffer serves every row: the statement is reset before the next key is bound.
    int bindKey(sqlite3_stmt *statement, int index, const QString &key)
    {
        keyBuffer.resize(keyEncoder.requiredSpace(key.size()));
        const char *end = keyEncoder.appendToBuffer(keyBuffer.data(), key);
        return sqlite3_bind_text64(statement, index, keyBuffer.constData(),
                                   quint64(end - keyBuffer.constData()), SQLITE_STATIC,
                                   SQLITE_UTF8);
    }

    // Binds \a bytes as a blob (std::nullopt as NULL), without a copy: the caller's bytes outlive
    // the statement's use (see StatementUse).
    static int bindBytes(sqlite3_stmt *statement, int index, const std::optional<QByteArray> &bytes)
    {
        if (!bytes)
            return sqlite3_bind_null(statement, index);
        // A null pointer would bind NULL, which the NOT NULL column refuses (see blob()).
        return sqlite3_bind_blob64(statement, index, bytes->isEmpty() ? "" : bytes->constData(),
                                   quint64(bytes->size()), SQLITE_STATIC);
    }

    // Steps \a statement to its first row or its end; like exec(), retries while SQLite is busy
    // where the statement can be repeated. \a hasRow tells whether a row is ready.
    Error nativeExec(sqlite3_stmt *statement, const QString &key, const QString &action,
                     bool *hasRow)
    {
        // The usual case without QSqlError: it would cost more than the rest of our row.
        int code = sqlite3_step(statement);
        QSqlError error;
        if (code != SQLITE_ROW && code != SQLITE_DONE) {
            error = nativeError(native);
            if (isBusy(error) && !inTransaction) {
                error = retryWhileBusy(d->options.busyTimeout, [&] {
                    sqlite3_reset(statement); // keeps the bindings
                    code = sqlite3_step(statement);
                    return code == SQLITE_ROW || code == SQLITE_DONE ? QSqlError()
                                                                     : nativeError(native);
                });
            }
        }
        *hasRow = code == SQLITE_ROW;
        if (error.isValid())
            return failure(key, action, error);
        return {};
    }

    Result<std::optional<QByteArray>> nativeLoadValue(const QString &key)
    {
        const QString action = QStringLiteral("cannot read from");
        Error error;
        sqlite3_stmt *statement = nativeStatement(connection->native.load, d->loadSql, key, &error);
        if (!statement)
            return error;
        const StatementUse use(statement);
        if (bindKey(statement, 1, key) != SQLITE_OK)
            return failure(key, action, nativeError(native));
        bool hasRow = false;
        if (Error e = nativeExec(statement, key, action, &hasRow); e.isError())
            return e;
        std::optional<QByteArray> value;
        if (hasRow)
            value = QByteArray(static_cast<const char *>(sqlite3_column_blob(statement, 0)),
                               sqlite3_column_bytes(statement, 0));
        return value;
    }

    // qtWriteRow() on the native path: the same statements, parameters and row counts.
    Error nativeWriteRow(const StorageWrite &write, WriteMode mode, int *rows)
    {
        const QString action = QStringLiteral("cannot write to");
        Error error;
        sqlite3_stmt *statement = nativeStatement(connection->native.writes[int(mode)],
                                                  writeSql(mode), write.key, &error);
        if (!statement)
            return error;
        const StatementUse use(statement);
        int parameter = 0;
        int code = SQLITE_OK;
        const auto check = [&code](int result) {
            if (code == SQLITE_OK)
                code = result;
        };
        switch (mode) {
        case WriteMode::Upsert:
        case WriteMode::InsertIfAbsent:
            check(bindKey(statement, ++parameter, write.key));
            check(bindBytes(statement, ++parameter, write.newValue));
            break;
        case WriteMode::Delete:
            check(bindKey(statement, ++parameter, write.key));
            break;
        case WriteMode::UpdateIfEqual:
            check(bindBytes(statement, ++parameter, write.newValue));
            check(bindKey(statement, ++parameter, write.key));
            check(bindBytes(statement, ++parameter, write.oldValue));
            break;
        case WriteMode::DeleteIfEqual:
            check(bindKey(statement, ++parameter, write.key));
            check(bindBytes(statement, ++parameter, write.oldValue));
            break;
        case WriteMode::CheckOnly:
            break;
        }
        if (code != SQLITE_OK)
            return failure(write.key, action, nativeError(native));
        bool hasRow = false;
        if (Error e = nativeExec(statement, write.key, action, &hasRow); e.isError())
            return e;
        *rows = sqlite3_changes(native);
        return {};
    }
#endif

    // QPSQL's isOpen() is libpq's connection status, which turns bad once the loss is seen.
    bool isLost() const
    {
        return d->backend == Backend::PostgreSql && !connection->borrowed && !database().isOpen();
    }

    SqlStoragePrivate *const d;
    ConnectionSet &set;
    QMutexLocker<QMutex> lock;
    Connection *connection = nullptr;
    const void *threadKey = nullptr;
    bool reused = false; // the connection was opened by an earlier call
    bool lost = false; // a failure said the connection is gone
    bool failed = false;
    bool inTransaction = false;
    QSqlQuery *modeStatements[6] = {}; // this call's statement per WriteMode (see qtWriteRow())
#if PERSISTVAR_SQLITE_NATIVE
    sqlite3 *native = nullptr; // the connection's handle when rows go through the native API
    QByteArray keyBuffer; // see bindKey()
    QStringEncoder keyEncoder{QStringEncoder::Utf8, QStringEncoder::Flag::Stateless};
#endif
};

// Follows changes by other writers for SqlStorage::startWatching(), in the context's thread:
// SQLite by polling PRAGMA data_version, PostgreSQL by LISTEN on the table's channel through a
// connection of its own.
class SqlWatcher : public QObject
{
public:
    SqlWatcher(SqlStoragePrivate *d, Storage::ChangeCallback callback, QObject *context)
        : QObject(context)
        , m_d(d)
        , m_callback(std::move(callback))
        , m_sqlite(d->backend == Backend::Sqlite)
        , m_channel(d->channel)
        , m_timer(new QTimer(this))
    {
    }
    Q_DISABLE_COPY_MOVE(SqlWatcher)
    ~SqlWatcher() override { closeListener(); }

    Error start()
    {
        QMutexLocker lock(&m_mutex);
        // SQLite: what is stored now is the baseline, not a change.
        Error e = m_sqlite ? m_d->changedKeys(&m_state).error() : openListener();
        if (e.isError())
            return e;
        connect(m_timer, &QTimer::timeout, this, [this] { tick(); });
        m_timer->start(m_sqlite ? SqlitePollInterval : ListenerCheckInterval);
        return {};
    }

    // No callback and no use of the storage after this returns; safe from any thread, and from
    // within the callback.
    void detach()
    {
        QMutexLocker lock(&m_mutex);
        m_d = nullptr;
    }

private:
    void tick()
    {
        QMutexLocker lock(&m_mutex);
        if (!m_d)
            return;
        if (m_sqlite) {
            const Result<QStringList> changed = m_d->changedKeys(&m_state);
            if (!changed.isOk())
                qCDebug(lcSql).noquote() << "watching:" << changed.error().toString();
            else if (!changed.value().isEmpty())
                m_callback(changed.value());
            return;
        }
        if (m_listener.isOpen())
            return;
        // The server went away: listen again, and since notifications may have been missed
        // meanwhile, report that anything may have changed.
        closeListener();
        if (Error e = openListener(); e.isError()) {
            qCDebug(lcSql).noquote() << "watching:" << e.toString();
            return;
        }
        m_callback(QStringList());
    }

    Error openListener()
    {
        m_listenerName =
            QStringLiteral("persistvar-%1-watch-%2").arg(m_d->serial).arg(++connectionSerial);
        m_listener = m_d->addConnection(m_listenerName);
        Error e;
        if (!m_listener.isValid() || !m_listener.open())
            e = m_d->sqlError(QString(), QStringLiteral("cannot watch"), m_listener.lastError());
        else if (!m_listener.driver()->subscribeToNotification(m_channel))
            e = m_d->sqlError(QString(), QStringLiteral("cannot listen for changes in"),
                              m_listener.driver()->lastError());
        if (e.isError()) {
            closeListener();
            return e;
        }
        connect(m_listener.driver(), &QSqlDriver::notification, this,
                [this](const QString &name, QSqlDriver::NotificationSource,
                       const QVariant &payload) { onNotification(name, payload); });
        return {};
    }

    void closeListener()
    {
        if (m_listenerName.isEmpty())
            return;
        if (m_listener.isValid())
            m_listener.close(); // also drops the LISTEN and its socket notifier
        m_listener = QSqlDatabase();
        if (QCoreApplication::instance())
            QSqlDatabase::removeDatabase(m_listenerName);
        m_listenerName.clear();
    }

    void onNotification(const QString &name, const QVariant &payload)
    {
        QMutexLocker lock(&m_mutex);
        if (!m_d || name != m_channel)
            return;
        // A JSON array of the written keys; empty when they did not fit in one notification.
        QStringList keys;
        const QJsonArray array = QJsonDocument::fromJson(payload.toString().toUtf8()).array();
        for (const QJsonValue &key : array)
            keys.append(key.toString());
        m_callback(keys);
    }

    QRecursiveMutex m_mutex; // recursive: the callback may call stopWatching()
    SqlStoragePrivate *m_d;
    const Storage::ChangeCallback m_callback;
    const bool m_sqlite;
    const QString m_channel;
    QTimer *const m_timer;
    WatchState m_state;
    QString m_listenerName;
    QSqlDatabase m_listener;
};

} // namespace

#if PERSISTVAR_SQLITE_NATIVE
// The handle of \a db for the native path, or nullptr for the QtSql path.
sqlite3 *SqlStoragePrivate::nativeHandle(const QSqlDatabase &db)
{
    if (backend != Backend::Sqlite || !db.isValid() || !db.isOpen())
        return nullptr;
    const QSqlDriver *driver = db.driver();
    if (!nativeDecided) {
        nativeDecided = true;
        const QString refusal = nativeSqliteRefusal(driver);
        nativeAllowed = refusal.isEmpty();
        if (nativeAllowed)
            qCDebug(lcSql).noquote()
                << descriptionText << "reads and writes rows with the native sqlite3 API of SQLite"
                << sqlite3_libversion();
        else
            qCDebug(lcSql).noquote()
                << descriptionText << "reads and writes rows through QtSql:" << refusal;
    }
    if (!nativeAllowed)
        return nullptr;
    // Qt's documented way to the native handle: a QVariant holding the sqlite3 pointer.
    const QVariant handle = driver->handle();
    if (!handle.isValid() || qstrcmp(handle.typeName(), "sqlite3*") != 0)
        return nullptr;
    return *static_cast<sqlite3 *const *>(handle.constData());
}
#endif

Private::BackgroundReader SqlStoragePrivate::backgroundReader()
{
#if PERSISTVAR_SQLITE_NATIVE
    // Only a file this storage opened itself, and only when Qt's driver uses the very library we
    // link: two copies of SQLite in one process would not see each other's POSIX locks on it.
    if (backend != Backend::Sqlite || !appConnection.isEmpty() || databaseName.isEmpty()
        || databaseName.startsWith(QLatin1Char(':')) || !QFileInfo(databaseName).isFile())
        return {};
    {
        QMutexLocker lock(&connections->mutex);
        if (!nativeDecided || !nativeAllowed)
            return {};
    }
    const QByteArray path = QFile::encodeName(databaseName);
    const QByteArray sql = loadAllSql.toUtf8();
    // The largest rowid: as many rows as the table has, or a few more when some were deleted,
    // found in the b-tree without reading the table.
    const QByteArray countSql =
        QStringLiteral("SELECT max(rowid) FROM %1").arg(quotedTable).toUtf8();
    const int busyTimeout = int(options.busyTimeout.count());
    return [path, sql, countSql, busyTimeout](const Private::RowVisitor &visitor,
                                              const std::function<void(qsizetype)> &expect,
                                              const std::atomic<bool> &cancelled) -> Result<void> {
        const auto failure = [](sqlite3 *db, const char *what) {
            return Error(ErrorCode::StorageFailed, QString(),
                         QStringLiteral("cannot %1 for reading in the background: %2")
                             .arg(QLatin1String(what),
                                  db ? QString::fromUtf8(sqlite3_errmsg(db))
                                     : QStringLiteral("out of memory")));
        };
        sqlite3 *db = nullptr;
        // Read-write without create: a file this process writes must not be opened read-only
        // (which WAL mode refuses without its -shm file), and must already exist.
        const int opened = sqlite3_open_v2(path.constData(), &db,
                                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
        const std::unique_ptr<sqlite3, int (*)(sqlite3 *)> closer(db, sqlite3_close);
        if (opened != SQLITE_OK)
            return failure(db, "open the database");
        sqlite3_busy_timeout(db, busyTimeout);
        qsizetype expected = 0;
        if (sqlite3_stmt *count = nullptr;
            sqlite3_prepare_v2(db, countSql.constData(), int(countSql.size()), &count, nullptr)
            == SQLITE_OK) {
            if (sqlite3_step(count) == SQLITE_ROW)
                expected = qsizetype(sqlite3_column_int64(count, 0));
            sqlite3_finalize(count);
        }
        expect(expected);
        sqlite3_stmt *statement = nullptr;
        if (sqlite3_prepare_v2(db, sql.constData(), int(sql.size()), &statement, nullptr)
            != SQLITE_OK)
            return failure(db, "prepare the query");
        const std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt *)> finalizer(statement,
                                                                               sqlite3_finalize);
        const int code = visitRows(statement, sqlite3_step(statement),
                                   [&](QUtf8StringView key, QByteArrayView value) {
                                       if (cancelled.load(std::memory_order_relaxed))
                                           return false;
                                       visitor(key, value);
                                       return true;
                                   });
        if (code == SQLITE_ROW)
            return Error(ErrorCode::Closed, QString(), QStringLiteral("cancelled"));
        if (code != SQLITE_DONE)
            return failure(db, "read the table");
        return {};
    };
#else
    return {};
#endif
}

namespace Private {

BackgroundReader backgroundReader(Storage *storage)
{
    if (auto *sql = dynamic_cast<SqlStorage *>(storage))
        return SqlStoragePrivate::get(sql)->backgroundReader();
    return {};
}

} // namespace Private

// SQLite: the keys whose values another connection changed since the last call (nothing when
// PRAGMA data_version, which counts other connections' commits, did not move).
Result<QStringList> SqlStoragePrivate::changedKeys(WatchState *state)
{
    QHash<QString, QByteArray> digests;
    {
        SqlCall call(this);
        if (Error e = call.start(QString()); e.isError())
            return e;
        const QString action = QStringLiteral("cannot watch");
        Error error;
        QSqlQuery *query = call.statement(QStringLiteral("PRAGMA data_version"), QString(), &error);
        if (!query)
            return error;
        if (Error e = call.exec(query, QString(), action); e.isError())
            return e;
        qint64 version = -1;
        if (Error e = call.readRows(query, QString(), action,
                                    [&](const QSqlQuery &q) { version = q.value(0).toLongLong(); });
            e.isError())
            return e;
        if (call.connection->serial == state->connection && version == state->dataVersion)
            return QStringList();
        state->connection = call.connection->serial;
        state->dataVersion = version;

        qsizetype visited = 0;
        if (Error e = call.visitAll(
                [&](const auto &key, const auto &value) {
                    digests.insert(ownedKey(key),
                                   QCryptographicHash::hash(value, QCryptographicHash::Md5));
                },
                &visited);
            e.isError())
            return e;
    }
    QStringList changed;
    for (auto it = digests.cbegin(); it != digests.cend(); ++it) {
        if (state->digests.value(it.key()) != it.value())
            changed.append(it.key());
    }
    for (auto it = state->digests.cbegin(); it != state->digests.cend(); ++it) {
        if (!digests.contains(it.key()))
            changed.append(it.key());
    }
    state->digests = std::move(digests);
    return changed;
}

void SqlStoragePrivate::setTable(const QString &table)
{
    options.table = table;
    quotedTable = quoted(table);
    // Channel names are identifiers: at most 63 bytes.
    channel = QStringLiteral("persistvar_") + table;
    if (channel.size() > 63)
        channel = QStringLiteral("persistvar_%1_%2")
                      .arg(table.left(36),
                           QString::fromLatin1(
                               QCryptographicHash::hash(table.toUtf8(), QCryptographicHash::Md5)
                                   .toHex()
                                   .left(15)));
    keyIndex = quoted(table.size() <= 55
                          ? table + QStringLiteral("_key_md5")
                          : QStringLiteral("%1_%2_key_md5").arg(table.left(32), channel.right(15)));

    // PostgreSQL's B-tree entries hold at most about 2.7 kB, so a long key that does not
    // compress would not fit a plain primary key. There the key is unique through an index on
    // its MD5, and every lookup names both: the MD5 finds the row, the key confirms it.
    const bool postgres = backend == Backend::PostgreSql;
    const QString match = postgres
        ? QStringLiteral("md5(\"key\") = md5(CAST(? AS text)) AND \"key\" = ?")
        : QStringLiteral("\"key\" = ?");
    const QString arbiter =
        postgres ? QStringLiteral("((md5(\"key\")))") : QStringLiteral("(\"key\")");
    loadSql = QStringLiteral("SELECT \"value\" FROM %1 WHERE %2").arg(quotedTable, match);
    loadAllSql = QStringLiteral("SELECT \"key\", \"value\" FROM %1").arg(quotedTable);
    keysSql = QStringLiteral("SELECT \"key\" FROM %1 ORDER BY \"key\"").arg(quotedTable);
    insertSql = QStringLiteral("INSERT INTO %1 (\"key\", \"value\") VALUES (?, ?) "
                               "ON CONFLICT %2 DO NOTHING")
                    .arg(quotedTable, arbiter);
    // On PostgreSQL a different key with the same MD5 is never overwritten: no row changes.
    upsertSql =
        QStringLiteral("INSERT INTO %1 (\"key\", \"value\") VALUES (?, ?) "
                       "ON CONFLICT %2 DO UPDATE SET \"value\" = excluded.\"value\"%3")
            .arg(quotedTable, arbiter,
                 postgres ? QStringLiteral(" WHERE %1.\"key\" = excluded.\"key\"").arg(quotedTable)
                          : QString());
    updateSql = QStringLiteral("UPDATE %1 SET \"value\" = ? WHERE %2 AND \"value\" = ?")
                    .arg(quotedTable, match);
    deleteSql = QStringLiteral("DELETE FROM %1 WHERE %2").arg(quotedTable, match);
    deleteIfSql =
        QStringLiteral("DELETE FROM %1 WHERE %2 AND \"value\" = ?").arg(quotedTable, match);
}

// The PostgreSQL batch statement: four arrays of (key, new value, old value, mode), then the
// channel. All parts see the table as it was before the statement. The final SELECT returns the
// conflicts: writes that changed no row (an unconditional one only when another key has the same
// MD5), and checks (new == old) that found another value.
QString SqlStoragePrivate::bulkSql() const
{
    return QStringLiteral(
               "WITH input (\"key\", new_value, old_value, mode) AS (SELECT * FROM unnest("
               "CAST(? AS text[]), CAST(? AS bytea[]), CAST(? AS bytea[]), CAST(? AS integer[]))), "
               "upserted AS (INSERT INTO %1 (\"key\", \"value\") "
               "SELECT \"key\", new_value FROM input WHERE mode = 1 "
               "ON CONFLICT ((md5(\"key\"))) DO UPDATE SET \"value\" = excluded.\"value\" "
               "WHERE %1.\"key\" = excluded.\"key\" RETURNING \"key\"), "
               "inserted AS (INSERT INTO %1 (\"key\", \"value\") "
               "SELECT \"key\", new_value FROM input WHERE mode = 3 "
               "ON CONFLICT ((md5(\"key\"))) DO NOTHING RETURNING \"key\"), "
               "updated AS (UPDATE %1 AS t SET \"value\" = i.new_value FROM input AS i "
               "WHERE i.mode = 4 AND md5(t.\"key\") = md5(i.\"key\") AND t.\"key\" = i.\"key\" "
               "AND t.\"value\" = i.old_value RETURNING t.\"key\"), "
               "deleted AS (DELETE FROM %1 AS t USING input AS i "
               "WHERE md5(t.\"key\") = md5(i.\"key\") AND t.\"key\" = i.\"key\" "
               "AND (i.mode = 2 OR (i.mode = 5 AND t.\"value\" = i.old_value)) "
               "RETURNING t.\"key\"), "
               "written AS (SELECT \"key\" FROM upserted UNION ALL SELECT \"key\" FROM inserted "
               "UNION ALL SELECT \"key\" FROM updated UNION ALL SELECT \"key\" FROM deleted) "
               // EXCEPT, not NOT EXISTS: a prepared statement gets a generic plan from its
               // sixth run, which takes the arrays for a few rows and ran NOT EXISTS as a
               // nested loop, 11.8 s instead of 0.23 s for 10,000 rows. EXCEPT has no plan
               // that compares every pair.
               "(SELECT \"key\" FROM input WHERE \"key\" IS NOT NULL AND mode IN (1, 3, 4, 5) "
               "EXCEPT SELECT \"key\" FROM written) "
               "UNION ALL SELECT i.\"key\" FROM input AS i LEFT JOIN %1 AS t "
               "ON md5(t.\"key\") = md5(i.\"key\") AND t.\"key\" = i.\"key\" "
               "WHERE i.\"key\" IS NOT NULL AND i.mode = 0 "
               "AND t.\"value\" IS DISTINCT FROM i.old_value "
               // Watchers learn which keys were written, once the statement commits.
               "UNION ALL SELECT CAST(NULL AS text) FROM (SELECT pg_notify(CAST(? AS text), "
               "CASE WHEN octet_length(w.keys) < %2 THEN w.keys ELSE '' END) "
               "FROM (SELECT CAST(json_agg(\"key\") AS text) AS keys FROM written) AS w "
               "WHERE w.keys IS NOT NULL) AS notified")
        .arg(quotedTable, QString::number(MaxNotifyPayload));
}

Error SqlStoragePrivate::checkKey(const QString &key) const
{
    if (key.isEmpty())
        return Error(ErrorCode::InvalidKey, key, QStringLiteral("the key is empty"));
    if (!QStringView(key).isValidUtf16())
        return Error(ErrorCode::InvalidKey, key,
                     QStringLiteral("the key is not valid UTF-16 (it has an unpaired surrogate)"));
    if (backend == Backend::PostgreSql && key.contains(QChar(0)))
        return Error(ErrorCode::InvalidKey, key,
                     QStringLiteral("PostgreSQL cannot store the NUL character in a key"));
    return {};
}

// The one place where Qt SQL errors become PersistVar errors: the driver's reason, a hint for the
// usual causes, and never the password.
Error SqlStoragePrivate::sqlError(const QString &key, const QString &action, const QSqlError &error,
                                  bool connectionLost) const
{
    QString reason = error.databaseText().simplified();
    if (reason.isEmpty())
        reason = error.driverText().simplified();
    if (reason.isEmpty())
        reason = QStringLiteral("unknown error");
    const QString code = error.nativeErrorCode();
    QString hint;
    if (backend == Backend::Sqlite) {
        switch (code.toInt()
                & 0xff) { // extended result codes keep the primary code in the low byte
        case 5: // SQLITE_BUSY
        case 6: // SQLITE_LOCKED
            hint = QStringLiteral("another connection or process held the database longer than "
                                  "the busy timeout of %1 ms")
                       .arg(options.busyTimeout.count());
            break;
        case 8: // SQLITE_READONLY
            hint = QStringLiteral("the database file or its folder is read-only");
            break;
        case 13: // SQLITE_FULL
            hint = QStringLiteral("the disk is full");
            break;
        case 14: // SQLITE_CANTOPEN
            hint = QStringLiteral("SQLite cannot open the file, or create the -wal and -shm files "
                                  "beside it");
            break;
        case 11: // SQLITE_CORRUPT
            hint = QStringLiteral("the database file is damaged");
            break;
        case 26: // SQLITE_NOTADB
            hint = QStringLiteral("%1 is not an SQLite database").arg(databaseName);
            break;
        default:
            break;
        }
    } else if (connectionLost || code.startsWith(QLatin1String("08"))
               || code == QLatin1String("57P01")) {
        hint = QStringLiteral("the connection to the server was lost; the next call reconnects");
    } else if (code == QLatin1String("55P03")) {
        hint = QStringLiteral("another session held a lock longer than the busy timeout of %1 ms")
                   .arg(options.busyTimeout.count());
    } else if (code == QLatin1String("40P01") || code == QLatin1String("40001")) {
        hint = QStringLiteral("another session wrote the same keys at the same time; try again");
    }
    QString message = QStringLiteral("%1 %2: %3").arg(action, descriptionText, reason);
    if (!hint.isEmpty())
        message += QStringLiteral(" (%1)").arg(hint);
    // libpq does not echo passwords; this is the second line of defence.
    if (password.size() >= 4)
        message.replace(password, QStringLiteral("xxxxx"));
    return storageFailed(key, message);
}

// Registers (does not open) a new connection called \a name to the store, for this thread.
QSqlDatabase SqlStoragePrivate::addConnection(const QString &name) const
{
    // Qt connections are bound to their thread: other threads get a copy of the application's
    // connection (same driver, database, user and options).
    if (!appConnection.isEmpty())
        return QSqlDatabase::cloneDatabase(appConnection, name);
    QSqlDatabase db = QSqlDatabase::addDatabase(driverName, name);
    db.setDatabaseName(databaseName);
    db.setHostName(host);
    db.setPort(port);
    db.setUserName(user);
    db.setPassword(password);
    db.setConnectOptions(connectOptions);
    return db;
}

Error SqlStoragePrivate::openConnection(Connection *connection)
{
    QThread *const thread = QThread::currentThread();
    connection->serial = ++connectionSerial;
    if (!appConnection.isEmpty() && appThread == thread) {
        connection->name = appConnection;
        connection->borrowed = true;
        QSqlDatabase db = QSqlDatabase::database(appConnection, false);
        if (!db.isValid())
            return storageFailed(QString(),
                                 QStringLiteral("the application's SQL connection \"%1\" no "
                                                "longer exists")
                                     .arg(appConnection));
        if (!db.isOpen() && !db.open())
            return sqlError(QString(), QStringLiteral("cannot open"), db.lastError());
        return configure(*connection);
    }

    connection->name = QStringLiteral("persistvar-%1-%2")
                           .arg(serial)
                           .arg(quintptr(QThread::currentThreadId()), 0, 16);
    QSqlDatabase db = addConnection(connection->name);
    if (!db.isValid()) {
        QSqlDatabase::removeDatabase(connection->name);
        return storageFailed(QString(),
                             QStringLiteral("the application's SQL connection \"%1\" no longer "
                                            "exists")
                                 .arg(appConnection));
    }
    if (!db.open()) {
        const QSqlError error = db.lastError();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(connection->name);
        const QString action = backend == Backend::Sqlite ? QStringLiteral("cannot open")
                                                          : QStringLiteral("cannot connect to");
        return sqlError(QString(), action, error);
    }
    connection->database = db;
    db = QSqlDatabase();
    qCDebug(lcSql).noquote() << "opened connection" << connection->name << "to" << descriptionText;
    if (Error e = configure(*connection); e.isError()) {
        closeConnection(*connection);
        return e;
    }
    return {};
}

// Per-connection set-up. The application's connections (fromConnection()) keep their settings.
Error SqlStoragePrivate::configure(Connection &connection)
{
    QSqlDatabase db =
        connection.borrowed ? QSqlDatabase::database(connection.name, false) : connection.database;
    const bool own = appConnection.isEmpty();
    const auto run = [&](const QString &sql, const QString &action, QVariant *result) -> Error {
        QSqlQuery query(db);
        query.setForwardOnly(true);
        const auto attempt = [&] { return query.exec(sql) ? QSqlError() : query.lastError(); };
        const QSqlError error =
            backend == Backend::Sqlite ? retryWhileBusy(options.busyTimeout, attempt) : attempt();
        if (error.isValid())
            return sqlError(QString(), action, error);
        if (result && query.next())
            *result = query.value(0);
        return {};
    };

    if (backend == Backend::PostgreSql) {
        if (!own)
            return {};
        return run(QStringLiteral("SET lock_timeout = %1").arg(options.busyTimeout.count()),
                   QStringLiteral("cannot configure the connection to"), nullptr);
    }

    // Read first: a file that is not a database fails here, before anything could write to it.
    if (Error e = run(QStringLiteral("SELECT count(*) FROM sqlite_master"),
                      QStringLiteral("cannot open"), nullptr);
        e.isError())
        return e;
    if (!own)
        return {};
    QVariant mode;
    if (Error e =
            run(QStringLiteral("PRAGMA journal_mode=WAL"), QStringLiteral("cannot open"), &mode);
        e.isError() || mode.toString().compare(QLatin1String("wal"), Qt::CaseInsensitive) != 0) {
        // A read-only database cannot switch; reading it still works.
        if (!std::exchange(walWarningShown, true))
            qCWarning(lcSql).noquote()
                << "could not switch" << descriptionText
                << "to WAL mode:" << (e.isError() ? e.message() : mode.toString());
    }
    const QString synchronous = options.durability == SqlStorage::Durability::Full
        ? QStringLiteral("PRAGMA synchronous=FULL")
        : QStringLiteral("PRAGMA synchronous=NORMAL");
    return run(synchronous, QStringLiteral("cannot configure"), nullptr);
}

QList<Error> SqlStoragePrivate::write(const QList<StorageWrite> &writes)
{
    QList<Error> errors(writes.size());
    QList<qsizetype> entries; // the writes with a usable key
    entries.reserve(writes.size());
    // Only PostgreSQL needs to know (see below); SQLite saves hashing every key.
    const bool postgres = backend == Backend::PostgreSql;
    QSet<QString> keys;
    bool uniqueKeys = true;
    for (qsizetype i = 0; i < writes.size(); ++i) {
        if (Error e = checkKey(writes.at(i).key); e.isError()) {
            errors[i] = e;
            continue;
        }
        entries.append(i);
        if (postgres) {
            if (keys.contains(writes.at(i).key))
                uniqueKeys = false;
            keys.insert(writes.at(i).key);
        }
    }
    if (entries.isEmpty())
        return errors;

    SqlCall call(this);
    Error failure = call.start(QString());
    if (!failure.isError()) {
        QElapsedTimer timer;
        timer.start();
        // One statement cannot write a row twice, so a batch naming a key twice (never from
        // VarManager) goes row by row, in order.
        if (postgres && uniqueKeys)
            failure = call.writeBulk(writes, entries, &errors);
        else
            failure = call.writeRows(writes, entries, &errors);
        qCDebug(lcSql).noquote() << "wrote" << entries.size() << "entries to" << descriptionText
                                 << "in" << timer.elapsed() << "ms";
    }
    if (failure.isError()) {
        for (qsizetype i : std::as_const(entries))
            errors[i] = withKey(failure, writes.at(i).key);
    }
    return errors;
}

SqlStorage::SqlStorage(std::unique_ptr<SqlStoragePrivate> d) : d(std::move(d)) { }

SqlStorage::~SqlStorage()
{
    close();
}

namespace {
// Opens the first connection on this thread and checks or creates the schema.
Result<std::unique_ptr<SqlStorage>> finishOpening(std::unique_ptr<SqlStorage> storage,
                                                  SqlStoragePrivate *d)
{
    {
        SqlCall call(d);
        Error e = call.start(QString());
        if (!e.isError())
            e = call.ensureSchema();
        if (e.isError())
            return e; // the storage closes its connections as it goes
    }
    return storage;
}
} // namespace

Result<std::unique_ptr<SqlStorage>> SqlStorage::openSqlite(const QString &path)
{
    return openSqlite(path, Options());
}

Result<std::unique_ptr<SqlStorage>> SqlStorage::openSqlite(const QString &path,
                                                           const Options &options)
{
    if (Error e = validateTable(options.table); e.isError())
        return e;
    if (path.isEmpty() || path == QLatin1String(":memory:"))
        return invalidArgument(QStringLiteral("SqlStorage::openSqlite() needs a file path; for a "
                                              "store in memory use the store name \"memory:\""));
    if (Error e = requireSqlDriver(QStringLiteral("QSQLITE"), QStringLiteral("libqt6sql6-sqlite"));
        e.isError())
        return e;
    const QString absolutePath = QDir::cleanPath(QFileInfo(path).absoluteFilePath());
    if (Error e = createParentFolders(absolutePath); e.isError())
        return e;
    if (Error e = createDatabaseFile(absolutePath); e.isError())
        return e;

    auto d = std::make_unique<SqlStoragePrivate>();
    d->backend = Backend::Sqlite;
    d->options = options;
    d->setTable(options.table);
    d->driverName = QStringLiteral("QSQLITE");
    d->databaseName = absolutePath;
    // SQLite waits a little for another process's lock itself, then SqlCall retries up to
    // options.busyTimeout (see retryWhileBusy()).
    d->connectOptions = QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1")
                            .arg(std::min(options.busyTimeout, SqliteBusyStep).count());
    d->descriptionText = QStringLiteral("sqlite:") + absolutePath;
    if (options.table != Options().table)
        d->descriptionText += QStringLiteral("?table=") + options.table;
    SqlStoragePrivate *raw = d.get();
    return finishOpening(std::unique_ptr<SqlStorage>(new SqlStorage(std::move(d))), raw);
}

Result<std::unique_ptr<SqlStorage>> SqlStorage::openPostgreSql(const QString &url)
{
    return openPostgreSql(url, Options());
}

Result<std::unique_ptr<SqlStorage>> SqlStorage::openPostgreSql(const QString &url,
                                                               const Options &options)
{
    Result<PostgresTarget> parsed = parsePostgresUrl(url);
    if (!parsed.isOk())
        return parsed.error();
    PostgresTarget target = std::move(parsed).value();
    const QString table = target.table.isEmpty() ? options.table : target.table;
    if (Error e = validateTable(table); e.isError())
        return e;
    if (Error e = requireSqlDriver(QStringLiteral("QPSQL"), QStringLiteral("libqt6sql6-psql"));
        e.isError())
        return e;

    auto d = std::make_unique<SqlStoragePrivate>();
    d->backend = Backend::PostgreSql;
    d->options = options;
    d->setTable(table);
    d->driverName = QStringLiteral("QPSQL");
    d->databaseName = target.database;
    d->host = target.host;
    d->port = target.port;
    d->user = target.user;
    d->password = target.password;
    d->connectOptions = target.connectOptions.join(QLatin1Char(';'));
    QUrl shown;
    shown.setScheme(QStringLiteral("postgresql"));
    shown.setUserName(target.user);
    shown.setHost(target.host);
    shown.setPort(target.port);
    shown.setPath(QLatin1Char('/') + target.database);
    shown.setQuery(QStringLiteral("table=") + table);
    d->descriptionText = shown.toString();
    SqlStoragePrivate *raw = d.get();
    return finishOpening(std::unique_ptr<SqlStorage>(new SqlStorage(std::move(d))), raw);
}

Result<std::unique_ptr<SqlStorage>> SqlStorage::fromConnection(const QString &connectionName)
{
    return fromConnection(connectionName, Options());
}

Result<std::unique_ptr<SqlStorage>> SqlStorage::fromConnection(const QString &connectionName,
                                                               const Options &options)
{
    if (Error e = validateTable(options.table); e.isError())
        return e;
    if (!QCoreApplication::instance())
        return storageFailed(QString(),
                             QStringLiteral("SqlStorage needs a QCoreApplication: Qt "
                                            "SQL does not work without one"));
    if (!QSqlDatabase::contains(connectionName))
        return invalidArgument(QStringLiteral("there is no QSqlDatabase connection called \"%1\"")
                                   .arg(connectionName));
    QSqlDatabase db = QSqlDatabase::database(connectionName, false);
    if (!db.isValid())
        return invalidArgument(QStringLiteral("the QSqlDatabase connection \"%1\" belongs to "
                                              "another thread; call fromConnection() from the "
                                              "thread that created it")
                                   .arg(connectionName));

    auto d = std::make_unique<SqlStoragePrivate>();
    const QString driver = db.driverName();
    if (driver == QLatin1String("QSQLITE")) {
        d->backend = Backend::Sqlite;
        d->descriptionText = QStringLiteral("sqlite:") + db.databaseName();
        if (options.table != Options().table)
            d->descriptionText += QStringLiteral("?table=") + options.table;
    } else if (driver == QLatin1String("QPSQL")) {
        d->backend = Backend::PostgreSql;
        QUrl shown;
        shown.setScheme(QStringLiteral("postgresql"));
        shown.setUserName(db.userName());
        shown.setHost(db.hostName());
        shown.setPort(db.port());
        shown.setPath(QLatin1Char('/') + db.databaseName());
        shown.setQuery(QStringLiteral("table=") + options.table);
        d->descriptionText = shown.toString();
    } else {
        return invalidArgument(
            QStringLiteral("the connection \"%1\" uses the driver %2; SqlStorage "
                           "works with QSQLITE and QPSQL")
                .arg(connectionName, driver));
    }
    d->descriptionText += QStringLiteral(" (connection \"%1\")").arg(connectionName);
    d->options = options;
    d->setTable(options.table);
    d->driverName = driver;
    d->databaseName = db.databaseName();
    d->password = db.password(); // only to scrub it from messages
    d->appConnection = connectionName;
    d->appThread = db.driver()->thread();
    db = QSqlDatabase();
    SqlStoragePrivate *raw = d.get();
    return finishOpening(std::unique_ptr<SqlStorage>(new SqlStorage(std::move(d))), raw);
}

Result<void> SqlStorage::checkKey(const QString &key) const
{
    if (Error e = d->checkKey(key); e.isError())
        return e;
    return {};
}

Result<QByteArray> SqlStorage::load(const QString &key)
{
    if (Error e = d->checkKey(key); e.isError())
        return e;
    SqlCall call(d.get());
    if (Error e = call.start(key); e.isError())
        return e;
    Result<std::optional<QByteArray>> value = call.loadValue(key);
    if (!value.isOk() && call.reconnectAfterLoss(key))
        value = call.loadValue(key);
    if (!value.isOk())
        return value.error();
    if (!value.value())
        return Error(ErrorCode::NotFound, key, QStringLiteral("no stored value"));
    return *value.value();
}

Result<void> SqlStorage::save(const QString &key, const QByteArray &newValue,
                              const std::optional<QByteArray> &oldValue)
{
    return d->write({StorageWrite{key, newValue, oldValue, true}}).constFirst();
}

Result<void> SqlStorage::saveUnconditionally(const QString &key, const QByteArray &newValue)
{
    return d->write({StorageWrite{key, newValue, std::nullopt, false}}).constFirst();
}

Result<void> SqlStorage::remove(const QString &key)
{
    return d->write({StorageWrite{key, std::nullopt, std::nullopt, false}}).constFirst();
}

Result<void> SqlStorage::close()
{
    stopWatching();
    QMutexLocker lock(&d->connections->mutex);
    d->connections->closed = true;
    // Connections of other threads are closed here too: Qt allows removing a connection from
    // another thread once no query of it is alive, and the mutex guarantees none is running.
    for (auto &[thread, connection] : d->connections->byThread)
        closeConnection(connection);
    d->connections->byThread.clear();
    return {};
}

QList<Error> SqlStorage::saveBatch(const QList<StorageWrite> &writes)
{
    return d->write(writes);
}

Result<QHash<QString, QByteArray>> SqlStorage::loadAll()
{
    SqlCall call(d.get());
    if (Error e = call.start(QString()); e.isError())
        return e;
    QHash<QString, QByteArray> values;
    const auto insert = [&values](const auto &key, const auto &value) {
        values.insert(ownedKey(key), ownedBytes(value));
    };
    qsizetype visited = 0;
    Error e = call.visitAll(insert, &visited);
    if (e.isError() && call.reconnectAfterLoss(QString())) {
        values.clear();
        e = call.visitAll(insert, &visited);
    }
    if (e.isError())
        return e;
    return values;
}

Result<void> SqlStorage::loadEach(const EntryVisitor &visitor)
{
    SqlCall call(d.get());
    if (Error e = call.start(QString()); e.isError())
        return e;
    const auto visit = [&visitor](const auto &key, const auto &value) { visitor(key, value); };
    qsizetype visited = 0;
    Error e = call.visitAll(visit, &visited);
    // Read again on a fresh connection only if no row was visited: each must be visited once.
    if (e.isError() && visited == 0 && call.reconnectAfterLoss(QString()))
        e = call.visitAll(visit, &visited);
    if (e.isError())
        return e;
    return {};
}

Result<QStringList> SqlStorage::keys()
{
    SqlCall call(d.get());
    if (Error e = call.start(QString()); e.isError())
        return e;
    const auto read = [&]() -> Result<QStringList> {
        Error error;
        QSqlQuery *query = call.statement(d->keysSql, QString(), &error);
        if (!query)
            return error;
        const QString action = QStringLiteral("cannot list the keys of");
        if (Error e = call.exec(query, QString(), action); e.isError())
            return e;
        QStringList keys;
        if (Error e =
                call.readRows(query, QString(), action,
                              [&](const QSqlQuery &q) { keys.append(q.value(0).toString()); });
            e.isError())
            return e;
        return keys;
    };
    Result<QStringList> keys = read();
    if (!keys.isOk() && call.reconnectAfterLoss(QString()))
        keys = read();
    return keys;
}

Result<void> SqlStorage::startWatching(QObject *context, ChangeCallback callback)
{
    if (!context || !callback)
        return invalidArgument(QStringLiteral("startWatching() needs a context and a callback"));
    // The watcher's timer and, on PostgreSQL, its connection live in the context's thread.
    if (context->thread() != QThread::currentThread())
        return invalidArgument(QStringLiteral("call startWatching() from the thread of its "
                                              "context object"));
    stopWatching();
    {
        QMutexLocker lock(&d->connections->mutex);
        if (d->connections->closed)
            return Error(ErrorCode::Closed, QString(), QStringLiteral("the SQL store is closed"));
    }
    auto *watcher = new SqlWatcher(d.get(), std::move(callback), context);
    if (Error e = watcher->start(); e.isError()) {
        delete watcher;
        return e;
    }
    QMutexLocker lock(&d->watchMutex);
    d->watcher = watcher;
    return {};
}

void SqlStorage::stopWatching()
{
    QPointer<SqlWatcher> watcher;
    {
        QMutexLocker lock(&d->watchMutex);
        watcher = std::exchange(d->watcher, nullptr);
    }
    if (!watcher)
        return;
    watcher->detach();
    // Deleted in its own thread, where its timer and connection live, and never from within
    // its own callback.
    watcher->deleteLater();
}

QString SqlStorage::description() const
{
    return d->descriptionText;
}

QString SqlStorage::table() const
{
    return d->options.table;
}

} // namespace PersistVar
