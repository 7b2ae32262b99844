// SPDX-License-Identifier: MIT
// Faults, over every backend: a FaultyStorage over the real store fails chosen operations (the
// n-th save, every load or save of one key, batch entries, a whole batch, close), and a store on
// a full disk (a size-limited tmpfs as root; a file size limit, RLIMIT_FSIZE, in a child process
// for everyone). In every case:
// - the values that could not be written stay dirty and the next successful sync writes them;
// - the manager emits exactly one errorOccurred per failure, with its code and key;
// - nothing else is lost: the other keys of the same sync are written, and a second reader of
//   the store finds them, and finds the values stored before the failure intact.
#include "faultystorage.h"
#include "testbackends.h"

#include <persistvar/varmanager.h>

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QProcess>
#include <QtCore/QRegularExpression>
#include <QtCore/QScopeGuard>
#include <QtCore/QTemporaryDir>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <csignal>
#include <cstring>
#include <functional>
#include <tuple>

#include <errno.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

using PersistVar::Error;
using PersistVar::ErrorCode;
using PersistVar::VarManager;
using TestBackends::Store;

#define VERIFY_OK(call) \
    do { \
        const auto &result_ = (call); \
        QVERIFY2(result_.isOk(), qPrintable(result_.error().toString())); \
    } while (false)

