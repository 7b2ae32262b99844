// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/storage.h>

#include <QtCore/QString>

#include <chrono>
#include <memory>

namespace PersistVar {

class SqlStoragePrivate;

/*!
 * \brief A Storage in one SQL table, through Qt SQL: SQLite (QSQLITE) or PostgreSQL (QPSQL).
 *
 * SQLite is the embedded default store (a file beside the application's data); PostgreSQL is for
 * applications whose users outgrow one machine: several processes on several hosts share one
 * table. Both keep every value in a table with the columns \c key (text, primary key) and
 * \c value (bytes); the schema is created on first use and its version is recorded in the table
 * \c persistvar_meta, so a later version of PersistVar can migrate it.
 *
 * \code
 * auto storage =
 * PersistVar::SqlStorage::openSqlite(QStringLiteral("/home/ada/.local/share/app/app.db")); if
 * (!storage.isOk()) { qWarning() << storage.error(); return;
 * }
 * PersistVar::VarManager manager(std::move(storage).value());
 * \endcode
 *
 * \section sqlcas Compare-and-swap
 * save() is a conditional update in the database itself (\c UPDATE ... \c WHERE \c value = old),
 * so two processes, or two hosts, never lose each other's updates: the second one gets
 * ErrorCode::Conflict, even when the value it finds happens to equal its own (two update() calls
 * that both turn 1 into 2 must not both succeed).
 *
 * \section sqlbatch Batches
 * saveBatch() runs in one transaction. When the store fails (I/O, a lost connection, a trigger or
 * constraint of the application refusing a row) the transaction is rolled back: nothing of the
 * batch is stored and every entry reports the error. A Conflict is not a failure of the store:
 * that entry is reported as ErrorCode::Conflict and the other entries are committed, so one
 * contested key never holds back the rest (VarManager keeps the conflicting variable dirty and
 * writes it again). On PostgreSQL a batch is sent as one statement per 1,000 rows, never one
 * round trip per row.
 *
 * \section sqlthreads Threads
 * Every member may be called from any thread; calls are serialized. A QSqlDatabase connection
 * may only be used by the thread that created it, so SqlStorage opens one connection per calling
 * thread when that thread first uses it, and closes it when the thread ends or when the storage is
 * closed, whichever comes first. With fromConnection() the application's connection is used on
 * the thread that owns it and copied (QSqlDatabase::cloneDatabase()) for other threads.
 *
 * \section sqldurability Durability
 * SQLite runs in WAL mode. With Durability::Full (the default) each transaction is flushed to
 * disk before it reports success, so a sync() that succeeded survives a power loss.
 * Durability::Normal flushes less often: faster, and the database never corrupts, but the last
 * transactions before a power loss may be lost. On PostgreSQL durability is the server's setting.
 *
 * \section sqlerrors Errors
 * Every failure of the database is ErrorCode::StorageFailed with the driver's reason and the
 * store (for example "sqlite:/path/app.db"), never a password. A busy SQLite database is waited
 * for up to Options::busyTimeout, then reported. On PostgreSQL a connection that was lost is
 * reopened by the next call.
 *
 * \section sqllimits Limitations
 * - On PostgreSQL a key cannot contain the NUL character (text columns cannot hold it): such keys
 *   are ErrorCode::InvalidKey. Keys must be valid UTF-16 on both backends.
 * - A connection passed to fromConnection() must not be inside a transaction of its own when the
 *   storage uses it on the thread that owns it.
 * - Several SqlStorage objects, several processes and the application's own SQL code may share
 *   one table: every write is a single conditional statement or transaction.
 */
class PERSISTVAR_EXPORT SqlStorage : public Storage
{
public:
    /*! How hard SQLite works to keep the last transactions on a power loss. */
    enum class Durability {
        /*!
         * \c PRAGMA \c synchronous=FULL in WAL mode: a transaction that returned success survives
         * a power loss. The default.
         */
        Full,
        /*!
         * \c PRAGMA \c synchronous=NORMAL in WAL mode: faster; a power loss may lose the last
         * transactions, but never corrupts the database.
         */
        Normal,
    };

    /*! Settings for opening a store. */
    struct Options
    {
        /*!
         * The table holding the values. Letters, digits and underscores, not starting with a
         * digit, at most 63 characters; anything else is ErrorCode::InvalidArgument.
         */
        QString table = QStringLiteral("persistvar");
        /*! SQLite only; see Durability. */
        Durability durability = Durability::Full;
        /*!
         * How long to wait for a lock held by another connection or process before reporting
         * ErrorCode::StorageFailed: SQLite's busy timeout, PostgreSQL's \c lock_timeout.
         */
        std::chrono::milliseconds busyTimeout{10000};
    };

