// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/varmanager.h>

#include <QtCore/QHash>
#include <QtCore/QMutex>
#include <QtCore/QPointer>
#include <QtCore/QTimer>

#include <atomic>
#include <optional>

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
    void afterWritten(VarBase *var, const Snapshot &snapshot);
    void afterFailed(VarBase *var, const Error &error);
    void enqueue(VarBase *var);
    void requeueIfDirty(VarBase *var);
    void report(const Error &error, bool background);
    std::optional<QByteArray> undecodable(const VarBase *var) const;
    Result<void> runSync(bool background);
    void startTimer(std::chrono::milliseconds interval);

    VarManager *const q;
    std::unique_ptr<Storage> storage;

    QMutex registryMutex;
    QHash<QString, VarBase *> vars; // owned
    bool preloadTried = false;
    QHash<QString, QByteArray> preloaded; // loadAll() result, consumed as variables appear

    QMutex ioMutex;

    mutable QMutex dirtyMutex;
    QList<VarBase *> dirty;

    mutable QMutex undecodableMutex;
    QHash<const VarBase *, QByteArray> undecodableBytes;

    std::atomic<bool> closed{false};
    QTimer *timer = nullptr;
};

} // namespace PersistVar
