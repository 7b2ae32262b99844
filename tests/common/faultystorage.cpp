// SPDX-License-Identifier: MIT
#include "faultystorage.h"

#include <QtCore/QMutexLocker>

using PersistVar::Error;
using PersistVar::ErrorCode;
using PersistVar::Result;

FaultyStorage::FaultyStorage(std::unique_ptr<PersistVar::Storage> inner) : m_inner(std::move(inner))
{
    Q_ASSERT(m_inner);
}

FaultyStorage::~FaultyStorage() = default;

void FaultyStorage::failNthSave(int n)
{
    QMutexLocker lock(&m_mutex);
    m_failAtWrite = n > 0 ? m_writes + n : 0;
}

void FaultyStorage::failLoadsOf(const QString &key)
{
    QMutexLocker lock(&m_mutex);
    m_failingLoads.insert(key);
}

void FaultyStorage::failSavesOf(const QString &key)
{
    QMutexLocker lock(&m_mutex);
    m_failingSaves.insert(key);
}

void FaultyStorage::failBatchEntriesOf(const QString &key)
{
    QMutexLocker lock(&m_mutex);
    m_failingBatchEntries.insert(key);
}

void FaultyStorage::failWholeBatches()
{
    QMutexLocker lock(&m_mutex);
    m_failWholeBatches = true;
}

void FaultyStorage::failClose()
{
    QMutexLocker lock(&m_mutex);
    m_failClose = true;
}

void FaultyStorage::heal()
{
    QMutexLocker lock(&m_mutex);
    m_failAtWrite = 0;
    m_failingLoads.clear();
    m_failingSaves.clear();
    m_failingBatchEntries.clear();
    m_failWholeBatches = false;
    m_failClose = false;
}

QList<Error> FaultyStorage::injectedFailures() const
{
    QMutexLocker lock(&m_mutex);
    return m_injected;
}

int FaultyStorage::injectedCount() const
{
    QMutexLocker lock(&m_mutex);
    return int(m_injected.size());
}

int FaultyStorage::writeCount() const
{
    QMutexLocker lock(&m_mutex);
    return m_writes;
}

// Called with m_mutex held.
Error FaultyStorage::inject(const QString &key, const QString &what)
{
    Error error(ErrorCode::StorageFailed, key, QStringLiteral("injected fault: ") + what);
    m_injected.append(error);
    return error;
}

std::optional<Error> FaultyStorage::checkWrite(const QString &key, WriteKind kind)
{
    QMutexLocker lock(&m_mutex);
    ++m_writes;
    if (m_failAtWrite != 0 && m_writes == m_failAtWrite) {
        m_failAtWrite = 0;
        return inject(key, QStringLiteral("write number %1 fails").arg(m_writes));
    }
    if (m_failingSaves.contains(key))
        return inject(key, QStringLiteral("every write of this key fails"));
    if (kind == WriteKind::BatchEntry && m_failingBatchEntries.contains(key))
        return inject(key, QStringLiteral("batch entries of this key fail"));
    return std::nullopt;
}

Result<QByteArray> FaultyStorage::load(const QString &key)
{
    {
        QMutexLocker lock(&m_mutex);
        if (m_failingLoads.contains(key))
            return inject(key, QStringLiteral("every load of this key fails"));
    }
    return m_inner->load(key);
}

Result<void> FaultyStorage::save(const QString &key, const QByteArray &newValue,
                                 const std::optional<QByteArray> &oldValue)
{
    if (std::optional<Error> e = checkWrite(key, WriteKind::Single))
        return *e;
    return m_inner->save(key, newValue, oldValue);
}

Result<void> FaultyStorage::saveUnconditionally(const QString &key, const QByteArray &newValue)
{
    if (std::optional<Error> e = checkWrite(key, WriteKind::Single))
        return *e;
    return m_inner->saveUnconditionally(key, newValue);
}

Result<void> FaultyStorage::remove(const QString &key)
{
    if (std::optional<Error> e = checkWrite(key, WriteKind::Single))
        return *e;
    return m_inner->remove(key);
}

Result<void> FaultyStorage::close()
{
    const Result<void> closed = m_inner->close();
    QMutexLocker lock(&m_mutex);
    if (m_failClose)
        return inject(QString(), QStringLiteral("close fails"));
    return closed;
}

QList<Error> FaultyStorage::saveBatch(const QList<PersistVar::StorageWrite> &writes)
{
    QList<Error> errors(writes.size());
    {
        QMutexLocker lock(&m_mutex);
        if (m_failWholeBatches) {
            // A rolled-back transaction: every entry reports the store's failure.
            for (qsizetype i = 0; i < writes.size(); ++i) {
                ++m_writes;
                errors[i] =
                    inject(writes.at(i).key,
                           QStringLiteral("the whole batch of %1 fails").arg(writes.size()));
            }
            return errors;
        }
    }
    // The entries that pass go to the real store as one batch, through its own saveBatch().
    QList<PersistVar::StorageWrite> passed;
    QList<qsizetype> positions;
    for (qsizetype i = 0; i < writes.size(); ++i) {
        if (std::optional<Error> e = checkWrite(writes.at(i).key, WriteKind::BatchEntry)) {
            errors[i] = *e;
            continue;
        }
        passed.append(writes.at(i));
        positions.append(i);
    }
    if (passed.isEmpty())
        return errors;
    const QList<Error> results = m_inner->saveBatch(passed);
    for (qsizetype j = 0; j < positions.size(); ++j) {
        errors[positions.at(j)] = j < results.size()
            ? results.at(j)
            : Error(ErrorCode::StorageFailed, passed.at(j).key,
                    QStringLiteral("the real store returned no result for this entry"));
    }
    return errors;
}

Result<QHash<QString, QByteArray>> FaultyStorage::loadAll()
{
    {
        // A store that cannot read one key cannot read them all. Leaving the key out instead
        // would claim that it is not stored (loadAll() lists every stored key).
        QMutexLocker lock(&m_mutex);
        if (!m_failingLoads.isEmpty())
            return Error(ErrorCode::StorageFailed, QString(),
                         QStringLiteral("injected fault: loads of %1 fail")
                             .arg(QStringList(m_failingLoads.cbegin(), m_failingLoads.cend())
                                      .join(QStringLiteral(", "))));
    }
    return m_inner->loadAll();
}

Result<QStringList> FaultyStorage::keys()
{
    return m_inner->keys();
}

Result<void> FaultyStorage::startWatching(QObject *context, ChangeCallback callback)
{
    return m_inner->startWatching(context, std::move(callback));
}

void FaultyStorage::stopWatching()
{
    m_inner->stopWatching();
}

bool FaultyStorage::isSafeFromAnyThread() const
{
    return m_inner->isSafeFromAnyThread();
}

QString FaultyStorage::description() const
{
    return QStringLiteral("faulty(") + m_inner->description() + QLatin1Char(')');
}
