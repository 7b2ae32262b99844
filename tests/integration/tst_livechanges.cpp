// SPDX-License-Identifier: MIT
// Live changes: a value changed by another process (or manager) shows up here, and a local
// unsynced value that collides with it is never lost silently.
#include "testbackends.h"

#include <persistvar/varmanager.h>

#include <QtCore/QProcess>
#include <QtCore/QRegularExpression>
#include <QtCore/QScopeGuard>
#include <QtCore/QUrl>
#include <QtSql/QSqlDatabase>
#include <QtSql/QSqlError>
#include <QtSql/QSqlQuery>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace PersistVar;

namespace {
// Generous for CI; the benchmark measures the real latency.
constexpr int ChangeTimeoutMs = 15000;

bool runWorker(const QString &store, const QStringList &args, QByteArray *errors = nullptr)
{
    QProcess worker;
    worker.start(QStringLiteral(PVWORKER_PATH), QStringList{store} + args);
    if (!worker.waitForFinished(60000))
        return false;
    if (errors)
        *errors = worker.readAllStandardError();
    return worker.exitStatus() == QProcess::NormalExit && worker.exitCode() == 0;
}
} // namespace

class TestLiveChanges : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { TestBackends::initHermetic(); }

    void foreignChangeIsObserved_data()
    {
        QTest::addColumn<QString>("backend");
        TestBackends::forEach([](const QString &b) { QTest::newRow(qPrintable(b)) << b; });
    }

    // Process B (this test) observes process A's change, or, for the in-process memory
    // store, a second manager's change.
    void foreignChangeIsObserved()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        auto manager = store.openManager();
        QVERIFY(manager);
        Var<int> *var = manager->var<int>(QStringLiteral("shared/value"), 0).value();
        QSignalSpy changed(var->notifier(), &VarNotifier::valueChanged);
        QVERIFY2(manager->startWatching().isOk(), "the backend must support watching");
        QVERIFY(manager->isWatching());

        if (backend == QLatin1String("memory")) {
            auto other = store.openManager();
            QVERIFY(other->var<int>(QStringLiteral("shared/value"), 0).value()->set(41).isOk());
        } else {
            QByteArray errors;
            QVERIFY2(runWorker(store.name(),
                               {QStringLiteral("set"), QStringLiteral("shared/value"),
                                QStringLiteral("41")},
                               &errors),
                     errors.constData());
        }
        QTRY_COMPARE_WITH_TIMEOUT(var->get(), 41, ChangeTimeoutMs);
        QCOMPARE(changed.count(), 1);
        QVERIFY(!var->isDirty());

        // Our own writes are not reported back as foreign changes.
        changed.clear();
        QVERIFY(var->set(42).isOk());
        QCOMPARE(changed.count(), 1);
        QTest::qWait(backend == QLatin1String("memory") ? 50 : 600);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(var->get(), 42);
    }

    void manyForeignChangesReloadInOnePass_data() { foreignChangeIsObserved_data(); }

    // Another writer changes hundreds of keys at once: they are reloaded with one pass over the
    // store, not one read per key (100,000 queries in the GUI thread for a large store), and a
    // variable with an unsynced local value keeps it.
    void manyForeignChangesReloadInOnePass()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        constexpr int count = 200;
        const auto keyOf = [](int i) { return QStringLiteral("many/k%1").arg(i); };
        auto probe = std::make_unique<TestBackends::ProbeStorage>(store.openStorage());
        TestBackends::ProbeStorage *counted = probe.get();
        VarManager manager(std::move(probe));
        QList<Var<int> *> vars;
        for (int i = 0; i < count; ++i)
            vars.append(manager.var<int>(keyOf(i), -1).value());
        vars.at(7)->setLazy(-7); // not synced: must survive the reload
        QVERIFY(manager.startWatching().isOk());
        QCoreApplication::processEvents(); // the catch-up of startWatching() is done
        counted->resetCounts();

        auto other = store.openManager();
        QVERIFY(other);
        for (int i = 0; i < count; ++i)
            other->var<int>(keyOf(i), -1).value()->setLazy(1000 + i);
        QVERIFY(other->sync().isOk());

        QTRY_COMPARE_WITH_TIMEOUT(vars.last()->get(), 1000 + count - 1, ChangeTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(vars.first()->get(), 1000, ChangeTimeoutMs);
        for (int i = 0; i < count; ++i) {
            if (i != 7)
                QCOMPARE(vars.at(i)->get(), 1000 + i);
        }
        QCOMPARE(vars.at(7)->get(), -7);
        QVERIFY(vars.at(7)->isDirty());
        // A store that cannot read everything at once (one file per key) reads key by key.
        const int loads = counted->loads();
        if (counted->inner()->loadAll().errorCode() != ErrorCode::NotSupported)
            QVERIFY2(loads < count / 2,
                     qPrintable(QStringLiteral("%1 single-key loads").arg(loads)));
        // The unsynced value still collides with the other writer's at the next sync.
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("Conflict.*many/k7")));
        QCOMPARE(manager.sync().errorCode(), ErrorCode::Conflict);
        QVERIFY(manager.resolveConflict(keyOf(7), ConflictResolution::TakeStored).isOk());
        QCOMPARE(vars.at(7)->get(), 1007);
        QVERIFY(!vars.at(7)->isDirty());
    }

    // The server drops every connection (a restart, an administrator): the watcher listens
    // again, reloads what changed meanwhile, and later changes are notified again.
    void postgresConnectionLossIsSurvived()
    {
        TestBackends::Store store(QStringLiteral("postgresql"));
        PERSISTVAR_REQUIRE_STORE(store);
        // A plain connection of our own kills the managers' connections and B's listener later.
        const QUrl url(TestBackends::postgresUrl());
        const QString name = QStringLiteral("tst_livechanges-killer");
        QSqlDatabase killer = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), name);
        killer.setHostName(url.host());
        killer.setPort(url.port(5432));
        killer.setUserName(url.userName());
        killer.setPassword(url.password());
        killer.setDatabaseName(url.path().mid(1));
        QVERIFY2(killer.open(), qPrintable(killer.lastError().text()));
        const auto removeKiller = qScopeGuard([&] {
            killer.close();
            killer = QSqlDatabase();
            QSqlDatabase::removeDatabase(name);
        });

        // Tagged by application_name, so that only this test's connections are killed, never
        // those of tests running beside it on the same server.
        const QString application =
            QStringLiteral("pv-connection-loss-%1").arg(QCoreApplication::applicationPid());
        const QString storeName = store.name() + QStringLiteral("&application_name=") + application;
        auto openedB = VarManager::open(storeName);
        auto openedA = VarManager::open(storeName);
        QVERIFY2(openedB.isOk() && openedA.isOk(), "cannot open the store twice");
        std::unique_ptr<VarManager> watching = std::move(openedB).value(); // B
        std::unique_ptr<VarManager> writer = std::move(openedA).value(); // A
        Var<int> *observed = watching->var<int>(QStringLiteral("lost/value"), 0).value();
        Var<int> *written = writer->var<int>(QStringLiteral("lost/value"), 0).value();
        QSignalSpy changed(observed->notifier(), &VarNotifier::valueChanged);
        QVERIFY(watching->startWatching().isOk());

        QSqlQuery query(killer);
        QVERIFY2(query.exec(QStringLiteral("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                           "WHERE application_name = '%1'")
                                .arg(application)),
                 qPrintable(query.lastError().text()));
        int killed = 0;
        while (query.next())
            killed += query.value(0).toBool() ? 1 : 0;
        query.finish();
        QVERIFY2(killed >= 3, "A's and B's connections and B's listener");
        QTest::qWait(200); // let the terminations arrive

        // A's own connection is gone too: its first write may fail, naming the cause; the
        // next one reconnects.
        Result<void> set = written->set(1);
        if (!set.isOk()) {
            qInfo().noquote() << "first write after the loss:" << set.error().toString();
            QVERIFY2(set.error().message().contains(
                         QLatin1String("the connection to the server was lost")),
                     qPrintable(set.error().toString()));
            set = written->set(1);
        }
        QVERIFY2(set.isOk(), qPrintable(set.error().toString()));

        // The change made while B's listener was gone is reloaded once it listens again.
        QTRY_COMPARE_WITH_TIMEOUT(observed->get(), 1, ChangeTimeoutMs);
        QCOMPARE(changed.count(), 1);

        // And notifications flow again.
        QVERIFY(written->set(2).isOk());
        QTRY_COMPARE_WITH_TIMEOUT(observed->get(), 2, ChangeTimeoutMs);
        QCOMPARE(changed.count(), 2);
    }

    void conflictWithDirtyLocalValue_data()
    {
        QTest::addColumn<QString>("backend");
        TestBackends::forEach([](const QString &b) { QTest::newRow(qPrintable(b)) << b; });
    }

    void conflictWithDirtyLocalValue()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        auto mine = store.openManager();
        auto theirs = store.openManager();
        QVERIFY(mine && theirs);
        Var<QString> *local = mine->var<QString>(QStringLiteral("title"), QString()).value();
        QVERIFY(local->set(QStringLiteral("base")).isOk());
        Var<QString> *remote = theirs->var<QString>(QStringLiteral("title"), QString()).value();
        QCOMPARE(remote->get(), QStringLiteral("base"));

        QVERIFY(local->setLazy(QStringLiteral("mine")).isOk());
        QVERIFY(remote->set(QStringLiteral("theirs")).isOk());

        QSignalSpy conflicts(mine.get(), &VarManager::conflictDetected);
        const Result<void> synced = mine->sync();
        QCOMPARE(synced.errorCode(), ErrorCode::Conflict);
        QCOMPARE(conflicts.count(), 1);
        QCOMPARE(conflicts.at(0).at(0).toString(), QStringLiteral("title"));
        QCOMPARE(conflicts.at(0).at(1).toString(), QStringLiteral("mine"));
        QCOMPARE(conflicts.at(0).at(2).toString(), QStringLiteral("theirs"));
        QCOMPARE(mine->conflictingKeys(), QStringList{QStringLiteral("title")});

        // Until resolved, neither value is lost: ours in memory, theirs in the store.
        QVERIFY(mine->sync().isOk()); // the conflicted key waits; nothing else to write
        QCOMPARE(local->get(), QStringLiteral("mine"));
        QVERIFY(local->isDirty());
        {
            auto reader = store.openStorage();
            QString stored;
            QVERIFY(decode(reader->load(QStringLiteral("title")).value(), &stored));
            QCOMPARE(stored, QStringLiteral("theirs"));
        }

        // Keep mine: the next sync writes it over theirs.
        QVERIFY(
            mine->resolveConflict(QStringLiteral("title"), ConflictResolution::KeepLocal).isOk());
        QVERIFY(mine->sync().isOk());
        {
            auto reader = store.openStorage();
            QString stored;
            QVERIFY(decode(reader->load(QStringLiteral("title")).value(), &stored));
            QCOMPARE(stored, QStringLiteral("mine"));
        }

        // Take theirs: the local value is dropped.
        QVERIFY(remote
                    ->update([](const QString &) {
                        return std::pair(QStringLiteral("theirs again"), true);
                    })
                    .isOk());
        QVERIFY(local->setLazy(QStringLiteral("mine again")).isOk());
        QCOMPARE(mine->sync().errorCode(), ErrorCode::Conflict);
        QVERIFY(
            mine->resolveConflict(QStringLiteral("title"), ConflictResolution::TakeStored).isOk());
        QCOMPARE(local->get(), QStringLiteral("theirs again"));
        QVERIFY(!local->isDirty());
        QVERIFY(mine->conflictingKeys().isEmpty());
    }

    void lastWriterWins()
    {
        TestBackends::Store store(QStringLiteral("memory"));
        auto mine = store.openManager();
        auto theirs = store.openManager();
        mine->setConflictPolicy(ConflictPolicy::LastWriterWins);
        Var<int> *local = mine->var<int>(QStringLiteral("n"), 0).value();
        QVERIFY(local->setLazy(1).isOk());
        QVERIFY(theirs->var<int>(QStringLiteral("n"), 0).value()->set(2).isOk());
        QSignalSpy conflicts(mine.get(), &VarManager::conflictDetected);
        QVERIFY(mine->sync().isOk());
        QCOMPARE(conflicts.count(), 0);
        int stored = 0;
        QVERIFY(decode(store.openStorage()->load(QStringLiteral("n")).value(), &stored));
        QCOMPARE(stored, 1);
    }
};

QTEST_GUILESS_MAIN(TestLiveChanges)
#include "tst_livechanges.moc"
