// SPDX-License-Identifier: MIT
#include "testbackends.h"

#include <QtCore/QAtomicInteger>
#include <QtCore/QCoreApplication>
#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QSettings>
#include <QtCore/QStandardPaths>
#include <QtCore/QTemporaryDir>
#include <QtCore/QUuid>
#include <QtTest/QTest>

namespace TestBackends {

namespace {
QTemporaryDir &settingsRoot()
{
    static QTemporaryDir dir;
    return dir;
}

QString uniqueSuffix()
{
    return QUuid::createUuid().toString(QUuid::Id128).left(12);
}
} // namespace

QStringList all()
{
    return {QStringLiteral("memory"),   QStringLiteral("file"),   QStringLiteral("ini"),
            QStringLiteral("settings"), QStringLiteral("sqlite"), QStringLiteral("postgresql")};
}

QStringList persistent()
{
    QStringList backends = all();
    backends.removeAll(QStringLiteral("memory"));
    return backends;
}

void forEach(const std::function<void(const QString &)> &fn, const QStringList &backends)
{
    for (const QString &backend : backends)
        fn(backend);
}

QString postgresUrl()
{
    return qEnvironmentVariable("PERSISTVAR_TEST_POSTGRES_URL");
}

void initHermetic()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("PersistVarTests"));
    if (QCoreApplication::applicationName().isEmpty())
        QCoreApplication::setApplicationName(QStringLiteral("tests"));
    // Native settings of the tests never touch the user's real configuration.
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, settingsRoot().path());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, settingsRoot().path());
    // Child processes started by tests (QProcess) find the same native settings through the
    // XDG variable, since they do not run in test mode.
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(settingsRoot().path()));
}

struct Store::Data
{
    QTemporaryDir dir;
    QString appName;
};

Store::Store(const QString &backend) : m_backend(backend), m_data(std::make_unique<Data>())
{
    const QString dir = m_data->dir.path();
    if (backend == QLatin1String("memory")) {
        m_name = QStringLiteral("memory:test-") + uniqueSuffix();
    } else if (backend == QLatin1String("file")) {
        m_name = QStringLiteral("file:") + dir + QStringLiteral("/files");
    } else if (backend == QLatin1String("ini")) {
        m_name = QStringLiteral("ini:") + dir + QStringLiteral("/app.ini");
    } else if (backend == QLatin1String("settings")) {
        // Native settings are found by organization and application name: give each store its
        // own application so stores never share a file.
        m_data->appName = QStringLiteral("store-") + uniqueSuffix();
        m_name = QStringLiteral("settings:PersistVarTests/") + m_data->appName;
    } else if (backend == QLatin1String("sqlite")) {
        m_name = QStringLiteral("sqlite:") + dir + QStringLiteral("/app.db");
    } else if (backend == QLatin1String("postgresql")) {
        const QString url = postgresUrl();
        if (url.isEmpty()) {
            m_skipReason = QStringLiteral("no PostgreSQL server: set PERSISTVAR_TEST_POSTGRES_URL "
                                          "or run scripts/test, which starts one");
        } else {
            // A table per store keeps tests independent on one shared server.
            m_name = url
                + (url.contains(QLatin1Char('?')) ? QStringLiteral("&") : QStringLiteral("?"))
                + QStringLiteral("table=t_") + uniqueSuffix().toLower();
        }
    } else {
        m_skipReason = QStringLiteral("unknown backend ") + backend;
    }
}

Store::~Store() = default;

QString Store::directory() const
{
    return m_data->dir.path();
}

std::unique_ptr<PersistVar::Storage> Store::openStorage() const
{
    auto result = PersistVar::openStorage(m_name);
    if (!result.isOk()) {
        qWarning() << "cannot open" << m_name << result.error();
        return nullptr;
    }
    return std::move(result).value();
}

std::unique_ptr<PersistVar::VarManager> Store::openManager() const
{
    auto storage = openStorage();
    if (!storage)
        return nullptr;
    return std::make_unique<PersistVar::VarManager>(std::move(storage));
}

PersistVar::Result<QByteArray> Store::load(const QString &key) const
{
    auto storage = openStorage();
    if (!storage)
        return PersistVar::Error(PersistVar::ErrorCode::StorageFailed, key,
                                 QStringLiteral("cannot open ") + m_name);
    PersistVar::Result<QByteArray> result = storage->load(key);
    storage->close();
    return result;
}

ProbeStorage::ProbeStorage(std::unique_ptr<PersistVar::Storage> inner) : m_inner(std::move(inner))
{
}

ProbeStorage::~ProbeStorage() = default;

void ProbeStorage::resetCounts()
{
    m_calls = 0;
    m_loads = 0;
    m_writes = 0;
}

void ProbeStorage::countWrite(const QString &key)
{
    ++m_writes;
    if (beforeWrite)
        beforeWrite(m_inner.get(), key);
}

PersistVar::Result<QByteArray> ProbeStorage::load(const QString &key)
{
    ++m_calls;
    ++m_loads;
    return m_inner->load(key);
}

PersistVar::Result<void> ProbeStorage::save(const QString &key, const QByteArray &newValue,
                                            const std::optional<QByteArray> &oldValue)
{
    ++m_calls;
    countWrite(key);
    return m_inner->save(key, newValue, oldValue);
}

PersistVar::Result<void> ProbeStorage::saveUnconditionally(const QString &key,
                                                           const QByteArray &newValue)
{
    ++m_calls;
    countWrite(key);
    return m_inner->saveUnconditionally(key, newValue);
}

PersistVar::Result<void> ProbeStorage::remove(const QString &key)
{
    ++m_calls;
    countWrite(key);
    return m_inner->remove(key);
}

PersistVar::Result<void> ProbeStorage::close()
{
    ++m_calls;
    return m_inner->close();
}

QList<PersistVar::Error> ProbeStorage::saveBatch(const QList<PersistVar::StorageWrite> &writes)
{
    ++m_calls;
    for (const PersistVar::StorageWrite &write : writes)
        countWrite(write.key);
    return m_inner->saveBatch(writes);
}

PersistVar::Result<QHash<QString, QByteArray>> ProbeStorage::loadAll()
{
    ++m_calls;
    ++m_loads;
    return m_inner->loadAll();
}

PersistVar::Result<QStringList> ProbeStorage::keys()
{
    ++m_calls;
    return m_inner->keys();
}

PersistVar::Result<void> ProbeStorage::startWatching(QObject *context, ChangeCallback callback)
{
    return m_inner->startWatching(context, std::move(callback));
}

void ProbeStorage::stopWatching()
{
    m_inner->stopWatching();
}

bool ProbeStorage::isSafeFromAnyThread() const
{
    return m_inner->isSafeFromAnyThread();
}

QString ProbeStorage::description() const
{
    return QStringLiteral("probe(") + m_inner->description() + QLatin1Char(')');
}

} // namespace TestBackends