namespace {

// A manager over a FaultyStorage over a fresh storage of the store.
struct Faulty
{
    FaultyStorage *faults = nullptr;
    std::unique_ptr<VarManager> manager;
};

Faulty openFaulty(const Store &store)
{
    Faulty result;
    auto storage = store.openStorage();
    if (!storage)
        return result;
    auto faulty = std::make_unique<FaultyStorage>(std::move(storage));
    result.faults = faulty.get();
    result.manager = std::make_unique<VarManager>(std::move(faulty));
    return result;
}

Error errorAt(const QSignalSpy &spy, qsizetype i)
{
    return spy.at(i).at(0).value<Error>();
}

// Every errorOccurred is one of the injected failures, each reported once, in order.
bool reportedExactlyOnce(const QSignalSpy &spy, const FaultyStorage *faults, QString *why)
{
    const QList<Error> injected = faults->injectedFailures();
    if (spy.count() != injected.size()) {
        *why = QStringLiteral("%1 errorOccurred signals for %2 injected failures")
                   .arg(spy.count())
                   .arg(injected.size());
        return false;
    }
    for (qsizetype i = 0; i < injected.size(); ++i) {
        if (errorAt(spy, i) != injected.at(i)) {
            *why = QStringLiteral("signal %1 reported \"%2\", the failure was \"%3\"")
                       .arg(i)
                       .arg(errorAt(spy, i).toString(), injected.at(i).toString());
            return false;
        }
    }
    return true;
}

#define VERIFY_REPORTED_ONCE(spy, faults) \
    do { \
        QString why_; \
        QVERIFY2(reportedExactlyOnce((spy), (faults), &why_), qPrintable(why_)); \
    } while (false)

// The values of the full-disk test: big, growing, and readable text (so that an INI file holds
// them as they are). Sizes are not multiples of a page, so the disk is likely to fill up in the
// middle of a value (a short write) rather than exactly between two.
QByteArray blob(int i)
{
    return QByteArray(7000 * (i + 1) + 333, char('a' + i % 26));
}

// Whether a second try on a store that is still full must fail too. On a full file system it
// must; under a file size limit a store may legitimately find room in another file (SQLite
// checkpoints its WAL into the database file and starts the WAL again).
enum class WhileFull { RetryFails, RetryMaySucceed };

// Writes ever bigger values to the store until a sync fails for lack of space, checking after
// every successful sync that a second reader finds the value complete. Then checks that the
// failure was reported once and named the key, that the value stayed dirty and everything
// stored before is intact; then calls freeSpace() and checks that the next sync writes it.
void fillUntilFull(const QString &storeName, WhileFull whileFull,
                   const std::function<void()> &freeSpace)
{
    auto storage = PersistVar::openStorage(storeName);
    QVERIFY2(storage.isOk(), qPrintable(storage.error().toString()));
    VarManager manager(std::move(storage).value());
    QSignalSpy errors(&manager, &VarManager::errorOccurred);
    const auto secondReader = [&](const QString &key) {
        auto reader = PersistVar::openStorage(storeName);
        if (!reader.isOk())
            return PersistVar::Result<QByteArray>(reader.error());
        PersistVar::Result<QByteArray> bytes = reader.value()->load(key);
        reader.value()->close();
        return bytes;
    };

    int full = -1;
    Error failure;
    for (int i = 0; i < 64 && full < 0; ++i) {
        auto var = manager.var<QByteArray>(QStringLiteral("blob%1").arg(i));
        VERIFY_OK(var);
        VERIFY_OK(var.value()->setLazy(blob(i)));
        const PersistVar::Result<void> synced = manager.sync();
        if (!synced.isOk()) {
            full = i;
            failure = synced.error();
            break;
        }
        // A sync that reported success stored the whole value: never a truncated one.
        const PersistVar::Result<QByteArray> stored = secondReader(var.value()->key());
        QVERIFY2(stored.isOk(), qPrintable(stored.error().toString()));
        QByteArray decoded;
        QVERIFY2(PersistVar::decode(stored.value(), &decoded) && decoded == blob(i),
                 qPrintable(QStringLiteral("sync() reported success, but %1 is stored as %2 "
                                           "bytes that do not decode to its %3 bytes: a torn "
                                           "write")
                                .arg(var.value()->key())
                                .arg(stored.value().size())
                                .arg(blob(i).size())));
    }
    QVERIFY2(full >= 0, "the store never filled up");
    QVERIFY2(
        full > 0,
        qPrintable(QStringLiteral("the store accepted no write at all: ") + failure.toString()));
    const QString key = QStringLiteral("blob%1").arg(full);
    qsizetype accepted = 0;
    for (int i = 0; i < full; ++i)
        accepted += blob(i).size();
    qInfo().noquote() << QStringLiteral("full after %1 values (%2 KiB): %3")
                             .arg(full)
                             .arg(accepted / 1024)
                             .arg(failure.toString());
    QCOMPARE(failure.code(), ErrorCode::StorageFailed);
    QCOMPARE(failure.key(), key);
    QCOMPARE(errors.count(), 1);
    QCOMPARE(errorAt(errors, 0).code(), ErrorCode::StorageFailed);
    QCOMPARE(errorAt(errors, 0).key(), key);
    auto var = manager.var<QByteArray>(key);
    QVERIFY(var.value()->isDirty());
    QVERIFY(manager.hasPendingChanges());
    QCOMPARE(var.value()->get(), blob(full));

    // Everything stored before is intact, and nothing of the failed write is visible.
    for (int i = 0; i < full; ++i) {
        const PersistVar::Result<QByteArray> stored = secondReader(QStringLiteral("blob%1").arg(i));
        QVERIFY2(stored.isOk(), qPrintable(stored.error().toString()));
        QByteArray decoded;
        QVERIFY(PersistVar::decode(stored.value(), &decoded));
        QVERIFY2(decoded == blob(i), qPrintable(QStringLiteral("blob%1 changed").arg(i)));
    }
    QCOMPARE(secondReader(key).errorCode(), ErrorCode::NotFound);

    // Still full: the retry fails again, reported once more.
    const PersistVar::Result<void> retried = manager.sync();
    if (whileFull == WhileFull::RetryFails || !retried.isOk()) {
        QCOMPARE(retried.errorCode(), ErrorCode::StorageFailed);
        QCOMPARE(errors.count(), 2);
        QCOMPARE(errorAt(errors, 1).key(), key);
        QVERIFY(var.value()->isDirty());
    } else {
        qInfo("the retry found room");
        QCOMPARE(errors.count(), 1);
    }

    // Replacing a stored value while the disk is full: whatever the store reports, a key it
    // reports written holds its whole new value, and a key it reports failed its whole old one.
    const QString first = QStringLiteral("blob0");
    auto replaced = manager.var<QByteArray>(first);
    VERIFY_OK(replaced.value()->setLazy(blob(full)));
    const qsizetype before = errors.count();
    const PersistVar::Result<void> replacing = manager.sync();
    int failed = 0;
    for (const auto &[name, newValue, oldValue] :
         {std::tuple(first, blob(full), std::optional<QByteArray>(blob(0))),
          std::tuple(key, blob(full), std::optional<QByteArray>())}) {
        const bool dirty = manager.find(name)->isDirty();
        failed += dirty ? 1 : 0;
        const PersistVar::Result<QByteArray> stored = secondReader(name);
        const std::optional<QByteArray> expected = dirty ? oldValue : newValue;
        if (!expected) {
            QCOMPARE(stored.errorCode(), ErrorCode::NotFound);
            continue;
        }
        QVERIFY2(stored.isOk(), qPrintable(stored.error().toString()));
        QByteArray decoded;
        QVERIFY2(
            PersistVar::decode(stored.value(), &decoded) && decoded == *expected,
            qPrintable(QStringLiteral("%1 was reported %2, but is stored as %3 bytes that are "
                                      "not its %4 value")
                           .arg(name, dirty ? QStringLiteral("failed") : QStringLiteral("written"))
                           .arg(stored.value().size())
                           .arg(dirty ? QStringLiteral("old") : QStringLiteral("new"))));
    }
    QCOMPARE(errors.count() - before, failed);
    QCOMPARE(replacing.isOk(), failed == 0);
    const qsizetype reported = errors.count();

    freeSpace();
    VERIFY_OK(manager.sync());
    QCOMPARE(errors.count(), reported);
    QVERIFY(!var.value()->isDirty());
    QVERIFY(!replaced.value()->isDirty());
    QVERIFY(!manager.hasPendingChanges());
    for (const QString &name : {key, first}) {
        const PersistVar::Result<QByteArray> stored = secondReader(name);
        QVERIFY2(stored.isOk(), qPrintable(stored.error().toString()));
        QByteArray decoded;
        QVERIFY(PersistVar::decode(stored.value(), &decoded));
        QVERIFY(decoded == blob(full));
    }
    VERIFY_OK(manager.close());
}

constexpr rlim_t FileSizeLimit = 256 * 1024;

} // namespace

