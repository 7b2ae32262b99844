// SPDX-License-Identifier: MIT
// Several real processes share one store: compare-and-swap update() must lose no increment.
#include "testbackends.h"

#include <persistvar/varmanager.h>

#include <QtCore/QProcess>
#include <QtTest/QTest>

#include <memory>
#include <vector>

class TestMultiProcess : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { TestBackends::initHermetic(); }

    void concurrentIncrements_data()
    {
        QTest::addColumn<QString>("backend");
        QTest::addColumn<int>("processes");
        QTest::addColumn<int>("increments");
        // Memory stores are per process, so they cannot be shared between processes.
        // 4 x 1,000 on SQLite, PostgreSQL and INI as the issue asks; the file store (one fsync
        // per write, one lock per directory) and native settings (the same INI code) run fewer
        // to keep the suite's time in budget.
        TestBackends::forEach(
            [](const QString &backend) {
                const bool lighter =
                    backend == QLatin1String("file") || backend == QLatin1String("settings");
                QTest::newRow(qPrintable(backend)) << backend << 4 << (lighter ? 250 : 1000);
            },
            TestBackends::persistent());
    }

    void concurrentIncrements()
    {
        QFETCH(QString, backend);
        QFETCH(int, processes);
        QFETCH(int, increments);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);

        std::vector<std::unique_ptr<QProcess>> workers;
        for (int i = 0; i < processes; ++i) {
            auto process = std::make_unique<QProcess>();
            process->setProgram(QStringLiteral(PVWORKER_PATH));
            process->setArguments({store.name(), QStringLiteral("increment"),
                                   QStringLiteral("counter"), QString::number(increments)});
            process->start();
            QVERIFY2(process->waitForStarted(), qPrintable(process->errorString()));
            workers.push_back(std::move(process));
        }
        for (auto &process : workers) {
            QVERIFY(process->waitForFinished(600000));
            const QByteArray errors = process->readAllStandardError();
            QVERIFY2(process->exitStatus() == QProcess::NormalExit && process->exitCode() == 0,
                     errors.constData());
        }

        // Read back through a new manager in this process: the store, not any worker's memory.
        auto manager = store.openManager();
        QVERIFY(manager);
        auto counter = manager->var<int>(QStringLiteral("counter"), 0);
        QVERIFY2(counter.isOk(), qPrintable(counter.error().toString()));
        QCOMPARE(counter.value()->get(), processes * increments);
    }

    void changesAreVisibleToAnotherProcess_data()
    {
        QTest::addColumn<QString>("backend");
        TestBackends::forEach([](const QString &b) { QTest::newRow(qPrintable(b)) << b; },
                              TestBackends::persistent());
    }

    void changesAreVisibleToAnotherProcess()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        {
            auto manager = store.openManager();
            QVERIFY(manager);
            QVERIFY(manager->var<int>(QStringLiteral("answer"), 0).value()->set(42).isOk());
        }
        QProcess reader;
        reader.start(QStringLiteral(PVWORKER_PATH),
                     {store.name(), QStringLiteral("get"), QStringLiteral("answer")});
        QVERIFY(reader.waitForFinished(60000));
        QCOMPARE(reader.exitCode(), 0);
        QCOMPARE(reader.readAllStandardOutput(), QByteArray("42\nok\n"));
    }
};

QTEST_GUILESS_MAIN(TestMultiProcess)
#include "tst_multiprocess.moc"
