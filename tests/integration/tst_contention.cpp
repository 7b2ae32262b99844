// SPDX-License-Identifier: MIT
// Contention on one key: every update() increment of every process and thread must count.
// - 4 processes x 5,000 update() increments of one key on SQLite and PostgreSQL end at 20,000;
// - 8 threads sharing one manager plus 2 other processes, 1,000 increments each, end at 10,000.
// Compare-and-swap retries on conflict; a lost increment or an update() giving up fails the test.
//
// Environment: PERSISTVAR_CONTENTION_INCREMENTS replaces the 5,000 increments per process of
// the first test (the count of the second scales with it: a fifth of it per writer).
#include "testbackends.h"

#include <persistvar/varmanager.h>

#include <QtCore/QElapsedTimer>
#include <QtCore/QMutex>
#include <QtCore/QProcess>
#include <QtCore/QThread>
#include <QtTest/QTest>

#include <atomic>
#include <memory>
#include <vector>

namespace {

int incrementsPerProcess()
{
    bool ok = false;
    const int n = qEnvironmentVariableIntValue("PERSISTVAR_CONTENTION_INCREMENTS", &ok);
    return ok && n > 0 ? n : 5000;
}

// Workers still running when a check fails are killed, so a failure never leaves processes.
struct Workers
{
    std::vector<std::unique_ptr<QProcess>> processes;
    ~Workers()
    {
        for (auto &process : processes) {
            if (process->state() != QProcess::NotRunning) {
                process->kill();
                process->waitForFinished(10000);
            }
        }
    }
};

std::unique_ptr<QProcess> startWorker(const QString &storeName, const QString &key, int count)
{
    auto process = std::make_unique<QProcess>();
    process->setProgram(QStringLiteral(PVWORKER_PATH));
    process->setArguments({storeName, QStringLiteral("increment"), key, QString::number(count)});
    process->start();
    return process;
}

} // namespace

class TestContention : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { TestBackends::initHermetic(); }

    void processes_data()
    {
        QTest::addColumn<QString>("backend");
        QTest::addColumn<int>("processes");
        QTest::addColumn<int>("increments");
        for (const QString &backend : {QStringLiteral("sqlite"), QStringLiteral("postgresql")})
            QTest::newRow(qPrintable(backend)) << backend << 4 << incrementsPerProcess();
    }

    void processes()
    {
        QFETCH(QString, backend);
        QFETCH(int, processes);
        QFETCH(int, increments);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        const QString key = QStringLiteral("counter");

        QElapsedTimer clock;
        clock.start();
        Workers running;
        auto &workers = running.processes;
        for (int i = 0; i < processes; ++i) {
            workers.push_back(startWorker(store.name(), key, increments));
            QVERIFY2(workers.back()->waitForStarted(), qPrintable(workers.back()->errorString()));
        }
        for (auto &process : workers) {
            QVERIFY(process->waitForFinished(1200000));
            const QByteArray errors = process->readAllStandardError();
            QVERIFY2(process->exitStatus() == QProcess::NormalExit && process->exitCode() == 0,
                     errors.constData());
        }
        const qint64 elapsed = clock.elapsed();

        QCOMPARE(store.value<int>(key).value_or(-1), processes * increments);
        qInfo().noquote() << QStringLiteral("%1: %2 processes x %3 update() = %4 in %5 s "
                                            "(%6 increments/s)")
                                 .arg(backend)
                                 .arg(processes)
                                 .arg(increments)
                                 .arg(processes * increments)
                                 .arg(double(elapsed) / 1000.0, 0, 'f', 1)
                                 .arg(qint64(processes) * increments * 1000
                                      / std::max<qint64>(elapsed, 1));
    }

    void threadsAndProcesses_data()
    {
        QTest::addColumn<QString>("backend");
        QTest::newRow("sqlite") << QStringLiteral("sqlite");
    }

    void threadsAndProcesses()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        const QString key = QStringLiteral("counter");
        const int threads = 8;
        const int processes = 2;
        const int increments = std::max(1, incrementsPerProcess() / 5); // 1,000 by default

        auto manager = store.openManager();
        QVERIFY(manager);
        auto counter = manager->var<int>(key, 0);
        QVERIFY2(counter.isOk(), qPrintable(counter.error().toString()));
        PersistVar::Var<int> *var = counter.value();

        QElapsedTimer clock;
        clock.start();
        Workers running;
        auto &workers = running.processes;
        for (int i = 0; i < processes; ++i) {
            workers.push_back(startWorker(store.name(), key, increments));
            QVERIFY2(workers.back()->waitForStarted(), qPrintable(workers.back()->errorString()));
        }
        std::atomic<int> failures{0};
        QMutex firstErrorMutex;
        QString firstError;
        std::vector<std::unique_ptr<QThread>> pool;
        for (int t = 0; t < threads; ++t) {
            pool.emplace_back(QThread::create([&] {
                for (int i = 0; i < increments; ++i) {
                    const PersistVar::Result<void> r =
                        var->update([](int n) { return std::pair(n + 1, true); });
                    if (!r.isOk()) {
                        ++failures;
                        QMutexLocker lock(&firstErrorMutex);
                        if (firstError.isEmpty())
                            firstError = r.error().toString();
                    }
                }
            }));
            pool.back()->start();
        }
        for (auto &thread : pool)
            QVERIFY(thread->wait(1200000));
        for (auto &process : workers) {
            QVERIFY(process->waitForFinished(1200000));
            const QByteArray errors = process->readAllStandardError();
            QVERIFY2(process->exitStatus() == QProcess::NormalExit && process->exitCode() == 0,
                     errors.constData());
        }
        const qint64 elapsed = clock.elapsed();
        QVERIFY2(failures == 0,
                 qPrintable(QStringLiteral("%1 update() calls failed; the first: %2")
                                .arg(failures.load())
                                .arg(firstError)));
        QVERIFY(manager->close().isOk());

        const int expected = (threads + processes) * increments;
        QCOMPARE(store.value<int>(key).value_or(-1), expected);
        qInfo().noquote() << QStringLiteral("%1: %2 threads + %3 processes x %4 update() = %5 in "
                                            "%6 s")
                                 .arg(backend)
                                 .arg(threads)
                                 .arg(processes)
                                 .arg(increments)
                                 .arg(expected)
                                 .arg(double(elapsed) / 1000.0, 0, 'f', 1);
    }
};

int main(int argc, char *argv[])
{
    // 20,000 fsync-ed SQLite commits can outlast QtTest's default 5 minutes per row on a busy disk.
    if (!qEnvironmentVariableIsSet("QTEST_FUNCTION_TIMEOUT"))
        qputenv("QTEST_FUNCTION_TIMEOUT",
                QByteArray::number(std::max(900000, incrementsPerProcess() * 180)));
    QCoreApplication app(argc, argv);
    TestContention test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}
#include "tst_contention.moc"
