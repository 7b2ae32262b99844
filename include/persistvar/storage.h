// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/persistvar_export.h>
#include <persistvar/result.h>

#include <QtCore/QAnyStringView>
#include <QtCore/QByteArray>
#include <QtCore/QByteArrayView>
#include <QtCore/QHash>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QString>
#include <QtCore/QStringList>

#include <functional>
#include <memory>
#include <optional>

namespace PersistVar {

/*!
 * \brief One write in a batch handed to Storage::saveBatch().
 *
 * \c newValue is the encoded value to store; std::nullopt removes the key.
 * \c oldValue is what the writer last read or wrote: the bytes, or std::nullopt when it believes
 * the key is absent. A backend that can compare-and-swap refuses the write with
 * ErrorCode::Conflict when the stored state differs from \c oldValue.
 */
struct StorageWrite
{
    /*! The key to write. */
    QString key;
    /*! The encoded value to store, or std::nullopt to remove the key. */
    std::optional<QByteArray> newValue;
    /*! What the writer last saw: the bytes, or std::nullopt for "absent". */
    std::optional<QByteArray> oldValue;
    /*! When false the write is unconditional (last writer wins) and \c oldValue is ignored. */
    bool compareOldValue = true;
};

/*!
 * \brief The byte store beneath a VarManager: save, load, remove, close, plus batches.
 *
 * Storage knows nothing about types: values arrive already encoded by PersistVar::Codec.
 * Implementations need not be thread-safe; VarManager serializes every call to one Storage.
 * A backend whose handles are tied to a thread (QSqlDatabase) must handle calls from any thread
 * itself, for example with one connection per calling thread.
 *
 * To write a backend, implement load(), save(), remove() and close(); override saveBatch() when
 * the store can write several keys as one unit (one transaction, one file sync), and loadAll()
 * when reading everything at once is cheaper than one load() per key.
 *
 * \code
 * auto storage = std::make_unique<PersistVar::MemoryStorage>();
 * storage->save("volume", PersistVar::encode(0.5), std::nullopt);
 * \endcode
 */
class PERSISTVAR_EXPORT Storage
{
public:
    Storage();
    virtual ~Storage();
    Q_DISABLE_COPY_MOVE(Storage)

    /*!
     * Returns the bytes stored under \a key. A missing key is ErrorCode::NotFound; any other
     * failure (I/O, permission, corrupt store) must be reported as such and never as NotFound,
     * so that a default is never written over real data.
     */
    virtual Result<QByteArray> load(const QString &key) = 0;

    /*!
     * Stores \a newValue under \a key. \a oldValue is what the caller last read or wrote
     * (std::nullopt: absent). A compare-and-swap backend returns ErrorCode::Conflict when the
     * stored state differs from \a oldValue; every backend skips the write when \a newValue
     * equals \a oldValue.
     */
    virtual Result<void> save(const QString &key, const QByteArray &newValue,
                              const std::optional<QByteArray> &oldValue) = 0;

    /*! Removes \a key. Removing a missing key succeeds. */
    virtual Result<void> remove(const QString &key) = 0;

    /*! Releases the store. Later calls return ErrorCode::Closed. Closing twice is harmless. */
    virtual Result<void> close() = 0;

    /*!
     * Writes several keys as one unit. Returns one Error per entry of \a writes, in order
     * (a default Error for success). The default implementation loops over save() and remove();
     * transactional backends write all entries or none, and report a store failure on every entry.
     */
    virtual QList<Error> saveBatch(const QList<StorageWrite> &writes);

    /*!
     * Returns every stored key and its bytes, or ErrorCode::NotSupported (the default), in which
     * case VarManager loads keys one by one. Used to open a store with many variables in one read.
     */
    virtual Result<QHash<QString, QByteArray>> loadAll();

    /*!
     * Calls \a visitor once for every stored key and its bytes, in no particular order. The views
     * are valid only during that call. Returns ErrorCode::NotSupported when the backend cannot
     * read everything at once.
     *
     * The default implementation iterates loadAll(). A backend overrides it to stream its rows
     * without building a hash: VarManager preloads a store through it, so opening 100,000
     * variables costs one pass over the rows instead of a hash of copies.
     */
    using EntryVisitor = std::function<void(QAnyStringView key, QByteArrayView value)>;
    virtual Result<void> loadEach(const EntryVisitor &visitor);

    /*!
     * Stores \a newValue whatever is stored now (last writer wins). The default implementation
     * loads the current bytes and calls save() with them as the old value.
     */
    virtual Result<void> saveUnconditionally(const QString &key, const QByteArray &newValue);

    /*! Returns the stored keys, or ErrorCode::NotSupported (the default). */
    virtual Result<QStringList> keys();

    /*!
     * Called by a watching storage when other writers changed keys: \a keys lists them, or is
     * empty when the backend cannot tell which keys changed (then every variable is reloaded).
     * Reporting too much is harmless: VarManager compares with what it last saw, so a process
     * is never told about its own writes as if they were foreign.
     */
    using ChangeCallback = std::function<void(const QStringList &keys)>;

    /*!
     * Starts reporting changes made by other processes, managers or hosts. \a callback runs in
     * \a context's thread (which needs an event loop) until stopWatching() or close(). Returns
     * ErrorCode::NotSupported (the default) when the backend cannot watch.
     */
    virtual Result<void> startWatching(QObject *context, ChangeCallback callback);

    /*! Stops reporting changes. Harmless when not watching. */
    virtual void stopWatching();

    /*!
     * True (the default) when every member may be called from any thread (one at a time).
     * VarManager then writes autoSync batches on a background thread. A backend bound to one
     * thread (a QSettings object the application owns) returns false and is synced in the
     * manager's thread.
     */
    virtual bool isSafeFromAnyThread() const;

    /*! A short description for logs and messages, without credentials (e.g. "file:/tmp/x"). */
    virtual QString description() const;

    /*!
     * Returns ErrorCode::InvalidKey, naming the cause, when this store can never hold \a key
     * (QSettings drops a leading '/', PostgreSQL text cannot hold NUL); VarManager::var() asks
     * before it makes a variable, so such a key fails at once instead of at every sync. The
     * default refuses only the empty key.
     */
    virtual Result<void> checkKey(const QString &key) const;
};

/*!
 * Opens a store from its name. Supported names:
 *
 * | name | store |
 * |---|---|
 * | (empty) | the embedded default in QStandardPaths::AppDataLocation |
 * | \c memory: | a private MemoryStorage, gone when closed |
 * | \c memory:NAME | a MemoryStorage shared by name within the process |
 * | \c file:/dir | a FileStorage, one file per key in \c /dir |
 *
 * Later backends add their own schemes. A malformed or unknown name is
 * ErrorCode::InvalidArgument with a message saying what is wrong; credentials never appear in it.
 */
PERSISTVAR_EXPORT Result<std::unique_ptr<Storage>> openStorage(const QString &name);

/*! The path of the default store used when no store name is given. */
PERSISTVAR_EXPORT QString defaultStorePath();

} // namespace PersistVar
