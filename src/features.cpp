// SPDX-License-Identifier: MIT
// Desktop-application features on top of the core: groups, migrations, read-only layers.
#include <persistvar/migration.h>
#include <persistvar/vargroup.h>
#include <persistvar/varmanager.h>

#include "logging_p.h"
#include "varmanager_p.h"

#include <algorithm>
#include <map>

namespace PersistVar {

namespace {
// Keys the library keeps for itself; never listed as the application's.
const QString ReservedPrefix = QStringLiteral(".persistvar/");
const QString MigrationsKey = QStringLiteral(".persistvar/migrations");
const QString LockedKey = QStringLiteral(".persistvar/locked");

bool isInGroup(const QString &key, const QString &prefix)
{
    if (key.startsWith(ReservedPrefix))
        return false;
    if (prefix.isEmpty())
        return true;
    return key.size() > prefix.size() + 1 && key.startsWith(prefix)
        && key.at(prefix.size()) == QLatin1Char('/');
}

QString relativeKey(const QString &key, const QString &prefix)
{
    return prefix.isEmpty() ? key : key.mid(prefix.size() + 1);
}

QString joinKey(const QString &prefix, const QString &name)
{
    if (prefix.isEmpty())
        return name;
    if (name.isEmpty())
        return prefix;
    return prefix + QLatin1Char('/') + name;
}

// A list of strings, or one string: an INI file written by hand has "locked=theme" for one.
QStringList decodeStringList(const QByteArray &bytes)
{
    QStringList list;
    if (decode(bytes, &list))
        return list;
    QString single;
    if (decode(bytes, &single))
        return single.split(QLatin1Char(','), Qt::SkipEmptyParts);
    return {};
}

bool isLockedBy(const QStringList &patterns, const QString &key)
{
    for (QString pattern : patterns) {
        pattern = pattern.trimmed();
        if (pattern == key)
            return true;
        if (pattern.endsWith(QLatin1String("/*")) && key.startsWith(pattern.chopped(1)))
            return true;
    }
    return false;
}
} // namespace

// ---- Groups ----

VarGroup::VarGroup(VarManager *manager, const QString &prefix)
    : m_manager(manager), m_prefix(prefix)
{
    while (m_prefix.endsWith(QLatin1Char('/')))
        m_prefix.chop(1);
}

QString VarGroup::keyFor(const QString &name) const
{
    return joinKey(m_prefix, name);
}

VarGroup VarGroup::group(const QString &name) const
{
    return VarGroup(m_manager, keyFor(name));
}

Result<QStringList> VarGroup::keys() const
{
    VarManagerPrivate *d = m_manager->d.get();
    QStringList result;
    {
        QMutexLocker io(&d->ioMutex);
        const Result<QStringList> stored = d->storage->keys();
        if (!stored.isOk())
            return stored.error();
        for (const QString &key : stored.value()) {
            if (isInGroup(key, m_prefix))
                result.append(relativeKey(key, m_prefix));
        }
    }
    {
        // Values not synced yet belong to the group too.
        QMutexLocker registry(&d->registryMutex);
        for (VarBase *var : std::as_const(d->vars)) {
            if (isInGroup(var->key(), m_prefix) && var->isDirty())
                result.append(relativeKey(var->key(), m_prefix));
        }
    }
    std::sort(result.begin(), result.end());
    result.erase(std::unique(result.begin(), result.end()), result.end());
    return result;
}

Result<QStringList> VarGroup::childGroups() const
{
    const Result<QStringList> all = keys();
    if (!all.isOk())
        return all.error();
    QStringList groups;
    for (const QString &key : all.value()) {
        const qsizetype slash = key.indexOf(QLatin1Char('/'));
        if (slash > 0)
            groups.append(key.left(slash));
    }
    groups.removeDuplicates();
    std::sort(groups.begin(), groups.end());
    return groups;
}

Result<void> VarGroup::remove() const
{
    VarManagerPrivate *d = m_manager->d.get();
    if (m_manager->isClosed())
        return Error(ErrorCode::Closed, m_prefix, QStringLiteral("the manager is closed"));
    QList<VarBase *> members;
    {
        QMutexLocker registry(&d->registryMutex);
        for (VarBase *var : std::as_const(d->vars)) {
            if (isInGroup(var->key(), m_prefix))
                members.append(var);
        }
    }
    QMutexLocker io(&d->ioMutex);
    QStringList keys;
    const Result<QStringList> stored = d->storage->keys();
    if (stored.isOk()) {
        for (const QString &key : stored.value()) {
            if (isInGroup(key, m_prefix))
                keys.append(key);
        }
    } else if (stored.errorCode() != ErrorCode::NotSupported) {
        return stored.error();
    }
    for (VarBase *var : std::as_const(members)) {
        if (!keys.contains(var->key()))
            keys.append(var->key());
    }
    QList<StorageWrite> writes;
    for (const QString &key : std::as_const(keys))
        writes.append(StorageWrite{key, std::nullopt, std::nullopt, false});
    const QList<Error> errors = writes.isEmpty() ? QList<Error>() : d->storage->saveBatch(writes);
    for (const Error &error : errors) {
        if (error.isError())
            return error; // variables keep their values: the store still has them
    }
    for (VarBase *var : std::as_const(members)) {
        if (!var->isLocked())
            d->forgetStored(var);
    }
    return {};
}

VarGroup VarManager::group(const QString &prefix)
{
    return VarGroup(this, prefix);
}

// ---- Migrations ----

class MigrationContextPrivate
{
public:
    QHash<QString, QByteArray> original; // the store before migrating
    std::map<QString, std::optional<QByteArray>> staged; // sorted: writes in a stable order
};

MigrationContext::MigrationContext(Storage *storage)
    : d(std::make_unique<MigrationContextPrivate>())
{
    Q_UNUSED(storage)
}

MigrationContext::~MigrationContext() = default;

Result<QByteArray> MigrationContext::load(const QString &key) const
{
    const auto staged = d->staged.find(key);
    if (staged != d->staged.end()) {
        if (staged->second)
            return *staged->second;
        return Error(ErrorCode::NotFound, key, QStringLiteral("no stored value"));
    }
    const auto it = d->original.constFind(key);
    if (it == d->original.cend())
        return Error(ErrorCode::NotFound, key, QStringLiteral("no stored value"));
    return *it;
}

bool MigrationContext::contains(const QString &key) const
{
    return load(key).isOk();
}

QStringList MigrationContext::keys(const QString &prefix) const
{
    QStringList result;
    for (auto it = d->original.cbegin(); it != d->original.cend(); ++it) {
        if (isInGroup(it.key(), prefix) && contains(it.key()))
            result.append(it.key());
    }
    for (const auto &[key, value] : d->staged) {
        if (value && isInGroup(key, prefix) && !d->original.contains(key))
            result.append(key);
    }
    std::sort(result.begin(), result.end());
    return result;
}

void MigrationContext::save(const QString &key, const QByteArray &bytes)
{
    d->staged[key] = bytes;
}

void MigrationContext::remove(const QString &key)
{
    d->staged[key] = std::nullopt;
}

Migration Migration::renameKey(int version, const QString &from, const QString &to)
{
    Migration step;
    step.version = version;
    step.description = QStringLiteral("rename %1 to %2").arg(from, to);
    step.apply = [from, to](MigrationContext &context) -> Result<void> {
        const Result<QByteArray> value = context.load(from);
        if (!value.isOk())
            return value.errorCode() == ErrorCode::NotFound ? Result<void>() : value.error();
        context.save(to, value.value());
        context.remove(from);
        return {};
    };
    return step;
}

Migration Migration::moveGroup(int version, const QString &from, const QString &to)
{
    Migration step;
    step.version = version;
    step.description = QStringLiteral("move group %1 to %2").arg(from, to);
    step.apply = [from, to](MigrationContext &context) -> Result<void> {
        for (const QString &key : context.keys(from)) {
            const QString target = joinKey(to, relativeKey(key, from));
            context.save(target, context.load(key).value());
            context.remove(key);
        }
        return {};
    };
    return step;
}

Migration Migration::dropKey(int version, const QString &key)
{
    Migration step;
    step.version = version;
    step.description = QStringLiteral("drop %1").arg(key);
    step.apply = [key](MigrationContext &context) -> Result<void> {
        context.remove(key);
        return {};
    };
    return step;
}

Result<void> VarManager::migrate(const QList<Migration> &migrations)
{
    if (isClosed())
        return Error(ErrorCode::Closed, QString(), QStringLiteral("the manager is closed"));
    QMutexLocker registry(&d->registryMutex);
    if (!d->vars.isEmpty())
        return Error(ErrorCode::InvalidArgument, QString(),
                     QStringLiteral("migrate() must run before any variable is created"));
    QMutexLocker io(&d->ioMutex);

    MigrationContext context(d->storage.get());
    Result<QHash<QString, QByteArray>> all = d->storage->loadAll();
    if (all.isOk()) {
        context.d->original = std::move(all).value();
    } else if (all.errorCode() == ErrorCode::NotSupported) {
        const Result<QStringList> keys = d->storage->keys();
        if (!keys.isOk())
            return keys.error();
        for (const QString &key : keys.value()) {
            const Result<QByteArray> value = d->storage->load(key);
            if (value.isOk())
                context.d->original.insert(key, value.value());
            else if (value.errorCode() != ErrorCode::NotFound)
                return value.error();
        }
    } else {
        return all.error();
    }

    QList<int> done;
    if (context.contains(MigrationsKey)) {
        const Result<QList<int>> recorded = context.value<QList<int>>(MigrationsKey);
        if (!recorded.isOk())
            return recorded.error();
        done = recorded.value();
    }
    QList<Migration> ordered = migrations;
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const Migration &a, const Migration &b) { return a.version < b.version; });
    int ran = 0;
    for (const Migration &step : std::as_const(ordered)) {
        if (done.contains(step.version))
            continue;
        const Result<void> r = step.apply ? step.apply(context) : Result<void>();
        if (!r.isOk())
            return Error(r.errorCode(), r.error().key(),
                         QStringLiteral("migration step %1 (%2) failed, the store is unchanged: %3")
                             .arg(step.version)
                             .arg(step.description, r.error().message()));
        done.append(step.version);
        ++ran;
    }
    if (ran == 0)
        return {};
    std::sort(done.begin(), done.end());
    context.setValue(MigrationsKey, done);

    QList<StorageWrite> writes;
    for (const auto &[key, value] : context.d->staged) {
        std::optional<QByteArray> old;
        if (const auto it = context.d->original.constFind(key); it != context.d->original.cend())
            old = *it;
        if (value == old)
            continue;
        // Compare-and-swap: if another process migrates at the same time, one of them wins.
        writes.append(StorageWrite{key, value, old, value.has_value()});
    }
    const QList<Error> errors = d->storage->saveBatch(writes);
    for (const Error &error : errors) {
        if (error.isError())
            return error;
    }
    // Variables created from now on must see the migrated store, not an earlier snapshot.
    d->preloadTried = false;
    d->preloadValid = false;
    d->preloaded.clear();
    qCDebug(lcCore) << "ran" << ran << "migration steps on" << d->storage->description();
    return {};
}

