// SPDX-License-Identifier: MIT
#include <persistvar/varmanager.h>
#include <persistvar/varnotifier.h>

#include "logging_p.h"
#include "storage_p.h"
#include "varmanager_p.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QThread>

#ifdef Q_OS_LINUX
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#endif

namespace PersistVar {

namespace {

// Tells the scheduler that the calling thread does bulk work that may wait: any thread with the
// default time slice that wakes up may then take its CPU at once.
//
// Why: on a 2-CPU machine the sync thread often shares a CPU with the manager's (GUI) thread.
// Linux's EEVDF scheduler (6.6 and later) lets a running thread finish its slice before a woken
// thread of the same slice gets the CPU (RUN_TO_PARITY), often until the next tick (4 ms at
// HZ=250), so the GUI thread's event loop waited 1-2.5 ms behind a sync. Since 6.12 a thread may
// ask for a longer slice (sched_attr::sched_runtime), and a woken thread with a shorter slice
// preempts it (PREEMPT_SHORT). Its share of CPU time stays the same, unlike with nice or
// SCHED_IDLE: the latter would let other work starve the sync thread while it holds the I/O lock
// that set() needs. Earlier kernels ignore the field; failure leaves the thread as it was.
void yieldCpuToWokenThreads()
{
#ifdef Q_OS_LINUX
    // struct sched_attr (linux/sched/types.h), first version; glibc before 2.41 has no wrapper.
    struct SchedAttr
    {
        std::uint32_t size;
        std::uint32_t policy;
        std::uint64_t flags;
        std::int32_t nice;
        std::uint32_t priority;
        std::uint64_t runtime; // for SCHED_OTHER and SCHED_BATCH: the slice, in ns
        std::uint64_t deadline;
        std::uint64_t period;
    };
    constexpr std::uint64_t slice = 20'000'000; // the kernel's range is 0.1-100 ms
    SchedAttr attr{};
    if (syscall(SYS_sched_getattr, 0, &attr, unsigned(sizeof attr), 0u) != 0)
        return;
    // Real-time and deadline threads are the application's choice; leave them alone.
    if (attr.policy != SCHED_OTHER && attr.policy != SCHED_BATCH)
        return;
    attr.size = sizeof attr;
    attr.runtime = slice;
    // Policy, nice value and flags as they were: only the slice changes.
    if (syscall(SYS_sched_setattr, 0, &attr, 0u) != 0)
        qCDebug(lcCore, "could not lengthen the sync thread's time slice: %s",
                qPrintable(qt_error_string(errno)));
#endif
}

} // namespace

VarManagerPrivate::VarManagerPrivate(VarManager *q, std::unique_ptr<Storage> storage)
    : q(q), storage(std::move(storage))
{
}

void VarManagerPrivate::enqueue(VarBase *var)
{
    QMutexLocker lock(&dirtyMutex);
    dirty.append(var);
}

void VarManagerPrivate::requeueIfDirty(VarBase *var)
{
    bool add = false;
    {
        QMutexLocker lock(&var->m_mutex);
        if (var->m_dirty && !var->m_queued) {
            var->m_queued = true;
            add = true;
        }
    }
    if (add)
        enqueue(var);
}

std::optional<QByteArray> VarManagerPrivate::undecodable(const VarBase *var) const
{
    QMutexLocker lock(&undecodableMutex);
    const auto it = undecodableBytes.constFind(var);
    if (it == undecodableBytes.cend())
        return std::nullopt;
    return *it;
}

namespace {
// Set in the autoSync worker thread only.
thread_local bool inSyncWorker = false;
} // namespace

bool VarManagerPrivate::isSyncWorkerThread()
{
    return inSyncWorker;
}

void VarManagerPrivate::report(const Error &error, bool background)
{
    // Nobody listening to a background failure would make it vanish: log it then.
    if (background && !q->isSignalConnected(QMetaMethod::fromSignal(&VarManager::errorOccurred)))
        qCWarning(lcCore).noquote() << error.toString();
    else
        qCDebug(lcCore).noquote() << error.toString();
    emitInManagerThread([this, error] { Q_EMIT q->errorOccurred(error); });
}

void VarManagerPrivate::afterWritten(VarBase *var, const Snapshot &snapshot)
{
    var->markWritten(snapshot);
    {
        QMutexLocker lock(&undecodableMutex);
        undecodableBytes.remove(var);
    }
    requeueIfDirty(var);
    if (VarNotifier *notifier = var->m_notifier.load(std::memory_order_acquire))
        emitInManagerThread([notifier] { Q_EMIT notifier->written(); });
}

void VarManagerPrivate::afterFailed(VarBase *var, const Error &error)
{
    if (error.code() == ErrorCode::Conflict) {
        if (conflictPolicy.load() == ConflictPolicy::LastWriterWins) {
            // Learn what the other writer stored; the next sync writes ours over it.
            reloadLocked(var, VarBase::AdoptMode::KeepLocalChanges);
        } else {
            markConflict(var);
            if (VarNotifier *notifier = var->m_notifier.load(std::memory_order_acquire))
                emitInManagerThread([notifier, error] { Q_EMIT notifier->writeFailed(error); });
            return; // not requeued: it waits for resolveConflict()
        }
    }
    requeueIfDirty(var);
    if (VarNotifier *notifier = var->m_notifier.load(std::memory_order_acquire))
        emitInManagerThread([notifier, error] { Q_EMIT notifier->writeFailed(error); });
}

Result<void> VarManagerPrivate::writeSnapshotLocked(VarBase *var, const Snapshot &snapshot)
{
    if (closed.load(std::memory_order_acquire) && !storage)
        return Error(ErrorCode::Closed, var->key(), QStringLiteral("the manager is closed"));
    Result<void> r;
    if (!snapshot.newBytes)
        r = storage->remove(var->key());
    else if (!snapshot.compareOldValue)
        r = storage->saveUnconditionally(var->key(), *snapshot.newBytes);
    else
        r = storage->save(var->key(), *snapshot.newBytes, snapshot.oldBytes);
    if (r.isOk()) {
        QMutexLocker lock(&undecodableMutex);
        undecodableBytes.remove(var);
    }
    return r;
}

Result<void> VarManagerPrivate::reloadLocked(VarBase *var, VarBase::AdoptMode mode)
{
    const Result<QByteArray> loaded = storage->load(var->key());
    std::optional<QByteArray> bytes;
    if (loaded.isOk())
        bytes = loaded.value();
    else if (loaded.errorCode() != ErrorCode::NotFound)
        return loaded.error();
    adoptLocked(var, mode, bytes);
    return {};
}

void VarManagerPrivate::adoptLocked(VarBase *var, VarBase::AdoptMode mode,
                                    const std::optional<QByteArray> &bytes)
{
    bool changed = false;
    if (!var->adoptStored(bytes, mode, &changed)) {
        QMutexLocker lock(&undecodableMutex);
        // A deep copy: bytes may point into a StoreSnapshot.
        undecodableBytes.insert(var, QByteArray(bytes->constData(), bytes->size()));
    } else {
        QMutexLocker lock(&undecodableMutex);
        undecodableBytes.remove(var);
    }
    if (changed)
        var->emitValueChanged();
}

void VarManagerPrivate::markConflict(VarBase *var)
{
    {
        QMutexLocker lock(&conflictMutex);
        conflicted.insert(var);
    }
    const Result<QByteArray> stored = storage->load(var->key());
    QVariant storedValue = var->defaultVariant(); // absent: the default is in effect
    if (stored.isOk())
        storedValue = var->decodeToVariant(stored.value());
    emitInManagerThread([this, key = var->key(), local = var->toVariant(), storedValue] {
        Q_EMIT q->conflictDetected(key, local, storedValue);
    });
}

bool VarManagerPrivate::isConflicted(VarBase *var) const
{
    QMutexLocker lock(&conflictMutex);
    return conflicted.contains(var);
}

void VarManagerPrivate::onStorageChanged(const QStringList &keys)
{
    if (closed.load(std::memory_order_acquire))
        return;
    QList<VarBase *> targets;
    {
        QMutexLocker registry(&registryMutex);
        if (keys.isEmpty()) {
            targets = vars.values();
        } else {
            for (const QString &key : keys) {
                if (VarBase *var = vars.find(key))
                    targets.append(var);
            }
        }
    }
    QMutexLocker io(&ioMutex);
    if (!storage)
        return;
    // Many keys (a catch-up, a reconnect, a payload too long to list them): one pass over the
    // store instead of one read per variable, 100,000 queries for a large store.
    constexpr qsizetype BulkReloadThreshold = 64;
    if (targets.size() > BulkReloadThreshold) {
        StoreSnapshot stored;
        const Result<void> all = stored.load(storage.get());
        if (all.isOk()) {
            for (VarBase *var : std::as_const(targets)) {
                if (var->isLocked())
                    continue; // a layer decides its value
                const QStringView key = var->keyView();
                std::optional<QByteArray> bytes;
                QByteArrayView found;
                if (stored.find(key, VarRegistry::hashOf(key), &found)
                    == StoreSnapshot::Lookup::Found)
                    bytes = QByteArray::fromRawData(found.data(), found.size());
                adoptLocked(var, VarBase::AdoptMode::IfClean, bytes);
            }
            return;
        }
        if (all.errorCode() != ErrorCode::NotSupported)
            report(all.error(), true);
        // Then one by one: a key that can be read still is.
    }
    for (VarBase *var : std::as_const(targets)) {
        if (var->isLocked())
            continue; // a layer decides its value
        // A dirty variable keeps what it believes is stored, so the next compare-and-swap
        // detects the conflict instead of silently writing over the other writer's value.
        const Result<void> r = reloadLocked(var, VarBase::AdoptMode::IfClean);
        if (!r.isOk())
            report(r.error(), true);
    }
}

void VarManagerPrivate::notifierCreated()
{
    // Someone observes a variable: follow foreign changes so they see them.
    if (watchRequested.exchange(true))
        return;
    QMetaObject::invokeMethod(
        q,
        [this] {
            if (!watching.load() && !closed.load())
                q->startWatching();
        },
        Qt::QueuedConnection);
}

Result<void> VarManagerPrivate::writeOne(VarBase *var)
{
    QMutexLocker io(&ioMutex);
    if (!storage)
        return Error(ErrorCode::Closed, var->key(), QStringLiteral("the manager is closed"));
    if (isConflicted(var))
        return Error(ErrorCode::Conflict, var->key(),
                     QStringLiteral("another writer changed this key; call "
                                    "VarManager::resolveConflict() first"));
    Snapshot snapshot;
    if (!var->takeSnapshot(&snapshot))
        return {};
    if (snapshot.compareOldValue && snapshot.newBytes == snapshot.oldBytes) {
        afterWritten(var, snapshot); // back to what is stored: nothing to write
        return {};
    }
    if (conflictPolicy.load() == ConflictPolicy::LastWriterWins)
        snapshot.compareOldValue = false;
    const Result<void> r = writeSnapshotLocked(var, snapshot);
    if (r.isOk()) {
        afterWritten(var, snapshot);
        return r;
    }
    afterFailed(var, r.error());
    return r;
}

Result<void> VarManagerPrivate::syncLocked()
{
    const bool timed = lcTiming().isDebugEnabled();
    QElapsedTimer timer;
    if (timed)
        timer.start();
    QList<VarBase *> batch;
    {
        QMutexLocker lock(&dirtyMutex);
        batch.swap(dirty);
    }
    if (batch.isEmpty() || !storage)
        return {};

    QList<VarBase *> writers;
    QList<Snapshot> snapshots;
    QList<StorageWrite> writes;
    writers.reserve(batch.size());
    snapshots.reserve(batch.size());
    writes.reserve(batch.size());
    for (VarBase *var : std::as_const(batch)) {
        {
            QMutexLocker lock(&var->m_mutex);
            var->m_queued = false;
        }
        if (isConflicted(var))
            continue; // waits for resolveConflict()
        Snapshot snapshot;
        if (!var->takeSnapshot(&snapshot))
            continue;
        if (snapshot.compareOldValue && snapshot.newBytes == snapshot.oldBytes) {
            afterWritten(var, snapshot);
            continue;
        }
        if (conflictPolicy.load() == ConflictPolicy::LastWriterWins)
            snapshot.compareOldValue = false;
        writes.append(StorageWrite{var->key(), snapshot.newBytes, snapshot.oldBytes,
                                   snapshot.compareOldValue});
        writers.append(var);
        snapshots.append(std::move(snapshot));
    }
    if (writes.isEmpty())
        return {};

    const qint64 storeStartNs = timed ? timer.nsecsElapsed() : 0;
    const QList<Error> errors = storage->saveBatch(writes);
    const qint64 storeNs = timed ? timer.nsecsElapsed() - storeStartNs : 0;
    Error first;
    int written = 0;
    QList<Error> failures;
    for (qsizetype i = 0; i < writers.size(); ++i) {
        const Error error = i < errors.size()
            ? errors.at(i)
            : Error(ErrorCode::StorageFailed, writers.at(i)->key(),
                    QStringLiteral("the storage did not report a result for this key"));
        if (!error.isError()) {
            afterWritten(writers.at(i), snapshots.at(i));
            ++written;
            continue;
        }
        afterFailed(writers.at(i), error);
        failures.append(error);
        if (!first.isError())
            first = error;
    }
    if (timed)
        qCDebug(lcTiming).nospace().noquote()
            << "sync" << (inSyncWorker ? " (autoSync's thread)" : "") << ": " << written << " of "
            << writes.size() << " values written to " << storage->description() << " in "
            << double(timer.nsecsElapsed()) / 1e6 << " ms, " << double(storeNs) / 1e6
            << " ms of them in the store";
    for (const Error &failure : std::as_const(failures))
        report(failure, true);
    if (written > 0)
        emitInManagerThread([this, written] { Q_EMIT q->synced(written); });
    if (failures.size() > 1)
        return Error(first.code(), first.key(),
                     QStringLiteral("%1 (and %2 more keys failed)")
                         .arg(first.message())
                         .arg(failures.size() - 1));
    return first.isError() ? Result<void>(first) : Result<void>();
}

Result<void> VarManagerPrivate::runSync(bool background)
{
    Q_UNUSED(background)
    QMutexLocker io(&ioMutex);
    return syncLocked();
}

void VarManagerPrivate::scheduleBackgroundSync()
{
    {
        QMutexLocker lock(&dirtyMutex);
        if (dirty.isEmpty())
            return; // the common case: nothing to do, no thread hop
    }
    if (!storage->isSafeFromAnyThread()) {
        runSync(true);
        return;
    }
    {
        std::lock_guard lock(workerMutex);
        if (!worker.joinable())
            worker = std::thread([this] { runWorker(); });
        // At most one sync pending: a slow store must not pile up work.
        syncRequested = true;
    }
    workerWake.notify_one();
}

void VarManagerPrivate::runWorker()
{
    if (QThread *self = QThread::currentThread())
        self->setObjectName(QStringLiteral("PersistVar sync"));
    yieldCpuToWokenThreads();
    inSyncWorker = true;
    std::unique_lock lock(workerMutex);
    for (;;) {
        workerWake.wait(lock, [this] { return syncRequested || workerStopping; });
        if (workerStopping)
            return; // close() writes what is left itself
        syncRequested = false;
        lock.unlock();
        if (!closed.load(std::memory_order_acquire))
            runSync(true);
        lock.lock();
    }
}

void VarManagerPrivate::stopWorker()
{
    {
        std::lock_guard lock(workerMutex);
        if (!worker.joinable())
            return;
        workerStopping = true;
    }
    workerWake.notify_one();
    worker.join(); // also closes the connections the thread opened (thread_local)
    worker = std::thread();
    workerStopping = false;
    syncRequested = false;
}

void VarManagerPrivate::startTimer(std::chrono::milliseconds interval)
{
    const auto apply = [this, interval] {
        if (interval.count() <= 0)
            timer->stop();
        else
            timer->start(interval);
        Q_EMIT q->autoSyncIntervalChanged();
    };
    // QTimer may only be driven from its own thread.
    if (QThread::currentThread() == timer->thread())
        apply();
    else
        QMetaObject::invokeMethod(timer, apply, Qt::QueuedConnection);
}

VarManager::VarManager(std::unique_ptr<Storage> storage, QObject *parent)
    : QObject(parent), d(std::make_unique<VarManagerPrivate>(this, std::move(storage)))
{
    qRegisterMetaType<PersistVar::Error>();
    d->timer = new QTimer(this);
    d->timer->setTimerType(Qt::CoarseTimer);
    connect(d->timer, &QTimer::timeout, this, [this] { d->scheduleBackgroundSync(); });
    // Values set just before the application quits must not be lost.
    if (QCoreApplication *app = QCoreApplication::instance())
        connect(app, &QCoreApplication::aboutToQuit, this, [this] {
            if (!isClosed())
                d->runSync(true);
        });
}

VarManager::~VarManager()
{
    close();
    d->vars.forEach([](VarBase *var) { delete var; });
}

Result<std::unique_ptr<VarManager>> VarManager::open(const QString &storeName)
{
    Result<std::unique_ptr<Storage>> storage = openStorage(storeName);
    if (!storage.isOk())
        return storage.error();
    return std::make_unique<VarManager>(std::move(storage).value());
}

Result<VarBase *> VarManager::acquire(const QString &key, QMetaType type, Factory factory,
                                      const void *defaultValue)
{
    const auto fail = [this](Error error) -> Result<VarBase *> {
        d->report(error, false);
        return error;
    };
    if (isClosed())
        return fail(Error(ErrorCode::Closed, key, QStringLiteral("the manager is closed")));

    Error error;
    VarBase *var = nullptr;
    {
        QMutexLocker registry(&d->registryMutex);
        // The start-up snapshot's next entry, when it holds this key (as it does while the
        // application creates its variables in the store's order).
        std::optional<StoreSnapshot::Candidate> candidate;
        if (d->preloadValid)
            candidate = d->preloaded.peek(key);
        const size_t hash = candidate ? candidate->hash : VarRegistry::hashOf(key);
        // A key the snapshot serves for the first time has no variable, so the registry's
        // lookup is skipped: the insert below meets the slot later, once the prefetch has
        // brought it in while the variable was created.
        const bool isNew = candidate && candidate->isFirstLookup && d->preloadedFromEmpty;
        Q_ASSERT(!isNew || !d->vars.find(key, hash));
        if (isNew) {
            d->vars.prefetch(hash);
            if (candidate->aheadHash != 0)
                d->vars.prefetch(candidate->aheadHash);
        }
        if (VarBase *existing = isNew ? nullptr : d->vars.find(key, hash)) {
            if (existing->metaType() != type) {
                registry.unlock();
                return fail(Error(ErrorCode::TypeMismatch, key,
                                  QStringLiteral("the key is already used by a variable of type "
                                                 "%1, not %2")
                                      .arg(QString::fromLatin1(existing->metaType().name()),
                                           QString::fromLatin1(type.name()))));
            }
            return existing;
        }
        if (key.size() > VarBase::MaxKeyLength) {
            registry.unlock();
            return fail(Error(ErrorCode::InvalidKey, key, QStringLiteral("the key is too long")));
        }
        // One read of the whole store instead of one per variable, where the backend can.
        if (!d->preloadTried) {
            QMutexLocker io(&d->ioMutex);
            if (!d->storage)
                return Error(ErrorCode::Closed, key, QStringLiteral("the manager is closed"));
            d->preloadTried = true;
            d->preloadedFromEmpty = d->vars.isEmpty();
            if (lcTiming().isDebugEnabled())
                d->preloadTimer.start();
            // On a thread of its own where the backend can: this variable and the next ones
            // are served as soon as their keys have been read.
            Private::BackgroundReader reader = Private::backgroundReader(d->storage.get());
            qsizetype expected = 0;
            if (reader && d->preloaded.loadInBackground(std::move(reader))) {
                d->preloadValid = true;
                // An estimate: a store that has seen many keys deleted gets a little more room.
                constexpr qsizetype MaxReserve = 1 << 20;
                expected = std::min(d->preloaded.expectedSize(), MaxReserve);
            } else if (d->preloaded.load(d->storage.get()).isOk()) {
                d->preloadValid = true;
                expected = d->preloaded.size();
            }
            if (d->preloadValid) {
                // Sized once for the variables the application is about to create: most of
                // them will be the stored keys. A variable takes about 96 bytes, key included.
                d->vars.reserve(expected);
                d->varArena.expect(size_t(expected) * 96);
                // The snapshot serves the variables created while the application starts;
                // later ones read the store itself, so they never see stale values.
                QMetaObject::invokeMethod(
                    this,
                    [this] {
                        QMutexLocker lock(&d->registryMutex);
                        if (d->preloadTimer.isValid())
                            qCDebug(lcTiming).nospace()
                                << "start-up snapshot: dropped when the event loop first ran, "
                                << double(d->preloadTimer.nsecsElapsed()) / 1e6
                                << " ms after the first variable asked for it; " << d->vars.size()
                                << " variables exist";
                        d->preloaded.clear();
                        d->preloadValid = false;
                    },
                    Qt::QueuedConnection);
            }
        }
        QByteArrayView preloadedBytes;
        StoreSnapshot::Lookup lookup = StoreSnapshot::Lookup::Unknown;
        if (candidate) {
            // The registry lock, held since peek(), kept anyone else from looking up.
            preloadedBytes = d->preloaded.take(*candidate);
            lookup = StoreSnapshot::Lookup::Found;
        } else if (d->preloadValid) {
            lookup = d->preloaded.find(key, hash, &preloadedBytes);
        }
        // A key the store already holds is one it can store. Others are checked here, once: a
        // key in the registry was checked when its variable was created.
        if (lookup != StoreSnapshot::Lookup::Found) {
            const Result<void> valid = d->storage->checkKey(key);
            if (!valid.isOk()) {
                registry.unlock();
                return fail(valid.error());
            }
        }

        var = factory(this, key, defaultValue);
        var->m_writeDefaults = d->defaultsPolicy.load() == DefaultsPolicy::WrittenWhenSet;
        // Read-only layers supply the default, and may lock the key to their value.
        bool locked = false;
        if (const std::optional<QByteArray> layered = d->layerValue(key, &locked)) {
            if (!var->adoptDefault(*layered))
                error = Error(ErrorCode::DecodeFailed, key,
                              QStringLiteral("a read-only layer's value is not a valid %1; "
                                             "using the default given in the code")
                                  .arg(QString::fromLatin1(type.name())));
        }
        var->m_locked = locked;
        std::optional<QByteArray> bytes;
        bool known = true;
        if (locked) {
            // The user's stored value (if any) is left alone but not used.
            bool changed = false;
            var->adoptStored(std::nullopt, VarBase::AdoptMode::TakeStored, &changed);
            d->vars.insert(var, hash);
            if (error.isError()) {
                registry.unlock();
                d->report(error, false);
            }
            return Result<VarBase *>(var, error);
        }
        if (lookup == StoreSnapshot::Lookup::Found) {
            // No copy: decoding copies what it keeps (see the undecodable case below).
            bytes = QByteArray::fromRawData(preloadedBytes.data(), preloadedBytes.size());
        } else if (lookup == StoreSnapshot::Lookup::NotStored) {
            // The snapshot has every stored key: a key missing from it is not stored.
        } else {
            QMutexLocker io(&d->ioMutex);
            if (!d->storage)
                return Error(ErrorCode::Closed, key, QStringLiteral("the manager is closed"));
            const Result<QByteArray> loaded = d->storage->load(key);
            if (loaded.isOk()) {
                bytes = loaded.value();
            } else if (loaded.errorCode() != ErrorCode::NotFound) {
                known = false;
                error = Error(ErrorCode::StorageFailed, key,
                              QStringLiteral("could not read the stored value, serving the "
                                             "default and writing nothing over it: %1")
                                  .arg(loaded.error().message()));
            }
        }
        if (known) {
            bool changed = false;
            if (!var->adoptStored(bytes, VarBase::AdoptMode::TakeStored, &changed)) {
                {
                    QMutexLocker lock(&d->undecodableMutex);
                    // A deep copy: bytes may point into the start-up snapshot.
                    d->undecodableBytes.insert(var, QByteArray(bytes->constData(), bytes->size()));
                }
                error = Error(ErrorCode::DecodeFailed, key,
                              QStringLiteral("the stored value (%1 bytes) is not a valid %2; "
                                             "serving the default and keeping the stored bytes "
                                             "until a new value is written")
                                  .arg(bytes->size())
                                  .arg(QString::fromLatin1(type.name())));
            }
        } else {
            QMutexLocker lock(&var->m_mutex);
            var->m_storedState = VarBase::StoredState::Unknown;
        }
        d->vars.insert(var, hash);
    }
    if (!error.isError())
        return var;
    d->report(error, false);
    return Result<VarBase *>(var, error);
}

VarBase *VarManager::find(const QString &key) const
{
    QMutexLocker registry(&d->registryMutex);
    return d->vars.find(key);
}

Result<void> VarManager::sync()
{
    if (isClosed())
        return Error(ErrorCode::Closed, QString(), QStringLiteral("the manager is closed"));
    return d->runSync(false);
}

bool VarManager::hasPendingChanges() const
{
    QMutexLocker lock(&d->dirtyMutex);
    for (VarBase *var : std::as_const(d->dirty)) {
        if (var->isDirty())
            return true;
    }
    return false;
}

void VarManager::autoSync(std::chrono::milliseconds interval)
{
    if (isClosed() || interval.count() <= 0)
        return;
    d->startTimer(interval);
}

void VarManager::stopAutoSync()
{
    d->startTimer(std::chrono::milliseconds(0));
}

bool VarManager::isAutoSyncActive() const
{
    return d->timer->isActive();
}

std::chrono::milliseconds VarManager::autoSyncInterval() const
{
    return d->timer->isActive() ? d->timer->intervalAsDuration() : std::chrono::milliseconds(0);
}

void VarManager::setAutoSyncInterval(std::chrono::milliseconds interval)
{
    if (interval.count() > 0)
        autoSync(interval);
    else
        stopAutoSync();
}

int VarManager::autoSyncIntervalMs() const
{
    return int(autoSyncInterval().count());
}

void VarManager::setAutoSyncIntervalMs(int milliseconds)
{
    setAutoSyncInterval(std::chrono::milliseconds(milliseconds));
}

Result<void> VarManager::close()
{
    if (d->closed.exchange(true, std::memory_order_acq_rel))
        return {};
    if (d->timer->isActive())
        d->startTimer(std::chrono::milliseconds(0));
    d->stopWorker();
    stopWatching();
    {
        // A start-up snapshot still being read has nobody left to serve.
        QMutexLocker registry(&d->registryMutex);
        d->preloaded.clear();
        d->preloadValid = false;
    }
    Result<void> result;
    {
        QMutexLocker io(&d->ioMutex);
        result = d->syncLocked();
        if (d->storage) {
            const Result<void> closed = d->storage->close();
            if (result.isOk() && !closed.isOk())
                result = closed;
        }
    }
    if (!result.isOk())
        qCWarning(lcCore).noquote() << "closing:" << result.error().toString();
    Q_EMIT closedChanged();
    return result;
}

Result<void> VarManager::startWatching()
{
    if (isClosed())
        return Error(ErrorCode::Closed, QString(), QStringLiteral("the manager is closed"));
    if (d->watching.load())
        return {};
    d->watchRequested = true;
    const Result<void> r = d->storage->startWatching(
        this, [this](const QStringList &keys) { d->onStorageChanged(keys); });
    if (r.isOk()) {
        d->watching = true;
        // What is stored when watching starts is no change to the backend, but the variables
        // may have been read long before (a QML element starts watching one event-loop turn
        // after it binds, a C++ application whenever it likes): catch up once, or a change
        // made in between is missed until the key changes again.
        d->onStorageChanged(QStringList());
    }
    return r;
}

void VarManager::stopWatching()
{
    if (!d->watching.exchange(false))
        return;
    d->storage->stopWatching();
}

bool VarManager::isWatching() const
{
    return d->watching.load();
}

ConflictPolicy VarManager::conflictPolicy() const
{
    return d->conflictPolicy.load();
}

void VarManager::setConflictPolicy(ConflictPolicy policy)
{
    d->conflictPolicy = policy;
}

Result<void> VarManager::resolveConflict(const QString &key, ConflictResolution resolution)
{
    VarBase *var = find(key);
    {
        QMutexLocker lock(&d->conflictMutex);
        if (!var || !d->conflicted.remove(var))
            return Error(ErrorCode::InvalidKey, key, QStringLiteral("this key has no conflict"));
    }
    QMutexLocker io(&d->ioMutex);
    const VarBase::AdoptMode mode = resolution == ConflictResolution::TakeStored
        ? VarBase::AdoptMode::TakeStored
        : VarBase::AdoptMode::KeepLocalChanges;
    const Result<void> r = d->reloadLocked(var, mode);
    if (!r.isOk()) {
        QMutexLocker lock(&d->conflictMutex);
        d->conflicted.insert(var);
        return r;
    }
    d->requeueIfDirty(var);
    return {};
}

QStringList VarManager::conflictingKeys() const
{
    QMutexLocker lock(&d->conflictMutex);
    QStringList keys;
    for (VarBase *var : std::as_const(d->conflicted))
        keys.append(var->key());
    keys.sort();
    return keys;
}

bool VarManager::isClosed() const
{
    return d->closed.load(std::memory_order_acquire);
}

Storage *VarManager::storage() const
{
    return d->storage.get();
}

} // namespace PersistVar
