// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/persistvar_export.h>
#include <persistvar/result.h>
#include <persistvar/storage.h>
#include <persistvar/var.h>

#include <QtCore/QObject>
#include <QtCore/QString>

#include <chrono>
#include <memory>

namespace PersistVar {

class VarManagerPrivate;
class VarGroup;
struct Migration;

/*!
 * What a sync does when another writer changed a key that also has a local, unsynced value.
 */
enum class ConflictPolicy {
    /*!
     * The default: compare-and-swap refuses the write, the variable keeps its local value
     * (still dirty, no longer synced), and VarManager::conflictDetected() offers both values.
     * The application calls VarManager::resolveConflict() to keep one. Nothing is lost silently.
     */
    Ask,
    /*! The local value is written over the other writer's (last writer wins). */
    LastWriterWins,
};

/*! Whether a value equal to its default is stored. */
enum class DefaultsPolicy {
    /*!
     * The default: a value equal to the default is not stored (setting it removes the stored
     * entry), so a later version of the application can change the default for every user who
     * kept it. KConfig behaves this way.
     */
    NotWritten,
    /*! A value set explicitly is stored even when it equals the default, as QSettings does. */
    WrittenWhenSet,
};

/*! How VarManager::resolveConflict() settles a conflict. */
enum class ConflictResolution {
    KeepLocal, //!< Write the local value over the stored one with the next sync.
    TakeStored, //!< Drop the local value and take what is stored.
};

/*!
 * \brief Hands out one shared Var<T> per key and writes dirty values to its Storage.
 *
 * \code
 * auto manager = PersistVar::VarManager::open("sqlite:/home/ada/.local/share/app/app.db").value();
 * auto *count = manager->var<int>("launches", 0).value();
 * count->update([](int n) { return std::pair(n + 1, true); });
 * manager->setAutoSyncInterval(std::chrono::seconds(1));   // write lazy values every second
 * \endcode
 *
 * \section varmanager_defaults Defaults are not written
 * Unlike the Go library persistvar, a default is never stored: a variable holding its default
 * has no entry in the store, and setting a value equal to the default removes the entry. As with
 * QSettings and KConfig, a later version of the application can then change a default for every
 * user who never changed it.
 *
 * \section varmanager_lifecycle Lifecycle
 * close() writes every pending value, stops autoSync and closes the storage; the destructor does
 * the same. When a QCoreApplication exists, pending values are also written when it is about to
 * quit. After close(), calls return ErrorCode::Closed. Variables are owned by the manager and
 * deleted with it.
 *
 * \section varmanager_threads Threads
 * var(), sync(), close() and every Var member are safe from any thread. Storage calls are
 * serialized by the manager. Signals are emitted from the thread that caused them.
 */
class PERSISTVAR_EXPORT VarManager : public QObject
{
    Q_OBJECT
    Q_PROPERTY(int autoSyncInterval READ autoSyncIntervalMs WRITE setAutoSyncIntervalMs NOTIFY
                   autoSyncIntervalChanged)
    Q_PROPERTY(bool autoSyncActive READ isAutoSyncActive NOTIFY autoSyncIntervalChanged)
    Q_PROPERTY(bool closed READ isClosed NOTIFY closedChanged)

public:
    /*! Uses \a storage, which the manager owns from now on. */
    explicit VarManager(std::unique_ptr<Storage> storage, QObject *parent = nullptr);
    ~VarManager() override;
    Q_DISABLE_COPY_MOVE(VarManager)

    /*!
     * Opens the store named \a storeName (see openStorage(); empty: the embedded default) and
     * returns a manager for it, or the error that prevented opening it.
     */
    static Result<std::unique_ptr<VarManager>> open(const QString &storeName = QString());

    /*!
     * Returns the variable for \a key, creating it and reading its stored value on first use;
     * later calls return the same instance and ignore \a defaultValue. Errors:
     * - TypeMismatch: \a key is already used by a variable of another type (no variable returned);
     * - InvalidKey: \a key is empty;
     * - DecodeFailed: the stored bytes do not decode as \c T. The variable \e is returned and
     *   serves its default; the stored bytes stay untouched until a new value is written;
     * - StorageFailed: the stored value could not be read. The variable is returned and serves
     *   its default, but nothing is written over the stored value until the application sets one;
     * - Closed: the manager was closed.
     * Errors are also emitted as errorOccurred().
     *
     * Variables created before the manager's thread returns to its event loop are read from
     * one snapshot of the store, taken by the first call (one query instead of one per
     * variable when an application starts); variables created later read the store itself.
     * An SQLite file is read for the snapshot on a thread of its own, while variables are
     * already being created: a call waits only until its key has been read.
     */
    template<typename T>
    Result<Var<T> *> var(const QString &key, const T &defaultValue = T())
    {
        const auto factory = [](VarManager *manager, const QString &k, const void *d) -> VarBase * {
            return new (manager, QStringView(k), alignof(Var<T>))
                Var<T>(manager, k, *static_cast<const T *>(d));
        };
        Result<VarBase *> r = acquire(key, QMetaType::fromType<T>(), factory, &defaultValue);
        if (r.isOk())
            return static_cast<Var<T> *>(r.value());
        return Result<Var<T> *>(static_cast<Var<T> *>(r.value()), r.error());
    }

    /*! Returns the variable already created for \a key, or nullptr. */
    VarBase *find(const QString &key) const;

    /*!
     * Writes every dirty variable as one batch. Does no I/O when nothing is dirty. One failing
     * key does not stop the others: each failure is emitted as errorOccurred() with its key and
     * the variable stays dirty for the next sync. Returns the first failure, or success.
     */
    Result<void> sync();

