// SPDX-License-Identifier: MIT
// Crash test: a child process (crashworker) writes batches of keys and syncs them; it is killed
// with SIGKILL at random moments, hundreds of times per backend. After every kill a fresh manager
// opens the store and checks:
// - every key holds a complete value that was once written (parsed, padding and checksum
//   intact): never a torn, truncated or mixed value;
// - every batch the child acknowledged (its sync() returned success) survived;
// - values never go back in time, and nothing appears that was never begun;
// - on SQL stores a batch is all-or-nothing: all keys hold the same generation.
// On file-per-key and QSettings stores a batch is not one transaction, so each key on its own
// must satisfy the rules above.
//
// Environment:
//   PERSISTVAR_CRASH_KILLS  kills per backend (default 200), e.g. 10000 for a long run
//   PERSISTVAR_CRASH_SEED   the random seed (printed by every run) to replay a run's timing
#include "testbackends.h"

#include <persistvar/varmanager.h>

#include <QtCore/QDir>
#include <QtCore/QDirIterator>
#include <QtCore/QElapsedTimer>
#include <QtCore/QProcess>
#include <QtCore/QRandomGenerator>
#include <QtCore/QRegularExpression>
#include <QtCore/QThread>
#include <QtTest/QTest>

#include <algorithm>

namespace {

const QStringList StringKeys = {QStringLiteral("k0"), QStringLiteral("k1"), QStringLiteral("k2")};
const QString BytesKey = QStringLiteral("k3");

int killsPerBackend()
{
    bool ok = false;
    const int kills = qEnvironmentVariableIntValue("PERSISTVAR_CRASH_KILLS", &ok);
    return ok && kills > 0 ? kills : 200;
}

// Parses a value written by crashworker (see the format there). Returns its generation, or -1
// with the reason in *why when the value is not one the worker could have written for key.
qint64 generationOf(const QByteArray &value, const QString &key, QString *why)
{
    static const QRegularExpression pattern(
        QStringLiteral("^gen:([0-9]+):([^:]+):([a-z]*):([0-9a-f]{4})$"));
    const QString text = QString::fromUtf8(value);
    const QRegularExpressionMatch match = pattern.match(text);
    if (!match.hasMatch()) {
        *why = QStringLiteral("not a worker value (%1 bytes): %2")
                   .arg(value.size())
                   .arg(QString::fromUtf8(value.left(60)));
        return -1;
    }
    const qint64 generation = match.captured(1).toLongLong();
    if (match.captured(2) != key) {
        *why = QStringLiteral("holds the value of key %1").arg(match.captured(2));
        return -1;
    }
    const QString padding = match.captured(3);
    if (padding != QString(int(generation % 997), QChar(char16_t('a' + generation % 26)))) {
        *why = QStringLiteral("generation %1 has a padding of %2 characters, expected %3")
                   .arg(generation)
                   .arg(padding.size())
                   .arg(generation % 997);
        return -1;
    }
    const QByteArray body = value.left(value.lastIndexOf(':'));
    const quint16 crc = qChecksum(QByteArrayView(body));
    if (match.captured(4).toUShort(nullptr, 16) != crc) {
        *why = QStringLiteral("generation %1 fails its checksum").arg(generation);
        return -1;
    }
    return generation;
}

// What one run of the worker printed before it died.
struct RunLog
{
    bool ready = false;
    qint64 firstBegun = -1;
    qint64 lastBegun = -1;
    qint64 lastAcked = -1;
    QStringList failures;
};

RunLog parseLog(const QByteArray &output)
{
    RunLog log;
    const QList<QByteArray> lines = output.split('\n');
    // The last element is empty or a line cut short by the kill: a line counts once complete.
    for (qsizetype i = 0; i + 1 < lines.size(); ++i) {
        const QByteArray &line = lines.at(i);
        if (line == "ready") {
            log.ready = true;
        } else if (line.startsWith("begin ")) {
            log.lastBegun = line.mid(6).toLongLong();
            if (log.firstBegun < 0)
                log.firstBegun = log.lastBegun;
        } else if (line.startsWith("acked ")) {
            log.lastAcked = line.mid(6).toLongLong();
        } else if (line.startsWith("failed ")) {
            log.failures.append(QString::fromUtf8(line));
        }
    }
    return log;
}

} // namespace

