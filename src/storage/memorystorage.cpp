// SPDX-License-Identifier: MIT
#include <persistvar/memorystorage.h>

#include <QtCore/QMutex>

namespace PersistVar {

namespace {
struct SharedValues
{
    QMutex mutex;
    QHash<QString, QByteArray> values;
};

// Named stores live as long as the process, like SQLite's named in-memory databases, so two
// managers (or a manager reopened) can share one.
std::shared_ptr<SharedValues> sharedValues(const QString &name)
{
    static QMutex registryMutex;
    static QHash<QString, std::shared_ptr<SharedValues>> registry;
    QMutexLocker lock(&registryMutex);
    std::shared_ptr<SharedValues> &entry = registry[name];
    if (!entry)
        entry = std::make_shared<SharedValues>();
    return entry;
}
} // namespace

class MemoryStoragePrivate
{
public:
    explicit MemoryStoragePrivate(std::shared_ptr<SharedValues> shared, QString name)
        : shared(std::move(shared))
        , name(std::move(name))
        , mutex(this->shared->mutex)
        , values(this->shared->values)
    {
    }
    std::shared_ptr<SharedValues> shared;
    QString name;
    QMutex &mutex;
    QHash<QString, QByteArray> &values;
    bool closed = false;

    Error closedError(const QString &key) const
    {
        return Error(ErrorCode::Closed, key, QStringLiteral("the memory store is closed"));
    }

    // Same rules as the persistent backends: refuse on a stale old value, skip equal writes.
    Error saveLocked(const QString &key, const std::optional<QByteArray> &newValue,
                     const std::optional<QByteArray> &oldValue, bool compare)
    {
        if (closed)
            return closedError(key);
        if (key.isEmpty())
            return Error(ErrorCode::InvalidKey, key, QStringLiteral("the key is empty"));
        const auto it = values.constFind(key);
        const bool present = it != values.cend();
        if (compare && (present != oldValue.has_value() || (present && *it != *oldValue)))
            return Error(ErrorCode::Conflict, key,
                         QStringLiteral("the stored value changed since it was read"));
        if (newValue)
            values.insert(key, *newValue);
        else
            values.remove(key);
        return {};
    }
};

MemoryStorage::MemoryStorage()
    : d(std::make_unique<MemoryStoragePrivate>(std::make_shared<SharedValues>(), QString()))
{
}

MemoryStorage::MemoryStorage(const QString &sharedName)
    : d(std::make_unique<MemoryStoragePrivate>(
          sharedName.isEmpty() ? std::make_shared<SharedValues>() : sharedValues(sharedName),
          sharedName))
{
}

MemoryStorage::~MemoryStorage() = default;

Result<QByteArray> MemoryStorage::load(const QString &key)
{
    QMutexLocker lock(&d->mutex);
    if (d->closed)
        return d->closedError(key);
    const auto it = d->values.constFind(key);
    if (it == d->values.cend())
        return Error(ErrorCode::NotFound, key, QStringLiteral("no stored value"));
    return *it;
}

Result<void> MemoryStorage::save(const QString &key, const QByteArray &newValue,
                                 const std::optional<QByteArray> &oldValue)
{
    QMutexLocker lock(&d->mutex);
    if (oldValue && *oldValue == newValue && !d->closed && d->values.value(key) == newValue)
        return {};
    return d->saveLocked(key, newValue, oldValue, true);
}

Result<void> MemoryStorage::saveUnconditionally(const QString &key, const QByteArray &newValue)
{
    QMutexLocker lock(&d->mutex);
    return d->saveLocked(key, newValue, std::nullopt, false);
}

Result<void> MemoryStorage::remove(const QString &key)
{
    QMutexLocker lock(&d->mutex);
    return d->saveLocked(key, std::nullopt, std::nullopt, false);
}

Result<void> MemoryStorage::close()
{
    QMutexLocker lock(&d->mutex);
    // A private store is gone when closed; a named one stays for the next opener.
    d->closed = true;
    if (d->name.isEmpty())
        d->values.clear();
    return {};
}

QList<Error> MemoryStorage::saveBatch(const QList<StorageWrite> &writes)
{
    QMutexLocker lock(&d->mutex);
    QList<Error> errors;
    errors.reserve(writes.size());
    for (const StorageWrite &write : writes)
        errors.append(
            d->saveLocked(write.key, write.newValue, write.oldValue, write.compareOldValue));
    return errors;
}

Result<QHash<QString, QByteArray>> MemoryStorage::loadAll()
{
    QMutexLocker lock(&d->mutex);
    if (d->closed)
        return d->closedError(QString());
    return d->values;
}

Result<QStringList> MemoryStorage::keys()
{
    QMutexLocker lock(&d->mutex);
    if (d->closed)
        return d->closedError(QString());
    return d->values.keys();
}

QString MemoryStorage::description() const
{
    return QStringLiteral("memory:") + d->name;
}

} // namespace PersistVar
