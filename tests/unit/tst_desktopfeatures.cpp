// SPDX-License-Identifier: MIT
// Groups, migrations, read-only layers with locked keys, and the defaults policy, modelled on
// KConfig's autotests for groups, immutability and defaults. Every test runs on every backend.
#include "testbackends.h"

#include <persistvar/memorystorage.h>
#include <persistvar/migration.h>
#include <persistvar/vargroup.h>
#include <persistvar/varmanager.h>

#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace PersistVar;

namespace {
// What a fresh storage on the same store holds for key: decoded, or nullopt when absent.
template<typename T>
std::optional<T> storedValue(const TestBackends::Store &store, const QString &key)
{
    auto storage = store.openStorage();
    const Result<QByteArray> bytes = storage->load(key);
    if (!bytes.isOk())
        return std::nullopt;
    T value{};
    if (!decode(bytes.value(), &value))
        return std::nullopt;
    return value;
}

void addBackendRows()
{
    QTest::addColumn<QString>("backend");
    TestBackends::forEach([](const QString &b) { QTest::newRow(qPrintable(b)) << b; });
}
} // namespace

class TestDesktopFeatures : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { TestBackends::initHermetic(); }

    void groups_data() { addBackendRows(); }
    void groups()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        {
            auto manager = store.openManager();
            VarGroup window = manager->group(QStringLiteral("window"));
            QCOMPARE(window.keyFor(QStringLiteral("width")), QStringLiteral("window/width"));
            QVERIFY(window.var<int>(QStringLiteral("width"), 800).value()->set(1024).isOk());
            QVERIFY(window.group(QStringLiteral("dock"))
                        .var<bool>(QStringLiteral("visible"), true)
                        .value()
                        ->set(false)
                        .isOk());
            QVERIFY(manager->var<int>(QStringLiteral("windowless"), 0).value()->set(1).isOk());
            QVERIFY(manager->var<int>(QStringLiteral("other/x"), 0).value()->set(2).isOk());
            // An unsynced value belongs to the group too.
            QVERIFY(window.var<QString>(QStringLiteral("title"))
                        .value()
                        ->setLazy(QStringLiteral("Editor"))
                        .isOk());
            QCOMPARE(window.keys().value(),
                     QStringList({QStringLiteral("dock/visible"), QStringLiteral("title"),
                                  QStringLiteral("width")}));
            QCOMPARE(window.childGroups().value(), QStringList{QStringLiteral("dock")});
        }
        QCOMPARE(storedValue<int>(store, QStringLiteral("window/width")), std::optional<int>(1024));

        auto manager = store.openManager();
        VarGroup window = manager->group(QStringLiteral("window"));
        Var<int> *width = window.var<int>(QStringLiteral("width"), 800).value();
        QCOMPARE(width->get(), 1024);
        QSignalSpy changed(width->notifier(), &VarNotifier::valueChanged);
        QVERIFY(window.remove().isOk());
        QCOMPARE(changed.count(), 1);
        QCOMPARE(width->get(), 800);
        QVERIFY(window.keys().value().isEmpty());
        // Removed from the store, and nothing outside the group was touched.
        QCOMPARE(storedValue<int>(store, QStringLiteral("window/width")), std::nullopt);
        QCOMPARE(storedValue<bool>(store, QStringLiteral("window/dock/visible")), std::nullopt);
        QCOMPARE(storedValue<QString>(store, QStringLiteral("window/title")), std::nullopt);
        QCOMPARE(storedValue<int>(store, QStringLiteral("windowless")), std::optional<int>(1));
        QCOMPARE(storedValue<int>(store, QStringLiteral("other/x")), std::optional<int>(2));
    }

    void migrationsRunOnce_data() { addBackendRows(); }
    void migrationsRunOnce()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        {
            auto manager = store.openManager();
            QVERIFY(manager->var<int>(QStringLiteral("volume"), 0).value()->set(80).isOk());
            QVERIFY(manager->var<int>(QStringLiteral("old/a"), 0).value()->set(1).isOk());
            QVERIFY(manager->var<int>(QStringLiteral("old/b"), 0).value()->set(2).isOk());
            QVERIFY(manager->var<bool>(QStringLiteral("splash"), false).value()->set(true).isOk());
        }
        int conversions = 0;
        const QList<Migration> steps = {
            Migration::renameKey(1, QStringLiteral("volume"), QStringLiteral("audio/volume")),
            Migration::convert<int, double>(2, QStringLiteral("audio/volume"),
                                            [&conversions](int percent) {
                                                ++conversions;
                                                return percent / 100.0;
                                            }),
            Migration::moveGroup(3, QStringLiteral("old"), QStringLiteral("new")),
            Migration::dropKey(4, QStringLiteral("splash")),
        };
        for (int opening = 0; opening < 2; ++opening) {
            auto manager = store.openManager();
            const Result<void> migrated = manager->migrate(steps);
            QVERIFY2(migrated.isOk(), qPrintable(migrated.error().toString()));
            QCOMPARE(manager->var<double>(QStringLiteral("audio/volume"), 0.5).value()->get(), 0.8);
            QCOMPARE(manager->var<int>(QStringLiteral("new/a"), 0).value()->get(), 1);
            QCOMPARE(manager->var<int>(QStringLiteral("new/b"), 0).value()->get(), 2);
        }
        QCOMPARE(conversions, 1); // the second opening ran nothing
        QCOMPARE(storedValue<int>(store, QStringLiteral("volume")), std::nullopt);
        QCOMPARE(storedValue<int>(store, QStringLiteral("old/a")), std::nullopt);
        QCOMPARE(storedValue<bool>(store, QStringLiteral("splash")), std::nullopt);
        QCOMPARE(storedValue<double>(store, QStringLiteral("audio/volume")),
                 std::optional<double>(0.8));
        // The library's own record is not one of the application's keys.
        auto manager = store.openManager();
        QVERIFY(!manager->group(QString()).keys().value().contains(
            QStringLiteral(".persistvar/migrations")));
    }

    void failingMigrationLeavesStoreUntouched_data() { addBackendRows(); }
    void failingMigrationLeavesStoreUntouched()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        {
            auto manager = store.openManager();
            QVERIFY(manager->var<QString>(QStringLiteral("name"))
                        .value()
                        ->set(QStringLiteral("Ada"))
                        .isOk());
        }
        Migration failing;
        failing.version = 2;
        failing.description = QStringLiteral("always fails");
        failing.apply = [](MigrationContext &) -> Result<void> {
            return Error(ErrorCode::InvalidArgument, QStringLiteral("name"),
                         QStringLiteral("cannot convert"));
        };
        auto manager = store.openManager();
        const Result<void> migrated = manager->migrate(
            {Migration::renameKey(1, QStringLiteral("name"), QStringLiteral("user/name")),
             failing});
        QCOMPARE(migrated.errorCode(), ErrorCode::InvalidArgument);
        QVERIFY(migrated.error().message().contains(QStringLiteral("always fails")));
        QCOMPARE(storedValue<QString>(store, QStringLiteral("name")),
                 std::optional<QString>(QStringLiteral("Ada")));
        QCOMPARE(storedValue<QString>(store, QStringLiteral("user/name")), std::nullopt);
        QCOMPARE(storedValue<QList<int>>(store, QStringLiteral(".persistvar/migrations")),
                 std::nullopt);
        // Migrating after variables exist is refused, not half-done.
        QVERIFY(manager->var<int>(QStringLiteral("x"), 0).isOk());
        QCOMPARE(manager->migrate({}).errorCode(), ErrorCode::InvalidArgument);
    }

    void layersAndLockedKeys_data() { addBackendRows(); }
    void layersAndLockedKeys()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        // Two administrator layers; the first added is consulted first.
        auto upper = std::make_unique<MemoryStorage>();
        QVERIFY(upper->save(QStringLiteral("theme"), encode(QStringLiteral("Dark")), std::nullopt)
                    .isOk());
        QVERIFY(upper->save(QStringLiteral("font/size"), encode(12), std::nullopt).isOk());
        QVERIFY(upper
                    ->save(QStringLiteral(".persistvar/locked"),
                           encode(QStringList{QStringLiteral("proxy/*")}), std::nullopt)
                    .isOk());
        auto lower = std::make_unique<MemoryStorage>();
        QVERIFY(lower->save(QStringLiteral("theme"), encode(QStringLiteral("Light")), std::nullopt)
                    .isOk());
        QVERIFY(lower
                    ->save(QStringLiteral("proxy/host"), encode(QStringLiteral("proxy.corp")),
                           std::nullopt)
                    .isOk());
        QVERIFY(lower->save(QStringLiteral("toolbar"), encode(false), std::nullopt).isOk());

        {
            auto manager = store.openManager();
            // The user once set a proxy and a font size.
            QVERIFY(manager->var<QString>(QStringLiteral("proxy/host"))
                        .value()
                        ->set(QStringLiteral("mine"))
                        .isOk());
            QVERIFY(manager->var<int>(QStringLiteral("font/size"), 10).value()->set(14).isOk());
        }
        auto manager = store.openManager();
        QVERIFY(manager->addLayer(std::move(upper)).isOk());
        QVERIFY(manager->addLayer(std::move(lower)).isOk());

        Var<QString> *theme =
            manager->var<QString>(QStringLiteral("theme"), QStringLiteral("Auto")).value();
        QCOMPARE(theme->get(), QStringLiteral("Dark")); // upper layer before lower
        QCOMPARE(theme->defaultValue(), QStringLiteral("Dark"));
        QVERIFY(theme->isDefault());
        QVERIFY(!theme->isLocked());
        Var<bool> *toolbar = manager->var<bool>(QStringLiteral("toolbar"), true).value();
        QCOMPARE(toolbar->get(), false); // only the lower layer has it
        Var<int> *fontSize = manager->var<int>(QStringLiteral("font/size"), 10).value();
        QCOMPARE(fontSize->get(), 14); // the user's value is above every layer
        QVERIFY(!fontSize->isDefault());
        QVERIFY(fontSize->reset().isOk());
        QCOMPARE(fontSize->get(), 12); // back to the layer's default, not the code's

        Var<QString> *proxy = manager->var<QString>(QStringLiteral("proxy/host")).value();
        QVERIFY(proxy->isLocked());
        QCOMPARE(proxy->get(), QStringLiteral("proxy.corp")); // the layer wins over the user
        QCOMPARE(proxy->set(QStringLiteral("evil")).errorCode(), ErrorCode::Locked);
        QCOMPARE(proxy->setLazy(QStringLiteral("evil")).errorCode(), ErrorCode::Locked);
        QCOMPARE(proxy->reset().errorCode(), ErrorCode::Locked);
        QVERIFY(proxy->set(QStringLiteral("evil"))
                    .error()
                    .message()
                    .contains(QStringLiteral("locked")));
        QCOMPARE(proxy->get(), QStringLiteral("proxy.corp"));
        QVERIFY(manager->sync().isOk());
        // The user's own stored value is left alone, neither used nor overwritten.
        QCOMPARE(storedValue<QString>(store, QStringLiteral("proxy/host")),
                 std::optional<QString>(QStringLiteral("mine")));
        // Layers come before variables.
        QCOMPARE(manager->addLayer(std::make_unique<MemoryStorage>()).errorCode(),
                 ErrorCode::InvalidArgument);
    }

    void defaultsPolicy_data() { addBackendRows(); }
    void defaultsPolicy()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        auto manager = store.openManager();
        QCOMPARE(manager->defaultsPolicy(), DefaultsPolicy::NotWritten);
        Var<int> *a = manager->var<int>(QStringLiteral("a"), 5).value();
        QVERIFY(a->set(5).isOk()); // the default: not written
        QCOMPARE(storedValue<int>(store, QStringLiteral("a")), std::nullopt);
        QVERIFY(a->set(6).isOk());
        QVERIFY(a->set(5).isOk()); // back to the default: the entry goes
        QCOMPARE(storedValue<int>(store, QStringLiteral("a")), std::nullopt);

        manager->setDefaultsPolicy(DefaultsPolicy::WrittenWhenSet);
        Var<int> *b = manager->var<int>(QStringLiteral("b"), 5).value();
        QVERIFY(!b->isDirty());
        QVERIFY(manager->sync().isOk());
        QCOMPARE(storedValue<int>(store, QStringLiteral("b")), std::nullopt); // never by itself
        QVERIFY(b->set(7).isOk());
        QVERIFY(b->set(5).isOk()); // set back to the default explicitly: written
        QCOMPARE(storedValue<int>(store, QStringLiteral("b")), std::optional<int>(5));
        QVERIFY(!b->isDefault());
        QVERIFY(b->reset().isOk());
        QCOMPARE(storedValue<int>(store, QStringLiteral("b")), std::nullopt);
        QVERIFY(b->isDefault());
    }
};

QTEST_GUILESS_MAIN(TestDesktopFeatures)
#include "tst_desktopfeatures.moc"