// Runs in a child process (see TestFaults::fullDiskUnderFileSizeLimit): a file size limit
// (RLIMIT_FSIZE) makes writes beyond it fail with EFBIG, as on a full disk, without privileges.
// SIGXFSZ, which would kill the process, is ignored in main().
class FileSizeLimitChild : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { TestBackends::initHermetic(); }

    void fullDisk_data()
    {
        QTest::addColumn<QString>("backend");
        for (const char *backend : {"file", "ini", "settings", "sqlite"})
            QTest::newRow(backend) << QString::fromLatin1(backend);
    }

    void fullDisk()
    {
        QFETCH(QString, backend);
        Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        struct rlimit old;
        QCOMPARE(::getrlimit(RLIMIT_FSIZE, &old), 0);
        struct rlimit limited = old;
        limited.rlim_cur = FileSizeLimit;
        QVERIFY2(::setrlimit(RLIMIT_FSIZE, &limited) == 0, std::strerror(errno));
        const auto restore = qScopeGuard([&] { ::setrlimit(RLIMIT_FSIZE, &old); });
        fillUntilFull(store.name(), WhileFull::RetryMaySucceed,
                      [&] { QCOMPARE(::setrlimit(RLIMIT_FSIZE, &old), 0); });
    }
};

class TestFaults : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { TestBackends::initHermetic(); }

    void init()
    {
        // Every warning must be expected (QTest::ignoreMessage) or it is a failure.
        QTest::failOnWarning(QRegularExpression(QStringLiteral(".*")));
    }

    void backends_data()
    {
        QTest::addColumn<QString>("backend");
        TestBackends::forEach([](const QString &b) { QTest::newRow(qPrintable(b)) << b; });
    }

    void nthSaveFails_data() { backends_data(); }
    void nthSaveFails()
    {
        QFETCH(QString, backend);
        Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        Faulty p = openFaulty(store);
        QVERIFY(p.manager);
        QSignalSpy errors(p.manager.get(), &VarManager::errorOccurred);
        auto a = p.manager->var<QString>(QStringLiteral("a")).value();
        auto b = p.manager->var<QString>(QStringLiteral("b")).value();
        auto c = p.manager->var<QString>(QStringLiteral("c")).value();
        VERIFY_OK(a->setLazy(QStringLiteral("A1")));
        VERIFY_OK(b->setLazy(QStringLiteral("B1")));
        VERIFY_OK(c->setLazy(QStringLiteral("C1")));

        // The second write of the sync (b) fails; a and c before and after it are written.
        p.faults->failNthSave(2);
        const PersistVar::Result<void> synced = p.manager->sync();
        QCOMPARE(synced.errorCode(), ErrorCode::StorageFailed);
        QCOMPARE(synced.error().key(), QStringLiteral("b"));
        QCOMPARE(p.faults->injectedCount(), 1);
        VERIFY_REPORTED_ONCE(errors, p.faults);
        QCOMPARE(errorAt(errors, 0).code(), ErrorCode::StorageFailed);
        QCOMPARE(errorAt(errors, 0).key(), QStringLiteral("b"));
        QVERIFY(!a->isDirty());
        QVERIFY(b->isDirty());
        QVERIFY(!c->isDirty());
        QVERIFY(p.manager->hasPendingChanges());
        QCOMPARE(store.value<QString>(QStringLiteral("a")), QStringLiteral("A1"));
        QCOMPARE(store.value<QString>(QStringLiteral("c")), QStringLiteral("C1"));
        QCOMPARE(store.load(QStringLiteral("b")).errorCode(), ErrorCode::NotFound);

        // The fault was one-off: the next sync writes b, and only b.
        const int writesBefore = p.faults->writeCount();
        VERIFY_OK(p.manager->sync());
        QCOMPARE(p.faults->writeCount() - writesBefore, 1);
        VERIFY_REPORTED_ONCE(errors, p.faults);
        QVERIFY(!b->isDirty());
        QVERIFY(!p.manager->hasPendingChanges());
        QCOMPARE(store.value<QString>(QStringLiteral("b")), QStringLiteral("B1"));

        // A single write (set()) can be the n-th too: it reports, stays dirty, and is retried.
        p.faults->failNthSave(1);
        const PersistVar::Result<void> set = a->set(QStringLiteral("A2"));
        QCOMPARE(set.errorCode(), ErrorCode::StorageFailed);
        QCOMPARE(set.error().key(), QStringLiteral("a"));
        QVERIFY(a->isDirty());
        QCOMPARE(store.value<QString>(QStringLiteral("a")), QStringLiteral("A1"));
        VERIFY_OK(p.manager->sync());
        QVERIFY(!a->isDirty());
        QCOMPARE(store.value<QString>(QStringLiteral("a")), QStringLiteral("A2"));
        VERIFY_OK(p.manager->close());
    }

    void oneKeyKeepsFailing_data() { backends_data(); }
    void oneKeyKeepsFailing()
    {
        QFETCH(QString, backend);
        Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        Faulty p = openFaulty(store);
        QVERIFY(p.manager);
        QSignalSpy errors(p.manager.get(), &VarManager::errorOccurred);
        auto good = p.manager->var<int>(QStringLiteral("good"), 0).value();
        auto bad = p.manager->var<QStringList>(QStringLiteral("bad")).value();
        p.faults->failSavesOf(QStringLiteral("bad"));

        // Sync after sync, the failing key never holds back the other one.
        for (int round = 1; round <= 3; ++round) {
            VERIFY_OK(good->setLazy(round));
            VERIFY_OK(bad->setLazy({QStringLiteral("round"), QString::number(round)}));
            const PersistVar::Result<void> synced = p.manager->sync();
            QCOMPARE(synced.errorCode(), ErrorCode::StorageFailed);
            QCOMPARE(synced.error().key(), QStringLiteral("bad"));
            QCOMPARE(errors.count(), round);
            VERIFY_REPORTED_ONCE(errors, p.faults);
            QCOMPARE(store.value<int>(QStringLiteral("good")), round);
            QCOMPARE(store.load(QStringLiteral("bad")).errorCode(), ErrorCode::NotFound);
            QVERIFY(!good->isDirty());
            QVERIFY(bad->isDirty());
        }
        // A sync with only the failing key dirty still reports it, once.
        QCOMPARE(p.manager->sync().errorCode(), ErrorCode::StorageFailed);
        QCOMPARE(errors.count(), 4);
        VERIFY_REPORTED_ONCE(errors, p.faults);

        // Healed: the latest value is written, nothing else.
        p.faults->heal();
        const int writesBefore = p.faults->writeCount();
        VERIFY_OK(p.manager->sync());
        QCOMPARE(p.faults->writeCount() - writesBefore, 1);
        QCOMPARE(errors.count(), 4);
        QVERIFY(!bad->isDirty());
        QCOMPARE(store.value<QStringList>(QStringLiteral("bad")),
                 QStringList({QStringLiteral("round"), QStringLiteral("3")}));

        // A second manager reads everything.
        VERIFY_OK(p.manager->close());
        auto reader = store.openManager();
        QVERIFY(reader);
        QCOMPARE(reader->var<int>(QStringLiteral("good"), 0).value()->get(), 3);
        QCOMPARE(reader->var<QStringList>(QStringLiteral("bad")).value()->get(),
                 QStringList({QStringLiteral("round"), QStringLiteral("3")}));
    }

    void failingBatchEntryIsRescuedBySingleWrite_data() { backends_data(); }
    void failingBatchEntryIsRescuedBySingleWrite()
    {
        QFETCH(QString, backend);
        Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        Faulty p = openFaulty(store);
        QVERIFY(p.manager);
        QSignalSpy errors(p.manager.get(), &VarManager::errorOccurred);
        auto x = p.manager->var<double>(QStringLiteral("x"), 0.0).value();
        auto y = p.manager->var<double>(QStringLiteral("y"), 0.0).value();
        p.faults->failBatchEntriesOf(QStringLiteral("y"));
        VERIFY_OK(x->setLazy(1.5));
        VERIFY_OK(y->setLazy(2.5));
        QCOMPARE(p.manager->sync().error().key(), QStringLiteral("y"));
        VERIFY_REPORTED_ONCE(errors, p.faults);
        QCOMPARE(store.value<double>(QStringLiteral("x")), 1.5);
        QVERIFY(y->isDirty());

        // Var::sync() writes the one variable on its own, outside a batch.
        VERIFY_OK(y->sync());
        QVERIFY(!y->isDirty());
        QVERIFY(!p.manager->hasPendingChanges());
        QCOMPARE(store.value<double>(QStringLiteral("y")), 2.5);
        QCOMPARE(errors.count(), 1);
        VERIFY_OK(p.manager->close());
    }

    void wholeBatchFails_data() { backends_data(); }
    void wholeBatchFails()
    {
        QFETCH(QString, backend);
        Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        {
            auto before = store.openManager();
            QVERIFY(before);
            VERIFY_OK(before->var<int>(QStringLiteral("b"), 0).value()->set(1));
        }
        Faulty p = openFaulty(store);
        QVERIFY(p.manager);
        QSignalSpy errors(p.manager.get(), &VarManager::errorOccurred);
        const QStringList keys = {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")};
        QList<PersistVar::Var<int> *> vars;
        for (const QString &key : keys) {
            vars.append(p.manager->var<int>(key, 0).value());
            VERIFY_OK(vars.last()->setLazy(10));
        }
        QCOMPARE(vars.at(1)->get(), 10);

        // A rolled-back transaction: one signal per key, each key once; all stay dirty.
        p.faults->failWholeBatches();
        QCOMPARE(p.manager->sync().errorCode(), ErrorCode::StorageFailed);
        QCOMPARE(errors.count(), 3);
        VERIFY_REPORTED_ONCE(errors, p.faults);
        QStringList reported;
        for (qsizetype i = 0; i < errors.count(); ++i)
            reported.append(errorAt(errors, i).key());
        reported.sort();
        QCOMPARE(reported, keys);
        for (PersistVar::Var<int> *var : std::as_const(vars))
            QVERIFY(var->isDirty());
        QCOMPARE(store.load(QStringLiteral("a")).errorCode(), ErrorCode::NotFound);
        QCOMPARE(store.value<int>(QStringLiteral("b")), 1); // the old value is intact
        QCOMPARE(store.load(QStringLiteral("c")).errorCode(), ErrorCode::NotFound);

        p.faults->heal();
        VERIFY_OK(p.manager->sync());
        QCOMPARE(errors.count(), 3);
        for (const QString &key : keys)
            QCOMPARE(store.value<int>(key), 10);
        VERIFY_OK(p.manager->close());
    }

    void failingLoadNeverOverwrites_data() { backends_data(); }
    void failingLoadNeverOverwrites()
    {
        QFETCH(QString, backend);
        Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        {
            auto before = store.openManager();
            QVERIFY(before);
            VERIFY_OK(before->var<QString>(QStringLiteral("precious"))
                          .value()
                          ->set(QStringLiteral("stored")));
            VERIFY_OK(
                before->var<QString>(QStringLiteral("other")).value()->set(QStringLiteral("fine")));
        }
        Faulty p = openFaulty(store);
        QVERIFY(p.manager);
        p.faults->failLoadsOf(QStringLiteral("precious"));
        QSignalSpy errors(p.manager.get(), &VarManager::errorOccurred);
        auto precious = p.manager->var<QString>(QStringLiteral("precious"), QStringLiteral("def"));
        QCOMPARE(precious.errorCode(), ErrorCode::StorageFailed);
        QCOMPARE(precious.error().key(), QStringLiteral("precious"));
        QVERIFY(precious.value());
        QCOMPARE(precious.value()->get(), QStringLiteral("def"));
        QCOMPARE(errors.count(), 1);
        QCOMPARE(errorAt(errors, 0).code(), ErrorCode::StorageFailed);
        QCOMPARE(errorAt(errors, 0).key(), QStringLiteral("precious"));
        // The same variable again: no new load, no new error.
        QCOMPARE(p.manager->var<QString>(QStringLiteral("precious")).errorCode(),
                 ErrorCode::NoError);
        QCOMPARE(errors.count(), 1);

        // Other keys load as usual.
        auto other = p.manager->var<QString>(QStringLiteral("other"));
        VERIFY_OK(other);
        QCOMPARE(other.value()->get(), QStringLiteral("fine"));

        // Nothing is written over the unreadable value by syncs...
        const int writesBefore = p.faults->writeCount();
        VERIFY_OK(p.manager->sync());
        QCOMPARE(p.faults->writeCount(), writesBefore);
        QCOMPARE(store.value<QString>(QStringLiteral("precious")), QStringLiteral("stored"));

        // ...until the application writes a value of its own.
        VERIFY_OK(precious.value()->set(QStringLiteral("new")));
        QCOMPARE(errors.count(), 1);
        VERIFY_OK(p.manager->close());
        QCOMPARE(store.value<QString>(QStringLiteral("precious")), QStringLiteral("new"));
        QCOMPARE(store.value<QString>(QStringLiteral("other")), QStringLiteral("fine"));
    }

    void closeFails_data() { backends_data(); }
    void closeFails()
    {
        QFETCH(QString, backend);
        Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        Faulty p = openFaulty(store);
        QVERIFY(p.manager);
        QSignalSpy errors(p.manager.get(), &VarManager::errorOccurred);
        auto a = p.manager->var<QString>(QStringLiteral("a")).value();
        VERIFY_OK(a->setLazy(QStringLiteral("pending")));
        p.faults->failClose();

        // close() writes what is pending first, then reports that closing the store failed.
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("closing.*injected fault")));
        const PersistVar::Result<void> closed = p.manager->close();
        QCOMPARE(closed.errorCode(), ErrorCode::StorageFailed);
        QVERIFY(closed.error().message().contains(QStringLiteral("injected fault")));
        QVERIFY(p.manager->isClosed());
        QCOMPARE(errors.count(), 0); // close() returns its error; no value was lost
        QCOMPARE(store.value<QString>(QStringLiteral("a")), QStringLiteral("pending"));
        QCOMPARE(a->setLazy(QStringLiteral("late")).errorCode(), ErrorCode::Closed);
        // Closing again is harmless and does not call the store again.
        VERIFY_OK(p.manager->close());
        QCOMPARE(p.faults->injectedCount(), 1);
    }

    void closeWithFailingSave_data() { backends_data(); }
    void closeWithFailingSave()
    {
        QFETCH(QString, backend);
        Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        Faulty p = openFaulty(store);
        QVERIFY(p.manager);
        QSignalSpy errors(p.manager.get(), &VarManager::errorOccurred);
        VERIFY_OK(p.manager->var<int>(QStringLiteral("kept"), 0).value()->setLazy(1));
        VERIFY_OK(p.manager->var<int>(QStringLiteral("lost"), 0).value()->setLazy(2));
        p.faults->failSavesOf(QStringLiteral("lost"));

        // The final sync of close() writes what it can and reports the key it could not write.
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("closing.*lost")));
        const PersistVar::Result<void> closed = p.manager->close();
        QCOMPARE(closed.errorCode(), ErrorCode::StorageFailed);
        QCOMPARE(closed.error().key(), QStringLiteral("lost"));
        VERIFY_REPORTED_ONCE(errors, p.faults);
        QCOMPARE(errors.count(), 1);
        QCOMPARE(store.value<int>(QStringLiteral("kept")), 1);
        QCOMPARE(store.load(QStringLiteral("lost")).errorCode(), ErrorCode::NotFound);
    }

    void autoSyncReportsEachFailureOnce_data() { backends_data(); }
    void autoSyncReportsEachFailureOnce()
    {
        QFETCH(QString, backend);
        Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        Faulty p = openFaulty(store);
        QVERIFY(p.manager);
        QSignalSpy errors(p.manager.get(), &VarManager::errorOccurred);
        auto a = p.manager->var<int>(QStringLiteral("a"), 0).value();
        auto b = p.manager->var<int>(QStringLiteral("b"), 0).value();
        p.faults->failWholeBatches();
        VERIFY_OK(a->setLazy(1));
        VERIFY_OK(b->setLazy(2));
        p.manager->autoSync(std::chrono::milliseconds(10));
        // Several rounds fail, each for both keys.
        QTRY_VERIFY_WITH_TIMEOUT(p.faults->injectedCount() >= 6, 5000);
        p.faults->heal();
        QTRY_VERIFY_WITH_TIMEOUT(!p.manager->hasPendingChanges(), 5000);
        p.manager->stopAutoSync();
        // A sync of our own waits for any round still running on the sync thread.
        VERIFY_OK(p.manager->sync());
        VERIFY_REPORTED_ONCE(errors, p.faults);
        QCOMPARE(p.faults->injectedCount() % 2, 0);
        QCOMPARE(store.value<int>(QStringLiteral("a")), 1);
        QCOMPARE(store.value<int>(QStringLiteral("b")), 2);
        VERIFY_OK(p.manager->close());
    }

    void fullDiskOnTmpfs_data()
    {
        QTest::addColumn<QString>("backend");
        for (const char *backend : {"file", "ini", "sqlite"})
            QTest::newRow(backend) << QString::fromLatin1(backend);
    }

    void fullDiskOnTmpfs()
    {
        QFETCH(QString, backend);
        if (::geteuid() != 0)
            QSKIP("mounting a size-limited tmpfs needs root (CI runs as root); "
                  "fullDiskUnderFileSizeLimit covers the full disk without it");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString mountPoint = dir.filePath(QStringLiteral("mnt"));
        QVERIFY(QDir().mkpath(mountPoint));
        if (::mount("tmpfs", QFile::encodeName(mountPoint).constData(), "tmpfs",
                    MS_NOSUID | MS_NODEV, "size=512k,mode=0700")
            != 0) {
            QSKIP(qPrintable(QStringLiteral("cannot mount a tmpfs here (%1); "
                                            "fullDiskUnderFileSizeLimit covers the full disk")
                                 .arg(QString::fromLocal8Bit(std::strerror(errno)))));
        }
        const auto unmount =
            qScopeGuard([&] { ::umount2(QFile::encodeName(mountPoint).constData(), MNT_DETACH); });

        // Half the disk is ballast; removing it is how space is freed.
        const QString ballast = mountPoint + QStringLiteral("/ballast");
        {
            QFile file(ballast);
            QVERIFY(file.open(QIODevice::WriteOnly));
            QCOMPARE(file.write(QByteArray(256 * 1024, 'b')), 256 * 1024);
        }
        const QString name = backend == QLatin1String("file")
            ? QStringLiteral("file:") + mountPoint + QStringLiteral("/files")
            : backend == QLatin1String("ini")
            ? QStringLiteral("ini:") + mountPoint + QStringLiteral("/app.ini")
            : QStringLiteral("sqlite:") + mountPoint + QStringLiteral("/app.db");
        fillUntilFull(name, WhileFull::RetryFails, [&] { QVERIFY(QFile::remove(ballast)); });
    }

    void fullDiskUnderFileSizeLimit_data()
    {
        QTest::addColumn<QString>("backend");
        for (const char *backend : {"file", "ini", "settings", "sqlite"})
            QTest::newRow(backend) << QString::fromLatin1(backend);
    }

    void fullDiskUnderFileSizeLimit()
    {
        // The limit applies to every file the process writes, so it is set in a child process
        // (this program again, running FileSizeLimitChild) rather than in this one.
        QFETCH(QString, backend);
        QProcess child;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("PERSISTVAR_FAULTS_CHILD"), QStringLiteral("fsize"));
        child.setProcessEnvironment(environment);
        child.setProcessChannelMode(QProcess::MergedChannels);
        child.start(QCoreApplication::applicationFilePath(),
                    {QStringLiteral("fullDisk:") + backend});
        QVERIFY2(child.waitForStarted(), qPrintable(child.errorString()));
        QVERIFY(child.waitForFinished(240000));
        const QString output = QString::fromLocal8Bit(child.readAll());
        QVERIFY2(child.exitStatus() == QProcess::NormalExit && child.exitCode() == 0,
                 qPrintable(QStringLiteral("the child failed:\n") + output));
        for (const QString &line : output.split(QLatin1Char('\n'))) {
            if (line.startsWith(QLatin1String("QINFO")) || line.startsWith(QLatin1String("SKIP")))
                qInfo().noquote() << "child:" << line.section(QLatin1Char(')'), 1).trimmed();
        }
    }
};

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    if (qEnvironmentVariable("PERSISTVAR_FAULTS_CHILD") == QLatin1String("fsize")) {
        // Beyond RLIMIT_FSIZE, write() fails with EFBIG instead of killing the process.
        std::signal(SIGXFSZ, SIG_IGN);
        FileSizeLimitChild child;
        return QTest::qExec(&child, argc, argv);
    }
    TestFaults test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_faults.moc"
