// SPDX-License-Identifier: MIT
// Threads: updateLazy is atomic per variable, get/setLazy race with syncs without losing the last
// value, update() from many threads never loses an increment, readers never wait for I/O, and
// autoSync's thread lets a woken thread (the GUI's) take its CPU.
#include "testbackends.h"

#include <persistvar/memorystorage.h>
#include <persistvar/varmanager.h>

#include <QtCore/QRegularExpression>
#include <QtCore/QSemaphore>
#include <QtCore/QThread>
#include <QtTest/QTest>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#ifdef Q_OS_LINUX
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#endif

using PersistVar::ErrorCode;
using PersistVar::Var;
using TestBackends::Store;

#define VERIFY_OK(call) \
    do { \
        const auto &result_ = (call); \
        QVERIFY2(result_.isOk(), qPrintable(result_.error().toString())); \
    } while (false)

namespace {

constexpr int ThreadCount = 8;

// Runs fn(threadIndex) on ThreadCount threads started together, and joins them.
template<typename Fn>
void runThreads(Fn fn)
{
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < ThreadCount; ++t)
        threads.emplace_back([&go, &fn, t] {
            while (!go.load())
                std::this_thread::yield();
            fn(t);
        });
    go = true;
    for (std::thread &thread : threads)
        thread.join();
}

// A storage whose writes wait until the test lets them through, to hold a write "in flight".
class GateStorage : public TestBackends::ProbeStorage
{
public:
    using ProbeStorage::ProbeStorage;
    QSemaphore entered; // released when a write has started
    QSemaphore proceed; // acquired before the write goes on

    PersistVar::Result<void> save(const QString &key, const QByteArray &newValue,
                                  const std::optional<QByteArray> &oldValue) override
    {
        entered.release();
        proceed.acquire();
        return ProbeStorage::save(key, newValue, oldValue);
    }
};

#ifdef Q_OS_LINUX
// struct sched_attr, first version (linux/sched/types.h).
struct SchedAttr
{
    std::uint32_t size = sizeof(SchedAttr);
    std::uint32_t policy = 0;
    std::uint64_t flags = 0;
    std::int32_t nice = 0;
    std::uint32_t priority = 0;
    std::uint64_t runtime = 0; // a fair thread's time slice in ns, where the kernel has them
    std::uint64_t deadline = 0;
    std::uint64_t period = 0;
};

std::optional<SchedAttr> schedAttrOfThisThread()
{
    SchedAttr attr;
    if (syscall(SYS_sched_getattr, 0, &attr, unsigned(sizeof attr), 0u) != 0)
        return std::nullopt;
    return attr;
}
#endif

// Remembers the scheduling attributes of the thread that writes a batch.
class SchedProbeStorage : public TestBackends::ProbeStorage
{
public:
    using ProbeStorage::ProbeStorage;
    std::atomic<bool> wrote{false};
    std::thread::id writerThread;
#ifdef Q_OS_LINUX
    std::optional<SchedAttr> writerAttr;
#endif

    QList<PersistVar::Error> saveBatch(const QList<PersistVar::StorageWrite> &writes) override
    {
        if (!wrote.load()) {
            writerThread = std::this_thread::get_id();
#ifdef Q_OS_LINUX
            writerAttr = schedAttrOfThisThread();
#endif
            wrote.store(true);
        }
        return ProbeStorage::saveBatch(writes);
    }
};

} // namespace