    /*! True when some variable holds a value not yet written. */
    bool hasPendingChanges() const;

    /*!
     * Starts syncing every \a interval on a QTimer in the manager's thread. Calling it while
     * autoSync runs changes the interval. Failures are emitted as errorOccurred().
     */
    void autoSync(std::chrono::milliseconds interval);
    /*! Stops autoSync; pending values stay pending until the next sync() or close(). */
    void stopAutoSync();
    /*! True while autoSync runs. */
    bool isAutoSyncActive() const;
    /*! The autoSync interval; zero when autoSync is stopped. */
    std::chrono::milliseconds autoSyncInterval() const;
    /*! Property form of autoSync(): a positive interval starts it, zero stops it. */
    void setAutoSyncInterval(std::chrono::milliseconds interval);

    /*!
     * Writes every pending value, stops autoSync and closes the storage. Afterwards calls return
     * ErrorCode::Closed. Returns the first error of the final sync or of closing the storage;
     * values that could not be written are reported by errorOccurred() and lost with the manager.
     */
    Result<void> close();
    /*! True after close(). */
    bool isClosed() const;

    /*! The storage; owned by the manager. Calls on it bypass the variables. */
    Storage *storage() const;

    /*!
     * Starts following changes that other processes, managers or hosts make to the store, where
     * the backend can (see Storage::startWatching()): changed variables reload and emit
     * VarNotifier::valueChanged. Watching starts by itself when the first variable gets a
     * notifier (someone observes it). Once watching, it reloads every variable once, so a
     * change made since a variable was read and before watching began is not missed. Must be
     * called in the manager's thread, which needs an event loop. Returns
     * ErrorCode::NotSupported for backends that cannot watch.
     */
    Result<void> startWatching();
    /*! Stops following foreign changes. */
    void stopWatching();
    /*! True while foreign changes are followed. */
    bool isWatching() const;

    /*! The group \a prefix: a view whose var("width") is the key "prefix/width". */
    VarGroup group(const QString &prefix);

    /*!
     * Runs the \a migrations this store has not run yet, in order of their version, and records
     * them in the store, all in one batch (one transaction where the backend has them). Call it
     * right after opening, before any variable is created (InvalidArgument otherwise). A step
     * that fails leaves the store as it was and its error is returned.
     */
    Result<void> migrate(const QList<Migration> &migrations);

    /*!
     * Adds a read-only \a layer below the user's store and below the layers added before it:
     * a key the user never set takes its default from the first layer that has it (for example
     * a system-wide INI file an administrator ships). A layer locks keys listed in its reserved
     * key ".persistvar/locked" (a string list; an entry ending in a slash and an asterisk locks a
     * whole group): such variables
     * take the layer's value and refuse writes with ErrorCode::Locked. Call it before any
     * variable is created (InvalidArgument otherwise).
     */
    Result<void> addLayer(std::unique_ptr<Storage> layer);
    /*! Opens the store named \a storeName read-only and adds it as a layer. */
    Result<void> addLayer(const QString &storeName);

    /*! Whether values equal to their default are stored; applies to variables created later. */
    DefaultsPolicy defaultsPolicy() const;
    /*! Sets the defaults policy for variables created from now on. */
    void setDefaultsPolicy(DefaultsPolicy policy);

    /*! The policy for a local unsynced value whose key another writer changed. */
    ConflictPolicy conflictPolicy() const;
    /*! Sets the conflict policy; it applies from the next write on. */
    void setConflictPolicy(ConflictPolicy policy);

    /*!
     * Settles the conflict reported by conflictDetected() for \a key. Returns InvalidKey when
     * \a key has no open conflict.
     */
    Result<void> resolveConflict(const QString &key, ConflictResolution resolution);
    /*! The keys with an open conflict. */
    QStringList conflictingKeys() const;

Q_SIGNALS:
    /*!
     * A background operation (autoSync, quitting, a sync) failed for the key in \a error.
     * Failures of autoSync's background writes are emitted in the manager's thread; the other
     * signals of those writes (synced(), conflictDetected(), VarNotifier's) are too.
     */
    void errorOccurred(const PersistVar::Error &error);
    /*!
     * Another writer changed \a key while this process had an unsynced value for it. Both values
     * are offered; the variable keeps \a localValue and is not synced until resolveConflict().
     * With ConflictPolicy::LastWriterWins this is never emitted.
     */
    void conflictDetected(const QString &key, const QVariant &localValue,
                          const QVariant &storedValue);
    /*! A sync wrote \a count values. */
    void synced(int count);
    /*! autoSync was started, stopped, or its interval changed. */
    void autoSyncIntervalChanged();
    /*! The manager was closed. */
    void closedChanged();

private:
    friend class VarBase;
    friend class PersistVar::VarGroup;
    friend class VarManagerPrivate;
    using Factory = VarBase *(*)(VarManager *, const QString &, const void *);
    Result<VarBase *> acquire(const QString &key, QMetaType type, Factory factory,
                              const void *defaultValue);
    int autoSyncIntervalMs() const;
    void setAutoSyncIntervalMs(int milliseconds);

    std::unique_ptr<VarManagerPrivate> const d;
};

/*! Same as \c manager.var<T>(key, defaultValue): the Go library's \c NewVar. */
template<typename T>
Result<Var<T> *> newVar(VarManager &manager, const QString &key, const T &defaultValue = T())
{
    return manager.var<T>(key, defaultValue);
}

} // namespace PersistVar
