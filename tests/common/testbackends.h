// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/storage.h>
#include <persistvar/varmanager.h>

#include <QtCore/QString>
#include <QtCore/QStringList>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

// Every behaviour is proven on every backend: tests add one row per backend with
// TestBackends::forEach() and open stores through TestBackends::Store.
namespace TestBackends {

// memory, file, ini, settings, sqlite, postgresql (those compiled in).
QStringList all();
// The backends whose data outlives the process (all but memory).
QStringList persistent();

// Calls fn(backend) for every backend; use it in _data() functions:
//   QTest::addColumn<QString>("backend");
//   TestBackends::forEach([](const QString &b) { QTest::newRow(qPrintable(b)) << b; });
void forEach(const std::function<void(const QString &backend)> &fn,
             const QStringList &backends = all());

// A store of one backend inside a fresh folder. Open as many managers or storages on it as
// needed: they all see the same data (the memory backend uses a named in-process store).
class Store
{
public:
    explicit Store(const QString &backend);
    ~Store();

    QString backend() const { return m_backend; }
    // Why this store cannot be used here (PostgreSQL without a server); empty when usable.
    QString skipReason() const { return m_skipReason; }
    // The store name for PersistVar::openStorage() / VarManager::open().
    QString name() const { return m_name; }
    // The folder holding the store's files (for file-based backends).
    QString directory() const;

    std::unique_ptr<PersistVar::Storage> openStorage() const;
    std::unique_ptr<PersistVar::VarManager> openManager() const;

    // What a second, independent reader finds: a fresh storage on this store loads key and is
    // closed again. The bytes, or the error (NotFound when nothing is stored).
    PersistVar::Result<QByteArray> load(const QString &key) const;
    // The same, decoded as T: std::nullopt when nothing is stored or the bytes do not decode.
    template<typename T>
    std::optional<T> value(const QString &key) const
    {
        const PersistVar::Result<QByteArray> bytes = load(key);
        T decoded{};
        if (!bytes.isOk() || !PersistVar::decode(bytes.value(), &decoded))
            return std::nullopt;
        return decoded;
    }

private:
    QString m_backend;
    QString m_name;
    QString m_skipReason;
    struct Data;
    std::unique_ptr<Data> m_data;
};

// A Storage decorator over a real backend that counts every call and can act as another writer
// just before a write reaches the store, so tests can prove "no I/O" and "another writer
// interfered" on every backend. Not a mock: every call is done by the real store underneath.
// (Failures are injected with FaultyStorage, faultystorage.h.) Counters are thread-safe; set
// beforeWrite before handing the probe to a manager.
class ProbeStorage : public PersistVar::Storage
{
public:
    explicit ProbeStorage(std::unique_ptr<PersistVar::Storage> inner);
    ~ProbeStorage() override;

    PersistVar::Storage *inner() const { return m_inner.get(); }

    // Calls of any kind since the last resetCounts().
    int calls() const { return m_calls; }
    int loads() const { return m_loads; }
    int writes() const { return m_writes; } // save, saveUnconditionally, remove, batch entries
    void resetCounts();

    // Called before each write of a key reaches the real store, e.g. to act as another writer.
    std::function<void(PersistVar::Storage *inner, const QString &key)> beforeWrite;

    PersistVar::Result<QByteArray> load(const QString &key) override;
    PersistVar::Result<void> save(const QString &key, const QByteArray &newValue,
                                  const std::optional<QByteArray> &oldValue) override;
    PersistVar::Result<void> saveUnconditionally(const QString &key,
                                                 const QByteArray &newValue) override;
    PersistVar::Result<void> remove(const QString &key) override;
    PersistVar::Result<void> close() override;
    QList<PersistVar::Error> saveBatch(const QList<PersistVar::StorageWrite> &writes) override;
    PersistVar::Result<QHash<QString, QByteArray>> loadAll() override;
    PersistVar::Result<QStringList> keys() override;
    PersistVar::Result<void> startWatching(QObject *context, ChangeCallback callback) override;
    void stopWatching() override;
    bool isSafeFromAnyThread() const override;
    QString description() const override;

private:
    void countWrite(const QString &key);
    std::unique_ptr<PersistVar::Storage> m_inner;
    std::atomic<int> m_calls{0};
    std::atomic<int> m_loads{0};
    std::atomic<int> m_writes{0};
};

// QSKIP with the reason when the store is unusable here. Use at the top of a test function.
#define PERSISTVAR_REQUIRE_STORE(store) \
    do { \
        if (!(store).skipReason().isEmpty()) \
            QSKIP(qPrintable((store).skipReason())); \
    } while (false)

// The PostgreSQL server URL for tests (PERSISTVAR_TEST_POSTGRES_URL), or empty.
QString postgresUrl();

// Hermetic test set-up: QStandardPaths test mode, QSettings paths in a temporary folder, a
// unique organization and application name. Call from initTestCase().
void initHermetic();

} // namespace TestBackends