// ---- Layers ----

Result<void> VarManager::addLayer(std::unique_ptr<Storage> layer)
{
    if (!layer)
        return Error(ErrorCode::InvalidArgument, QString(), QStringLiteral("no layer given"));
    QMutexLocker registry(&d->registryMutex);
    if (!d->vars.isEmpty())
        return Error(ErrorCode::InvalidArgument, QString(),
                     QStringLiteral("addLayer() must be called before any variable is created"));
    VarManagerPrivate::Layer entry;
    const Result<QByteArray> locked = layer->load(LockedKey);
    if (locked.isOk())
        entry.locked = decodeStringList(locked.value());
    else if (locked.errorCode() != ErrorCode::NotFound)
        return Error(locked.errorCode(), LockedKey,
                     QStringLiteral("cannot read the layer %1: %2")
                         .arg(layer->description(), locked.error().message()));
    entry.storage = std::move(layer);
    d->layers.push_back(std::move(entry));
    return {};
}

Result<void> VarManager::addLayer(const QString &storeName)
{
    Result<std::unique_ptr<Storage>> layer = openStorage(storeName);
    if (!layer.isOk())
        return layer.error();
    return addLayer(std::move(layer).value());
}

void VarManagerPrivate::forgetStored(VarBase *var)
{
    bool changed = false;
    var->adoptStored(std::nullopt, VarBase::AdoptMode::TakeStored, &changed);
    if (changed)
        var->emitValueChanged();
}

std::optional<QByteArray> VarManagerPrivate::layeredValue(const QString &key, bool *locked) const
{
    std::optional<QByteArray> value;
    for (const Layer &layer : layers) {
        if (!value) {
            const Result<QByteArray> loaded = layer.storage->load(key);
            if (loaded.isOk())
                value = loaded.value();
            else if (loaded.errorCode() != ErrorCode::NotFound)
                qCWarning(lcCore).noquote()
                    << "layer" << layer.storage->description() << ":" << loaded.error().toString();
        }
        if (isLockedBy(layer.locked, key))
            *locked = true;
    }
    return value;
}

DefaultsPolicy VarManager::defaultsPolicy() const
{
    return d->defaultsPolicy.load();
}

void VarManager::setDefaultsPolicy(DefaultsPolicy policy)
{
    d->defaultsPolicy = policy;
}

} // namespace PersistVar