    /*!
     * Opens the SQLite database at \a path with default Options, creating it (permissions 0600)
     * and its missing folders (0700) when needed. A file that is not an SQLite database is
     * ErrorCode::StorageFailed and left untouched. Call from any thread; needs a QCoreApplication.
     */
    static Result<std::unique_ptr<SqlStorage>> openSqlite(const QString &path);
    /*! Same as openSqlite(path), with \a options. */
    static Result<std::unique_ptr<SqlStorage>> openSqlite(const QString &path,
                                                          const Options &options);

    /*!
     * Opens the PostgreSQL database named by \a url:
     * `postgresql://user[:password]@host[:port]/database[?table=name]` (also `postgres://`).
     * User and password are percent-decoded. Without a password in the URL, libpq takes it from
     * the \c PGPASSWORD environment variable or \c ~/.pgpass. Besides \c table the query may set
     * \c sslmode, \c connect_timeout (default 5 s) and \c application_name; anything else is
     * ErrorCode::InvalidArgument. A server that is down or refuses the login is
     * ErrorCode::StorageFailed naming host, port, database and user, without the password.
     */
    static Result<std::unique_ptr<SqlStorage>> openPostgreSql(const QString &url);
    /*! Same as openPostgreSql(url), with \a options; a \c table in \a url wins over Options::table. */
    static Result<std::unique_ptr<SqlStorage>> openPostgreSql(const QString &url,
                                                              const Options &options);

    /*!
     * Uses the application's QSqlDatabase connection called \a connectionName (QSQLITE or QPSQL),
     * opening it if needed. Call from the thread that created the connection; the storage uses it
     * there and clones it for other threads. The connection stays the application's: close()
     * leaves it open. Its own settings (busy timeout, journal mode) are kept; Options::table is
     * used, the rest of \a options is ignored.
     */
    static Result<std::unique_ptr<SqlStorage>> fromConnection(const QString &connectionName);
    /*! Same as fromConnection(connectionName), with \a options. */
    static Result<std::unique_ptr<SqlStorage>> fromConnection(const QString &connectionName,
                                                              const Options &options);

    /*! Closes every connection the storage opened. */
    ~SqlStorage() override;

    Result<QByteArray> load(const QString &key) override;
    Result<void> save(const QString &key, const QByteArray &newValue,
                      const std::optional<QByteArray> &oldValue) override;
    Result<void> saveUnconditionally(const QString &key, const QByteArray &newValue) override;
    Result<void> remove(const QString &key) override;
    /*!
     * Closes the connections of every thread; later calls return ErrorCode::Closed. Closing
     * twice is harmless. The application's connection of fromConnection() stays open.
     */
    Result<void> close() override;
    QList<Error> saveBatch(const QList<StorageWrite> &writes) override;
    /*!
     * Reports changes by other writers to \a callback in \a context's thread, which needs an
     * event loop; call it from that thread (else ErrorCode::InvalidArgument).
     *
     * SQLite: every 250 ms a cheap check (\c PRAGMA \c data_version) tells whether another
     * connection committed; if so, the keys whose values differ are reported. This also sees
     * changes made by the application's own SQL on another connection.
     *
     * PostgreSQL: every write of a SqlStorage notifies the table's channel
     * (\c persistvar_TABLE) with the keys it wrote; a separate connection LISTENs to it, so
     * changes from other processes and hosts arrive within milliseconds. Writes by other SQL
     * code do not notify and are not seen. A lost server connection is re-established within
     * 5 s, and then every key is reported as possibly changed.
     *
     * Writes of this process may be reported too; VarManager ignores what it already knows.
     */
    Result<void> startWatching(QObject *context, ChangeCallback callback) override;
    /*! Stops reporting changes; no callback runs after it returns. Safe from any thread. */
    void stopWatching() override;
    /*! Every key and value, in one query. */
    Result<QHash<QString, QByteArray>> loadAll() override;
    /*!
     * Every key and value, in one query, streamed to \a visitor without a copy on SQLite. The
     * rows are read while the storage is locked: \a visitor must not call this storage.
     */
    Result<void> loadEach(const EntryVisitor &visitor) override;
    /*! Every key, sorted by the database's collation. */
    Result<QStringList> keys() override;
    /*!
     * For example "sqlite:/path/app.db" or "postgresql://ada@db.example:5432/app?table=vars";
     * never a password.
     */
    QString description() const override;
    Result<void> checkKey(const QString &key) const override;

    /*! The table holding the values. */
    QString table() const;

private:
    friend class SqlStoragePrivate;
    explicit SqlStorage(std::unique_ptr<SqlStoragePrivate> d);

    std::unique_ptr<SqlStoragePrivate> const d;
};

} // namespace PersistVar
