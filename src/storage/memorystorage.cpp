// SPDX-License-Identifier: MIT
#include <persistvar/memorystorage.h>

#include <QtCore/QMutex>
#include <QtCore/QPointer>

namespace PersistVar {

namespace {
struct Watcher
{
    const void *owner;
    QPointer<QObject> context;
    Storage::ChangeCallback callback;
};

struct SharedValues
{
    QMutex mutex;
    QHash<QString, QByteArray> values;
    QList<Watcher> watchers; // guarded by mutex
};

// Tells every other watching MemoryStorage on the same values; called without the lock.
void notifyOthers(const QList<Watcher> &watchers, const void *writer, const QStringList &keys)
{
    if (keys.isEmpty())
        return;
    for (const Watcher &watcher : watchers) {
        if (watcher.owner == writer || !watcher.context)
            continue;
        QMetaObject::invokeMethod(
            watcher.context.data(), [callback = watcher.callback, keys] { callback(keys); },
            Qt::QueuedConnection);
    }
}

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

MemoryStorage::~MemoryStorage()
{
    stopWatching();
}

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
    return saveBatch({StorageWrite{key, newValue, oldValue, true}}).constFirst();
}

Result<void> MemoryStorage::saveUnconditionally(const QString &key, const QByteArray &newValue)
{
    return saveBatch({StorageWrite{key, newValue, std::nullopt, false}}).constFirst();
}

Result<void> MemoryStorage::remove(const QString &key)
{
    return saveBatch({StorageWrite{key, std::nullopt, std::nullopt, false}}).constFirst();
}

Result<void> MemoryStorage::close()
{
    QMutexLocker lock(&d->mutex);
    // A private store is gone when closed; a named one stays for the next opener.
    d->closed = true;
    d->shared->watchers.removeIf([this](const Watcher &w) { return w.owner == d.get(); });
    if (d->name.isEmpty())
        d->values.clear();
    return {};
}

QList<Error> MemoryStorage::saveBatch(const QList<StorageWrite> &writes)
{
    QList<Error> errors;
    errors.reserve(writes.size());
    QStringList changed;
    QList<Watcher> watchers;
    {
        QMutexLocker lock(&d->mutex);
        for (const StorageWrite &write : writes) {
            const bool skip = write.newValue && d->values.value(write.key) == *write.newValue
                && d->values.contains(write.key);
            Error error =
                d->saveLocked(write.key, write.newValue, write.oldValue, write.compareOldValue);
            if (!error.isError() && !skip)
                changed.append(write.key);
            errors.append(std::move(error));
        }
        if (!changed.isEmpty())
            watchers = d->shared->watchers;
    }
    notifyOthers(watchers, d.get(), changed);
    return errors;
}

Result<void> MemoryStorage::startWatching(QObject *context, ChangeCallback callback)
{
    QMutexLocker lock(&d->mutex);
    if (d->closed)
        return d->closedError(QString());
    d->shared->watchers.append(Watcher{d.get(), context, std::move(callback)});
    return {};
}

void MemoryStorage::stopWatching()
{
    QMutexLocker lock(&d->mutex);
    d->shared->watchers.removeIf([this](const Watcher &w) { return w.owner == d.get(); });
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
