// SPDX-License-Identifier: MIT
#include <persistvar/var.h>
#include <persistvar/varmanager.h>
#include <persistvar/varnotifier.h>

#include "varmanager_p.h"

#include <QtCore/QRandomGenerator>
#include <QtCore/QThread>

namespace PersistVar {

void *VarBase::operator new(std::size_t size, VarManager *manager, QStringView key,
                            std::size_t alignment)
{
    // The characters go right behind the object, which ends suitably aligned for them.
    static_assert(alignof(VarBase) >= alignof(QChar));
    // VarManager::acquire() holds the registry lock, which guards the arena.
    return manager->d->varArena.allocate(size + std::size_t(key.size()) * sizeof(QChar), alignment);
}

void VarBase::operator delete(void *object, VarManager *manager, QStringView key,
                              std::size_t alignment) noexcept
{
    Q_UNUSED(object)
    Q_UNUSED(manager)
    Q_UNUSED(key)
    Q_UNUSED(alignment)
}

void VarBase::operator delete(void *object) noexcept
{
    Q_UNUSED(object)
}

VarBase::VarBase(VarManager *manager, QStringView key, void *keyStorage)
    : m_manager(manager)
    , m_keyLength(quint32(key.size()))
    , m_keyOffset(quint32(static_cast<char *>(keyStorage) - reinterpret_cast<char *>(this)))
{
    // VarManager::acquire() refuses longer keys.
    Q_ASSERT(key.size() <= MaxKeyLength);
    if (!key.isEmpty())
        std::memcpy(keyStorage, key.data(), std::size_t(key.size()) * sizeof(QChar));
}

VarBase::~VarBase()
{
    VarNotifier *notifier = m_notifier.load(std::memory_order_acquire);
    if (!notifier)
        return;
    // A notifier living in another thread must be deleted there.
    if (notifier->thread() == QThread::currentThread())
        delete notifier;
    else
        notifier->deleteLater();
}

bool VarBase::isDirty() const
{
    QMutexLocker lock(&m_mutex);
    return m_dirty;
}

bool VarBase::isDefault() const
{
    QMutexLocker lock(&m_mutex);
    return m_storedState == StoredState::Absent;
}

Result<void> VarBase::sync()
{
    if (Result<void> r = checkOpen(); !r.isOk())
        return r;
    if (!isDirty())
        return {};
    return writeNow();
}

Result<void> VarBase::reset()
{
    if (Result<void> r = checkWritable(); !r.isOk())
        return r;
    bool changed = false;
    resetToDefaultLazy(&changed);
    if (changed)
        emitValueChanged();
    if (!isDirty())
        return {};
    return writeNow();
}

VarNotifier *VarBase::notifier()
{
    VarNotifier *existing = m_notifier.load(std::memory_order_acquire);
    if (existing)
        return existing;
    auto *created = new VarNotifier(this);
    // Live where the manager lives, not in whichever (maybe short-lived) thread asked first.
    if (created->thread() != m_manager->thread())
        created->moveToThread(m_manager->thread());
    if (m_notifier.compare_exchange_strong(existing, created, std::memory_order_acq_rel)) {
        m_manager->d->notifierCreated();
        return created;
    }
    delete created; // another thread won the race
    return existing;
}

void VarBase::enqueueDirty()
{
    m_manager->d->enqueue(this);
}

void VarBase::emitValueChanged()
{
    // The only cost for an unobserved variable: one atomic load.
    VarNotifier *notifier = m_notifier.load(std::memory_order_acquire);
    if (!notifier)
        return;
    if (VarManagerPrivate::isSyncWorkerThread()) {
        // A conflict's reload during autoSync: the application hears of it in its own thread.
        Private::postTo(m_manager, [this, notifier] {
            refreshProperty();
            Q_EMIT notifier->valueChanged();
        });
        return;
    }
    // The QProperty mirror belongs to the manager's thread: refresh it there.
    if (isInManagerThread())
        refreshProperty();
    else
        Private::postTo(m_manager, [this] { refreshProperty(); });
    Q_EMIT notifier->valueChanged();
}

bool VarBase::isInManagerThread() const
{
    return QThread::currentThread() == m_manager->thread();
}

Result<void> VarBase::checkOpen() const
{
    if (m_manager->d->closed.load(std::memory_order_acquire))
        return Error(ErrorCode::Closed, key(), QStringLiteral("the variable's manager is closed"));
    return {};
}

Result<void> VarBase::checkWritable() const
{
    if (m_locked)
        return Error(ErrorCode::Locked, key(),
                     QStringLiteral("the key is locked by a read-only layer and cannot change"));
    return checkOpen();
}

Result<void> VarBase::writeNow()
{
    return m_manager->d->writeOne(this);
}

std::optional<QByteArray> VarBase::undecodableBytes() const
{
    return m_manager->d->undecodable(this);
}

VarBase::IoLocker::IoLocker(VarBase *var) : m_mutex(&var->m_manager->d->ioMutex)
{
    m_mutex->lock();
}

VarBase::IoLocker::~IoLocker()
{
    m_mutex->unlock();
}

Result<void> VarBase::writeSnapshotLocked(const Snapshot &snapshot)
{
    return m_manager->d->writeSnapshotLocked(this, snapshot);
}

Result<void> VarBase::reloadLocked()
{
    return m_manager->d->reloadLocked(this, AdoptMode::TakeStored);
}

void VarBase::backOff(int attempt)
{
    const int ceilingUs = qMin(250 << qMin(attempt, 6), 20000);
    QThread::usleep(QRandomGenerator::global()->bounded(ceilingUs));
}

VarNotifier::VarNotifier(VarBase *var) : m_var(var) { }

VarNotifier::~VarNotifier() = default;

QString VarNotifier::key() const
{
    return m_var->key();
}

QVariant VarNotifier::value() const
{
    return m_var->toVariant();
}

} // namespace PersistVar