class TestCrash : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { TestBackends::initHermetic(); }

    void killedWriterLosesNothing_data()
    {
        QTest::addColumn<QString>("backend");
        QTest::addColumn<bool>("transactional");
        TestBackends::forEach(
            [](const QString &backend) {
                const bool sql =
                    backend == QLatin1String("sqlite") || backend == QLatin1String("postgresql");
                QTest::newRow(qPrintable(backend)) << backend << sql;
            },
            TestBackends::persistent());
    }

    void killedWriterLosesNothing()
    {
        QFETCH(QString, backend);
        QFETCH(bool, transactional);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);

        const int kills = killsPerBackend();
        bool seedOk = false;
        quint32 seed = quint32(qEnvironmentVariableIntValue("PERSISTVAR_CRASH_SEED", &seedOk));
        if (!seedOk)
            seed = QRandomGenerator::global()->generate();
        QRandomGenerator random(seed);
        qInfo().noquote() << QStringLiteral("%1: %2 kills, PERSISTVAR_CRASH_SEED=%3")
                                 .arg(backend)
                                 .arg(kills)
                                 .arg(seed);

        QHash<QString, qint64> stored; // key -> generation found by the last check (0: absent)
        qint64 lastAcked = 0; // every batch writes every key, so one number for all
        qint64 highestBegun = 0;
        qint64 next = 1;
        int duringStartup = 0;
        int inFlight = 0; // killed between "begin n" and "acked n": the interesting case
        qint64 acknowledged = 0;
        QElapsedTimer clock;
        clock.start();

        for (int kill = 1; kill <= kills; ++kill) {
            const QString context = QStringLiteral("%1, kill %2 of %3, seed %4")
                                        .arg(backend)
                                        .arg(kill)
                                        .arg(kills)
                                        .arg(seed);
            QProcess worker;
            worker.setProgram(QStringLiteral(CRASHWORKER_PATH));
            worker.setArguments({store.name(), QString::number(next)});
            worker.setProcessChannelMode(QProcess::SeparateChannels);
            // One kill in ten lands anywhere from the start (opening the store, creating the
            // schema); the others 5-50 ms after the store is open, where the batches are. One in
            // five of those waits longer (50-250 ms), so that slow stores (a file-per-key batch
            // is several fsyncs) also acknowledge batches whose survival can be checked.
            const int dice = random.bounded(10);
            const bool fromStart = dice == 0;
            const int delayMs = fromStart ? random.bounded(0, 41)
                : dice <= 2               ? random.bounded(50, 251)
                                          : random.bounded(5, 51);
            worker.start();
            QVERIFY2(worker.waitForStarted(30000), qPrintable(worker.errorString()));
            QByteArray output;
            if (!fromStart) {
                QElapsedTimer waited;
                waited.start();
                while (!output.contains("ready\n") && waited.elapsed() < 60000
                       && worker.state() == QProcess::Running) {
                    worker.waitForReadyRead(100);
                    output += worker.readAllStandardOutput();
                }
                QVERIFY2(output.contains("ready\n"),
                         qPrintable(context + QStringLiteral(": the worker never got ready: ")
                                    + QString::fromLocal8Bit(worker.readAllStandardError())));
            }
            QThread::msleep(ulong(delayMs));
            const bool stillRunning = worker.state() == QProcess::Running;
            worker.kill();
            QVERIFY(worker.waitForFinished(30000));
            output += worker.readAllStandardOutput();
            const QByteArray errors = worker.readAllStandardError();
            QVERIFY2(stillRunning && worker.exitStatus() == QProcess::CrashExit,
                     qPrintable(context
                                + QStringLiteral(": the worker ended by itself (%1): %2")
                                      .arg(worker.exitCode())
                                      .arg(QString::fromLocal8Bit(errors))));

            const RunLog log = parseLog(output);
            QVERIFY2(
                log.failures.isEmpty(),
                qPrintable(context + QStringLiteral(": ") + log.failures.join(QLatin1Char('\n'))));
            if (!log.ready)
                ++duringStartup;
            if (log.lastBegun >= 0 && log.lastBegun != log.lastAcked)
                ++inFlight;
            if (log.lastAcked >= 0) {
                acknowledged += log.lastAcked - log.firstBegun + 1;
                lastAcked = log.lastAcked;
            }
            if (log.lastBegun >= 0)
                highestBegun = log.lastBegun;

            // The check: a new manager on the store, as the restarted application would open it.
            auto manager = store.openManager();
            QVERIFY2(manager, qPrintable(context + QStringLiteral(": cannot open the store")));
            QHash<QString, qint64> now;
            for (const QString &key : StringKeys + QStringList{BytesKey}) {
                QByteArray value;
                PersistVar::Error error;
                if (key == BytesKey) {
                    auto var = manager->var<QByteArray>(key);
                    error = var.error();
                    value = var.value() ? var.value()->get() : QByteArray();
                } else {
                    auto var = manager->var<QString>(key);
                    error = var.error();
                    value = var.value() ? var.value()->get().toUtf8() : QByteArray();
                }
                QVERIFY2(!error.isError(),
                         qPrintable(context
                                    + QStringLiteral(": key %1: %2").arg(key, error.toString())));
                qint64 generation = 0;
                if (!value.isEmpty()) {
                    QString why;
                    generation = generationOf(value, key, &why);
                    QVERIFY2(generation > 0,
                             qPrintable(context + QStringLiteral(": key %1 %2").arg(key, why)));
                }
                // Every acknowledged sync survived.
                QVERIFY2(generation >= lastAcked,
                         qPrintable(context
                                    + QStringLiteral(": key %1 holds generation %2, but "
                                                     "generation %3 was acknowledged")
                                          .arg(key)
                                          .arg(generation)
                                          .arg(lastAcked)));
                // Nothing goes back in time, nothing appears that was never written.
                QVERIFY2(generation >= stored.value(key),
                         qPrintable(context
                                    + QStringLiteral(": key %1 went back from generation "
                                                     "%2 to %3")
                                          .arg(key)
                                          .arg(stored.value(key))
                                          .arg(generation)));
                if (generation != stored.value(key)) {
                    QVERIFY2(log.firstBegun >= 0 && generation >= log.firstBegun
                                 && generation <= log.lastBegun,
                             qPrintable(context
                                        + QStringLiteral(": key %1 holds generation %2, "
                                                         "which this run never began "
                                                         "(began %3..%4)")
                                              .arg(key)
                                              .arg(generation)
                                              .arg(log.firstBegun)
                                              .arg(log.lastBegun)));
                }
                now.insert(key, generation);
            }
            if (transactional) {
                // All or nothing: one batch wrote every key with one generation.
                const QList<qint64> generations = now.values();
                QVERIFY2(std::all_of(generations.cbegin(), generations.cend(),
                                     [&](qint64 g) { return g == generations.first(); }),
                         qPrintable(context
                                    + QStringLiteral(": a batch was torn apart: k0=%1 "
                                                     "k1=%2 k2=%3 k3=%4")
                                          .arg(now.value(QStringLiteral("k0")))
                                          .arg(now.value(QStringLiteral("k1")))
                                          .arg(now.value(QStringLiteral("k2")))
                                          .arg(now.value(BytesKey))));
            }
            QVERIFY(!manager->hasPendingChanges());
            const PersistVar::Result<void> closed = manager->close();
            QVERIFY2(closed.isOk(),
                     qPrintable(context + QStringLiteral(": closing the check: ")
                                + closed.error().toString()));
            stored = now;
            next = std::max(highestBegun, next) + 1;
        }

        QVERIFY2(acknowledged > 0, "no batch was ever acknowledged: the test proved nothing");
        QVERIFY2(inFlight > 0, "no kill landed inside a sync: the test proved little");
        // What the folder holds after all the kills: leftovers of writes cut short (temporary
        // or lock files) are not values, but they take space, so they are listed.
        QStringList files;
        if (backend != QLatin1String("postgresql") && backend != QLatin1String("settings")) {
            QDirIterator it(store.directory(), QDir::Files | QDir::Hidden,
                            QDirIterator::Subdirectories);
            while (it.hasNext())
                files.append(QDir(store.directory()).relativeFilePath(it.next()));
            files.sort();
        }
        qInfo().noquote() << QStringLiteral(
                                 "%1: %2 kills in %3 s (%4 ms each): %5 during start-up, %6 inside "
                                 "a sync; %7 batches acknowledged; files in the store folder: %8")
                                 .arg(backend)
                                 .arg(kills)
                                 .arg(double(clock.elapsed()) / 1000.0, 0, 'f', 1)
                                 .arg(clock.elapsed() / kills)
                                 .arg(duringStartup)
                                 .arg(inFlight)
                                 .arg(acknowledged)
                                 .arg(files.isEmpty() ? QStringLiteral("-")
                                                      : files.join(QStringLiteral(", ")));
    }
};

int main(int argc, char *argv[])
{
    // A long run (PERSISTVAR_CRASH_KILLS=10000) outlasts QtTest's default 5 minutes per row.
    if (!qEnvironmentVariableIsSet("QTEST_FUNCTION_TIMEOUT")) {
        const qint64 ms = std::max<qint64>(300000, qint64(killsPerBackend()) * 2000);
        qputenv("QTEST_FUNCTION_TIMEOUT", QByteArray::number(ms));
    }
    QCoreApplication app(argc, argv);
    TestCrash test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_crash.moc"