class TestThreads : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { TestBackends::initHermetic(); }
    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

    void updateLazyIsAtomic_data()
    {
        QTest::addColumn<QString>("backend");
        TestBackends::forEach([](const QString &b) { QTest::newRow(qPrintable(b)) << b; },
                              {QStringLiteral("memory"), QStringLiteral("file")});
    }
    void updateLazyIsAtomic()
    {
        QFETCH(QString, backend);
        Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        constexpr int Increments = 100000;
        {
            auto manager = store.openManager();
            QVERIFY(manager);
            Var<int> *counter = manager->var<int>(QStringLiteral("counter"), 0).value();
            QVERIFY(counter);
            std::atomic<int> failures{0};
            std::atomic<int> unchanged{0};
            runThreads([&](int) {
                for (int i = 0; i < Increments; ++i) {
                    const PersistVar::Result<bool> r =
                        counter->updateLazy([](int n) { return std::pair(n + 1, true); });
                    if (!r.isOk())
                        ++failures;
                    else if (!r.value())
                        ++unchanged;
                }
            });
            QCOMPARE(failures.load(), 0);
            QCOMPARE(unchanged.load(), 0);
            QCOMPARE(counter->get(), ThreadCount * Increments);
            QVERIFY(counter->isDirty());
            VERIFY_OK(manager->sync());
        }
        QCOMPARE(store.value<int>(QStringLiteral("counter")), ThreadCount * Increments);
        auto second = store.openManager();
        QVERIFY(second);
        QCOMPARE(second->var<int>(QStringLiteral("counter"), 0).value()->get(),
                 ThreadCount * Increments);
    }

    void setLazyRacesWithSync_data()
    {
        QTest::addColumn<QString>("backend");
        TestBackends::forEach([](const QString &b) { QTest::newRow(qPrintable(b)) << b; });
    }
    void setLazyRacesWithSync()
    {
        // Each thread writes its own key lazily while another thread syncs in a loop and the
        // autoSync timer runs too; every key must end with its thread's last value in storage.
        QFETCH(QString, backend);
        Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        constexpr int Writes = 3000;
        {
            auto manager = store.openManager();
            QVERIFY(manager);
            QList<Var<int> *> vars;
            for (int t = 0; t < ThreadCount; ++t)
                vars.append(manager->var<int>(QStringLiteral("thread/%1").arg(t), -1).value());
            Var<int> *shared = manager->var<int>(QStringLiteral("shared"), -1).value();
            QVERIFY(shared && !vars.contains(nullptr));
            std::atomic<bool> done{false};
            std::atomic<int> syncFailures{0};
            std::thread syncer([&] {
                while (!done.load()) {
                    if (!manager->sync().isOk())
                        ++syncFailures;
                }
            });
            manager->autoSync(std::chrono::milliseconds(5));
            std::atomic<int> badReads{0};
            runThreads([&](int t) {
                for (int i = 0; i < Writes; ++i) {
                    if (!vars.at(t)->setLazy(i).isOk() || vars.at(t)->get() != i)
                        ++badReads;
                    (void)shared->setLazy(t * Writes + i);
                    const int seen = shared->get();
                    if (seen < -1 || seen >= ThreadCount * Writes)
                        ++badReads;
                }
            });
            done = true;
            syncer.join();
            manager->stopAutoSync();
            QCOMPARE(syncFailures.load(), 0);
            QCOMPARE(badReads.load(), 0);
            VERIFY_OK(shared->setLazy(12345));
            VERIFY_OK(manager->sync());
            QVERIFY(!manager->hasPendingChanges());
            for (int t = 0; t < ThreadCount; ++t)
                QVERIFY(!vars.at(t)->isDirty());
        }
        for (int t = 0; t < ThreadCount; ++t)
            QCOMPARE(store.value<int>(QStringLiteral("thread/%1").arg(t)), Writes - 1);
        QCOMPARE(store.value<int>(QStringLiteral("shared")), 12345);
    }

    void updateFromManyThreads_data()
    {
        // Every update is a durable write; backends that fsync a file per write get fewer.
        QTest::addColumn<QString>("backend");
        QTest::addColumn<int>("updates");
        TestBackends::forEach([](const QString &b) {
            const bool filePerWrite = b == QLatin1String("file") || b == QLatin1String("ini")
                || b == QLatin1String("settings");
            QTest::newRow(qPrintable(b)) << b << (filePerWrite ? 25 : 200);
        });
    }
    void updateFromManyThreads()
    {
        // update() writes at once, as compare-and-swap, from the calling thread (for SQL: a
        // connection per thread); no increment may be lost.
        QFETCH(QString, backend);
        QFETCH(int, updates);
        Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        const int Updates = updates;
        {
            auto manager = store.openManager();
            QVERIFY(manager);
            Var<int> *counter = manager->var<int>(QStringLiteral("counter"), 0).value();
            QVERIFY(counter);
            std::atomic<int> failures{0};
            QStringList errors;
            QMutex errorsMutex;
            runThreads([&](int) {
                for (int i = 0; i < Updates; ++i) {
                    const PersistVar::Result<void> r =
                        counter->update([](int n) { return std::pair(n + 1, true); });
                    if (!r.isOk()) {
                        ++failures;
                        QMutexLocker lock(&errorsMutex);
                        errors.append(r.error().toString());
                    }
                }
            });
            QVERIFY2(failures.load() == 0, qPrintable(errors.mid(0, 3).join(QLatin1Char('\n'))));
            QCOMPARE(counter->get(), ThreadCount * Updates);
            QVERIFY(!counter->isDirty());
            QCOMPARE(store.value<int>(QStringLiteral("counter")), ThreadCount * Updates);
        }
        auto second = store.openManager();
        QVERIFY(second);
        QCOMPARE(second->var<int>(QStringLiteral("counter"), 0).value()->get(),
                 ThreadCount * Updates);
    }

    void readersNeverWaitForIo()
    {
        // A write is held inside the storage; get() and setLazy() from another thread must still
        // return at once (they take the variable's lock, never the storage's).
        auto gate = std::make_unique<GateStorage>(std::make_unique<PersistVar::MemoryStorage>());
        GateStorage *storage = gate.get();
        PersistVar::VarManager manager(std::move(gate));
        Var<int> *var = manager.var<int>(QStringLiteral("k"), 0).value();
        Var<int> *other = manager.var<int>(QStringLiteral("other"), 0).value();
        QVERIFY(var && other);
        std::thread writer([var] { (void)var->set(1); });
        QVERIFY(storage->entered.tryAcquire(1, 5000)); // the write is now inside the storage

        auto reads = std::async(std::launch::async, [var, other] {
            int sum = 0;
            for (int i = 0; i < 1000; ++i) {
                sum += var->get();
                (void)var->setLazy(2);
                (void)other->setLazy(i);
                (void)other->updateLazy([](int n) { return std::pair(n + 1, true); });
                (void)var->isDirty();
            }
            return sum;
        });
        const bool returned = reads.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
        storage->proceed.release(100); // let the write (and any later ones) through
        writer.join();
        reads.wait();
        QVERIFY2(returned, "get()/setLazy() waited for a write in progress");
        VERIFY_OK(manager.sync());
        QCOMPARE(var->get(), 2);
        QCOMPARE(other->get(), 1000);
    }

    void syncThreadAsksForALongSlice()
    {
#ifndef Q_OS_LINUX
        QSKIP("time slices are a Linux scheduler attribute");
#else
        // Where the kernel takes a fair thread's slice from sched_attr (EEVDF, Linux 6.12 and
        // later), a thread that asks for one reads it back; earlier kernels report 0.
        SchedAttr probe;
        std::thread([&probe] {
            SchedAttr attr = schedAttrOfThisThread().value_or(SchedAttr());
            attr.size = sizeof attr;
            attr.runtime = 30'000'000;
            if (syscall(SYS_sched_setattr, 0, &attr, 0u) == 0)
                probe = schedAttrOfThisThread().value_or(SchedAttr());
        }).join();
        if (probe.runtime != 30'000'000)
            QSKIP("this kernel has no per-thread time slices");
        const std::optional<SchedAttr> mine = schedAttrOfThisThread();
        QVERIFY(mine);

        auto probing =
            std::make_unique<SchedProbeStorage>(std::make_unique<PersistVar::MemoryStorage>());
        SchedProbeStorage *storage = probing.get();
        PersistVar::VarManager manager(std::move(probing));
        Var<int> *var = manager.var<int>(QStringLiteral("k"), 0).value();
        QVERIFY(var);
        VERIFY_OK(var->setLazy(1));
        manager.autoSync(std::chrono::milliseconds(10));
        QTRY_VERIFY_WITH_TIMEOUT(storage->wrote.load(), 5000);
        manager.stopAutoSync();

        // autoSync writes on a thread of its own, whose slice is longer than this thread's
        // default one, so that this thread, waking up, need not wait for it to run out.
        QVERIFY(storage->writerThread != std::this_thread::get_id());
        QVERIFY(storage->writerAttr);
        QVERIFY2(storage->writerAttr->runtime > std::max<std::uint64_t>(mine->runtime, 3'000'000),
                 qPrintable(QStringLiteral("slice %1 ns").arg(storage->writerAttr->runtime)));
        // Everything else as the thread that started it had it.
        QCOMPARE(storage->writerAttr->policy, mine->policy);
        QCOMPARE(storage->writerAttr->nice, mine->nice);
#endif
    }
};

QTEST_GUILESS_MAIN(TestThreads)
#include "tst_threads.moc"
