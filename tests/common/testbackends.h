// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/storage.h>
#include <persistvar/varmanager.h>

#include <QtCore/QString>
#include <QtCore/QStringList>

#include <functional>
#include <memory>

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

private:
    QString m_backend;
    QString m_name;
    QString m_skipReason;
    struct Data;
    std::unique_ptr<Data> m_data;
};

// QSKIP with the reason when the store is unusable here. Use at the top of a test function.
#define PERSISTVAR_REQUIRE_STORE(store)                                                            \
    do {                                                                                           \
        if (!(store).skipReason().isEmpty())                                                       \
            QSKIP(qPrintable((store).skipReason()));                                               \
    } while (false)

// The PostgreSQL server URL for tests (PERSISTVAR_TEST_POSTGRES_URL), or empty.
QString postgresUrl();

// Hermetic test set-up: QStandardPaths test mode, QSettings paths in a temporary folder, a
// unique organization and application name. Call from initTestCase().
void initHermetic();

} // namespace TestBackends
