// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/varmanager.h>

#include "posting_p.h"
#include "varregistry_p.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QHash>
#include <QtCore/QMutex>
#include <QtCore/QPointer>
#include <QtCore/QSet>
#include <QtCore/QThread>
#include <QtCore/QTimer>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace PersistVar {

// Lock order, outermost first: registryMutex, ioMutex, a variable's mutex, dirtyMutex /
// undecodableMutex. No storage I/O ever happens while a variable's mutex is held.
class VarManagerPrivate
{
public:
    explicit VarManagerPrivate(VarManager *q, std::unique_ptr<Storage> storage);

    using Snapshot = VarBase::Snapshot;

    Result<void> syncLocked(); // ioMutex held
    Result<void> writeOne(VarBase *var);
    Result<void> writeSnapshotLocked(VarBase *var, const Snapshot &snapshot);
    Result<void> reloadLocked(VarBase *var, VarBase::AdoptMode mode);
    void adoptLocked(VarBase *var, VarBase::AdoptMode mode, const std::optional<QByteArray> &bytes);
    void afterWritten(VarBase *var, const Snapshot &snapshot);
    void afterFailed(VarBase *var, const Error &error);
    void enqueue(VarBase *var);
    void requeueIfDirty(VarBase *var);
    void report(const Error &error, bool background);
    // Signals of the autoSync worker's writes go to the manager's thread: the application
    // never sees its slots (or a direct-connected lambda) called in a thread it did not make.
    // Anywhere else a signal is emitted by the thread that made the change, as documented.
    static bool isSyncWorkerThread();
    template<typename Emission>
    void emitInManagerThread(Emission emission)
    {
        if (isSyncWorkerThread())
            Private::postTo(q, std::move(emission));
        else
            emission();
    }
    std::optional<QByteArray> undecodable(const VarBase *var) const;
    Result<void> runSync(bool background);
    void startTimer(std::chrono::milliseconds interval);

    VarManager *const q;
    std::unique_ptr<Storage> storage;

    QMutex registryMutex;
    VarArena varArena; // the variables' memory; declared before vars, so it outlives them
    VarRegistry vars; // owned
    bool preloadTried = false;
    StoreSnapshot preloaded; // Storage::loadEach() result, for variables created at start-up
    QElapsedTimer preloadTimer; // since the snapshot was asked for, when lcTiming is enabled
    bool preloadValid = false; // preloaded holds every stored key
    // No variable existed when preloaded began: a key no lookup has asked the snapshot for has
    // no variable yet (acquire() skips the registry's lookup then).
    bool preloadedFromEmpty = false;

    // Recursive: signals emitted while it is held (valueChanged, written, errorOccurred) may
    // reach slots in this thread that write again (set(), sync()).
    QRecursiveMutex ioMutex;

    mutable QMutex dirtyMutex;
    QList<VarBase *> dirty;

    mutable QMutex undecodableMutex;
    QHash<const VarBase *, QByteArray> undecodableBytes;

    // Live changes and conflicts.
    void onStorageChanged(const QStringList &keys);
    void notifierCreated();
    void markConflict(VarBase *var);
    bool isConflicted(VarBase *var) const;
    std::atomic<bool> watching{false};
    std::atomic<bool> watchRequested{false};
    std::atomic<ConflictPolicy> conflictPolicy{ConflictPolicy::Ask};
    mutable QMutex conflictMutex;
    QSet<VarBase *> conflicted;

    // Layers, defaults, groups.
    struct Layer
    {
        std::unique_ptr<Storage> storage;
        QStringList locked; // keys, or "group/*" prefixes
    };
    std::vector<Layer> layers; // guarded by registryMutex
    // After a group removal: the variable serves its default again. ioMutex held.
    void forgetStored(VarBase *var);
    std::atomic<DefaultsPolicy> defaultsPolicy{DefaultsPolicy::NotWritten};
    // The first layer's bytes for key, and whether some layer locks it.
    // Inline for the common case, no layers, which every variable's creation asks about.
    std::optional<QByteArray> layerValue(const QString &key, bool *locked) const
    {
        *locked = false;
        if (layers.empty())
            return std::nullopt;
        return layeredValue(key, locked);
    }
    std::optional<QByteArray> layeredValue(const QString &key, bool *locked) const;

    std::atomic<bool> closed{false};
    QTimer *timer = nullptr;

    // autoSync encodes and writes on this thread, so the manager's (GUI) thread never stalls
    // on storage I/O. Started with the first autoSync, stopped by close(). A plain thread woken
    // through a condition variable, not a QThread event loop: it needs no events, and its
    // hand-offs are ordinary pthread synchronisation that ThreadSanitizer can check (Qt's event
    // queue and QMutex are invisible to it in an uninstrumented Qt).
    void scheduleBackgroundSync();
    void stopWorker();
    void runWorker();
    std::thread worker;
    std::mutex workerMutex;
    std::condition_variable workerWake;
    bool syncRequested = false; // guarded by workerMutex; at most one sync pending
    bool workerStopping = false; // guarded by workerMutex
};

} // namespace PersistVar
