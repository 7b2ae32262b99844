// SPDX-License-Identifier: MIT
// VarManager over every backend: the registry, what reaches storage and when (checked by a second
// reader of the same store), failures, autoSync, the lifecycle and compare-and-swap update().
#include "faultystorage.h"
#include "messagecapture.h"
#include "testbackends.h"

#include <persistvar/varmanager.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QMutex>
#include <QtCore/QRegularExpression>
#include <QtCore/QSet>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using PersistVar::ErrorCode;
using TestBackends::ProbeStorage;
using TestBackends::Store;

namespace {

// A manager over a decorator (ProbeStorage, FaultyStorage) of a fresh storage of the store.
template<typename Decorator>
struct Decorated
{
    Decorator *storage = nullptr;
    std::unique_ptr<PersistVar::VarManager> manager;
};
template<typename Decorator>
Decorated<Decorator> openDecorated(const Store &store)
{
    Decorated<Decorator> result;
    auto storage = store.openStorage();
    if (!storage)
        return result;
    auto decorator = std::make_unique<Decorator>(std::move(storage));
    result.storage = decorator.get();
    result.manager = std::make_unique<PersistVar::VarManager>(std::move(decorator));
    return result;
}

// A store that cannot read one key cannot read the whole store at once either: loadAll() fails
// as a whole, as a real backend's would. (FaultyStorage::loadAll() leaves the key out instead,
// which VarManager, trusting a snapshot to hold every stored key, would take for "not stored".)
class UnreadableStorage : public FaultyStorage
{
public:
    using FaultyStorage::FaultyStorage;
    PersistVar::Result<QHash<QString, QByteArray>> loadAll() override
    {
        return PersistVar::Error(
            ErrorCode::StorageFailed, QString(),
            QStringLiteral("injected fault: the store cannot be read at once"));
    }
};

// Garbage that is no codec output: wrong format byte, then bytes that are not CBOR.
const QByteArray Garbage = QByteArray("\x07\xff\x00garbage\x01", 11);

} // namespace

// Evaluates the call once and shows the error (code, key, cause) when it failed.
#define VERIFY_OK(call) \
    do { \
        const auto &result_ = (call); \
        QVERIFY2(result_.isOk(), qPrintable(result_.error().toString())); \
    } while (false)

class TestVarManager : public QObject
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

#define BACKEND_TEST(name) \
    void name##_data() \
    { \
        backends_data(); \
    } \
    void name() \
    { \
        QFETCH(QString, backend); \
        Store store(backend); \
        PERSISTVAR_REQUIRE_STORE(store); \
        name##On(store); \
    } \
\
private: \
    void name##On(const Store &store); \
private Q_SLOTS:

    BACKEND_TEST(sameInstancePerKey)
    BACKEND_TEST(manyKeysReadBackAfterReopening)
    BACKEND_TEST(snapshotServesAnyCreationOrder)
    BACKEND_TEST(closingWhileTheSnapshotIsRead)
    BACKEND_TEST(snapshotMatchesKeysOfEveryLength)
    BACKEND_TEST(typeMismatch)
    BACKEND_TEST(invalidKey)
    BACKEND_TEST(lazyValueAbsentUntilSync)
    BACKEND_TEST(setWritesImmediately)
    BACKEND_TEST(valueBackToStoredStaysClean)
    BACKEND_TEST(defaultsAreNeverWritten)
    BACKEND_TEST(resetRemovesStoredValue)
    BACKEND_TEST(autoSyncWritesAndStops)
    BACKEND_TEST(closeFlushes)
    BACKEND_TEST(destructionFlushes)
    BACKEND_TEST(callsAfterCloseReturnClosed)
    BACKEND_TEST(syncWithNothingDirtyDoesNoIo)
    BACKEND_TEST(oneFailingKeyDoesNotStopOthers)
    BACKEND_TEST(autoSyncFailureIsEmitted)
    BACKEND_TEST(unreadableValueIsNeverOverwritten)
    BACKEND_TEST(varReadsWhatIsStoredNow)
    BACKEND_TEST(syncConflictIsOfferedThenResolved)
    BACKEND_TEST(updateFromTwoManagers)
    BACKEND_TEST(updateRetriesOnConflict)
    BACKEND_TEST(updateGivesUpWhenAlwaysInterfered)
    BACKEND_TEST(aboutToQuitFlushes)

    void decodeFailureKeepsBytes_data()
    {
        QTest::addColumn<QString>("backend");
        QTest::addColumn<QByteArray>("stored");
        TestBackends::forEach([](const QString &b) {
            QTest::addRow("%s/garbage", qPrintable(b)) << b << Garbage;
            // What a person editing a settings file by hand might leave: text where an int goes.
            QTest::addRow("%s/text", qPrintable(b))
                << b << PersistVar::encode(QStringLiteral("loud"));
        });
    }
    void decodeFailureKeepsBytes();

    void aboutToQuitOfRealEventLoop();
    void timingIsLoggedWhenAskedFor();
};

void TestVarManager::sameInstancePerKeyOn(const Store &store)
{
    auto manager = store.openManager();
    QVERIFY(manager);
    auto a = manager->var<int>(QStringLiteral("a"), 1);
    VERIFY_OK(a);
    auto again = manager->var<int>(QStringLiteral("a"), 2); // the second default is ignored
    VERIFY_OK(again);
    QCOMPARE(again.value(), a.value());
    QCOMPARE(again.value()->defaultValue(), 1);
    QCOMPARE(PersistVar::newVar<int>(*manager, QStringLiteral("a")).value(), a.value());
    QCOMPARE(manager->find(QStringLiteral("a")), static_cast<PersistVar::VarBase *>(a.value()));
    auto b = manager->var<int>(QStringLiteral("b"), 1);
    VERIFY_OK(b);
    QVERIFY(b.value() != a.value());
    QCOMPARE(manager->find(QStringLiteral("missing")), nullptr);
}

// The registry and the start-up snapshot are hash tables of their own (keys live inside the
// variables): thousands of keys, with near-identical, non-ASCII and very long ones, must each
// find their own variable and their own stored value after reopening.
void TestVarManager::manyKeysReadBackAfterReopeningOn(const Store &store)
{
    QStringList keys;
    for (int i = 0; i < 3000; ++i)
        keys.append(QStringLiteral("group/k%1").arg(i));
    keys << QStringLiteral("gr\u00fc\u00dfe/\u65e5\u672c") << QStringLiteral("emoji/\U0001F600")
         << QString(10'000, QLatin1Char('x')) << QString(9'999, QLatin1Char('x'))
         << QStringLiteral("quote'\"; DROP TABLE x; --");
    if (store.backend() != QLatin1String("postgresql"))
        keys << QStringLiteral("nul") + QChar(0) + QStringLiteral("inside");
    {
        auto writer = store.openManager();
        QVERIFY(writer);
        for (qsizetype i = 0; i < keys.size(); ++i) {
            auto var = writer->var<int>(keys.at(i), -1);
            VERIFY_OK(var);
            // Every third key keeps its default, so the snapshot also answers "not stored".
            if (i % 3 != 0)
                var.value()->setLazy(int(i));
        }
        VERIFY_OK(writer->sync());
    }
    auto reader = store.openManager();
    QVERIFY(reader);
    QList<PersistVar::Var<int> *> vars;
    for (qsizetype i = 0; i < keys.size(); ++i) {
        auto var = reader->var<int>(keys.at(i), -1);
        VERIFY_OK(var);
        QCOMPARE(var.value()->key(), keys.at(i));
        QCOMPARE(var.value()->get(), i % 3 != 0 ? int(i) : -1);
        vars.append(var.value());
    }
    // The snapshot is gone once the event loop ran; the variables keep their values and keys.
    QCoreApplication::processEvents();
    for (qsizetype i = 0; i < keys.size(); ++i) {
        QCOMPARE(reader->find(keys.at(i)), static_cast<PersistVar::VarBase *>(vars.at(i)));
        QCOMPARE(vars.at(i)->keyView(), QStringView(keys.at(i)));
        QCOMPARE(vars.at(i)->get(), i % 3 != 0 ? int(i) : -1);
    }
    QCOMPARE(reader->find(QStringLiteral("group/k3000")), nullptr);
    QCOMPARE(reader->find(QString(10'001, QLatin1Char('x'))), nullptr);
    // What a second reader finds confirms the values came from storage, not from memory.
    QCOMPARE(store.value<int>(keys.at(1)), std::optional<int>(1));
    QCOMPARE(store.value<int>(keys.at(0)), std::nullopt);
}

// The start-up snapshot guesses that variables come in the order the store returns them, and
// a background thread may still be reading while they are created: whatever the order, each
// variable must get its own stored value, and a key that is not stored its default.
void TestVarManager::snapshotServesAnyCreationOrderOn(const Store &store)
{
    constexpr int count = 2000;
    const auto keyOf = [](int i) {
        return QStringLiteral("order/k%1").arg(i, 4, 10, QLatin1Char('0'));
    };
    {
        auto writer = store.openManager();
        QVERIFY(writer);
        for (int i = 0; i < count; ++i)
            writer->var<int>(keyOf(i), -1).value()->setLazy(i);
        VERIFY_OK(writer->sync());
    }
    // In order, then a jump back, keys not stored, the rest backwards, one key twice.
    QList<int> order;
    for (int i = 0; i < count / 2; ++i)
        order.append(i);
    order << 3 << -1 << count + 5;
    for (int i = count - 1; i >= count / 2; --i)
        order.append(i);
    order << -2 << count / 2;
    auto reader = store.openManager();
    QVERIFY(reader);
    for (int i : order) {
        const QString key = i < 0 ? QStringLiteral("order/missing%1").arg(-i) : keyOf(i);
        auto var = reader->var<int>(key, -1);
        VERIFY_OK(var);
        QCOMPARE(var.value()->get(), i >= 0 && i < count ? i : -1);
    }
    // A variable read while the snapshot was alive writes over what it read, as any other.
    VERIFY_OK(reader->var<int>(keyOf(7), -1).value()->set(70));
    QCOMPARE(store.value<int>(keyOf(7)), std::optional<int>(70));
}

// The start-up snapshot keeps ASCII keys in one byte a character and hashes and compares them
// four characters at a time, the last four overlapping; the application's keys are UTF-16. Keys
// of every length up to 40, ASCII, Latin-1 and beyond, which differ from each other only in one
// character at the end, in the middle or at the start, are found in the store's order (the
// snapshot's next entry) and backwards (its hash index), and a near miss is not found.
void TestVarManager::snapshotMatchesKeysOfEveryLengthOn(const Store &store)
{
    // Enough entries for the snapshot's larger blocks, which a big store gets at once.
    constexpr int fillers = 5000;
    QStringList keys;
    for (int length = 1; length <= 40; ++length) {
        for (const QChar odd : {QChar(u'x'), QChar(u'\u00e9'), QChar(u'\u0416')}) {
            const QString base =
                QStringLiteral("abcdefghijklmnopqrstuvwxyz0123456789ABCD").left(length);
            for (const int at : {length - 1, length / 2, 0}) {
                QString key = base;
                key[at] = odd;
                if (!keys.contains(key))
                    keys.append(key);
            }
        }
    }
    const qsizetype variants = keys.size();
    for (int i = 0; i < fillers; ++i)
        keys.append(QStringLiteral("fill/%1").arg(i));
    {
        auto writer = store.openManager();
        QVERIFY(writer);
        for (qsizetype i = 0; i < keys.size(); ++i)
            VERIFY_OK(writer->var<int>(keys.at(i), -1).value()->setLazy(int(i)));
        VERIFY_OK(writer->sync());
    }
    for (const bool backwards : {false, true}) {
        auto reader = store.openManager();
        QVERIFY(reader);
        for (qsizetype n = 0; n < keys.size(); ++n) {
            const qsizetype i = backwards ? keys.size() - 1 - n : n;
            auto var = reader->var<int>(keys.at(i), -1);
            VERIFY_OK(var);
            QVERIFY2(var.value()->get() == int(i), qPrintable(keys.at(i)));
        }
        // One character more, or another last character: not stored.
        for (qsizetype i = 0; i < variants; ++i) {
            const QString longer = keys.at(i) + QLatin1Char('x');
            const QString other = keys.at(i).chopped(1) + QLatin1Char('#');
            for (const QString &key : {longer, other}) {
                if (keys.contains(key))
                    continue;
                auto var = reader->var<int>(key, -1);
                VERIFY_OK(var);
                QVERIFY2(var.value()->get() == -1, qPrintable(key));
            }
        }
    }
}

// Closing, or destroying, a manager whose start-up snapshot may still be read in the background
// stops that reading; nothing hangs, and nothing is lost.
void TestVarManager::closingWhileTheSnapshotIsReadOn(const Store &store)
{
    {
        auto writer = store.openManager();
        QVERIFY(writer);
        for (int i = 0; i < 5000; ++i)
            writer->var<int>(QStringLiteral("close/k%1").arg(i), 0).value()->setLazy(i + 1);
        VERIFY_OK(writer->sync());
    }
    for (int round = 0; round < 3; ++round) {
        auto manager = store.openManager();
        QVERIFY(manager);
        auto first = manager->var<int>(QStringLiteral("close/k0"), 0);
        VERIFY_OK(first);
        QCOMPARE(first.value()->get(), round == 0 ? 1 : round + 9); // what the last round set
        VERIFY_OK(first.value()->set(round + 10));
        if (round == 1)
            VERIFY_OK(manager->close());
        // round 2: destroyed with the snapshot possibly still being read
    }
    QCOMPARE(store.value<int>(QStringLiteral("close/k0")), std::optional<int>(12));
    QCOMPARE(store.value<int>(QStringLiteral("close/k4999")), std::optional<int>(5000));
}

void TestVarManager::typeMismatchOn(const Store &store)
{
    auto manager = store.openManager();
    QVERIFY(manager);
    const QString key = QStringLiteral("audio/volume-level");
    auto number = manager->var<int>(key, 3);
    VERIFY_OK(number);
    VERIFY_OK(number.value()->set(4));
    QSignalSpy errors(manager.get(), &PersistVar::VarManager::errorOccurred);
    auto text = manager->var<QString>(key);
    QCOMPARE(text.errorCode(), ErrorCode::TypeMismatch);
    QCOMPARE(text.value(), nullptr);
    QCOMPARE(text.error().key(), key);
    QVERIFY2(text.error().toString().contains(key), qPrintable(text.error().toString()));
    QVERIFY2(text.error().message().contains(QLatin1String("int")),
             qPrintable(text.error().message()));
    // The original variable is untouched and still works.
    QCOMPARE(manager->var<int>(key).value(), number.value());
    VERIFY_OK(number.value()->set(5));
    QCOMPARE(store.value<int>(key), 5);
    // var() documents that its errors are also emitted as errorOccurred().
    QCOMPARE(errors.count(), 1);
    QCOMPARE(errors.at(0).at(0).value<PersistVar::Error>().code(), ErrorCode::TypeMismatch);
}

void TestVarManager::invalidKeyOn(const Store &store)
{
    auto manager = store.openManager();
    QVERIFY(manager);
    auto var = manager->var<int>(QString(), 1);
    QCOMPARE(var.errorCode(), ErrorCode::InvalidKey);
    QCOMPARE(var.value(), nullptr);
    QCOMPARE(manager->var<QString>(QStringLiteral("")).errorCode(), ErrorCode::InvalidKey);
    VERIFY_OK(manager->close());
}

void TestVarManager::lazyValueAbsentUntilSyncOn(const Store &store)
{
    auto manager = store.openManager();
    QVERIFY(manager);
    auto var = manager->var<int>(QStringLiteral("lazy"), 1);
    VERIFY_OK(var);
    QVERIFY(!manager->hasPendingChanges());
    VERIFY_OK(var.value()->setLazy(7));
    QCOMPARE(var.value()->get(), 7);
    QVERIFY(var.value()->isDirty());
    QVERIFY(manager->hasPendingChanges());
    QCOMPARE(store.load(QStringLiteral("lazy")).errorCode(), ErrorCode::NotFound);

    QSignalSpy synced(manager.get(), &PersistVar::VarManager::synced);
    VERIFY_OK(manager->sync());
    QCOMPARE(synced.count(), 1);
    QCOMPARE(synced.at(0).at(0).toInt(), 1);
    QVERIFY(!var.value()->isDirty());
    QVERIFY(!manager->hasPendingChanges());
    QCOMPARE(store.value<int>(QStringLiteral("lazy")), 7);
}

void TestVarManager::setWritesImmediatelyOn(const Store &store)
{
    auto manager = store.openManager();
    QVERIFY(manager);
    auto var = manager->var<QString>(QStringLiteral("now"), QStringLiteral("d"));
    VERIFY_OK(var);
    VERIFY_OK(var.value()->set(QStringLiteral("written")));
    QVERIFY(!var.value()->isDirty());
    QCOMPARE(store.value<QString>(QStringLiteral("now")), QStringLiteral("written"));
    VERIFY_OK(var.value()->set(QStringLiteral("again")));
    QCOMPARE(store.value<QString>(QStringLiteral("now")), QStringLiteral("again"));
    // A new manager reads what the first one wrote.
    auto second = store.openManager();
    QVERIFY(second);
    QCOMPARE(second->var<QString>(QStringLiteral("now")).value()->get(), QStringLiteral("again"));
}

void TestVarManager::valueBackToStoredStaysCleanOn(const Store &store)
{
    auto p = openDecorated<ProbeStorage>(store);
    QVERIFY(p.manager);
    auto var = p.manager->var<int>(QStringLiteral("k"), 0);
    VERIFY_OK(var);
    VERIFY_OK(var.value()->set(5));
    p.storage->resetCounts();
    VERIFY_OK(var.value()->setLazy(6));
    QVERIFY(var.value()->isDirty());
    VERIFY_OK(var.value()->setLazy(5));
    QVERIFY(!var.value()->isDirty());
    QVERIFY(!p.manager->hasPendingChanges());
    VERIFY_OK(var.value()->set(5)); // equal to what is stored: nothing to write
    VERIFY_OK(p.manager->sync());
    QCOMPARE(p.storage->writes(), 0);
    QCOMPARE(store.value<int>(QStringLiteral("k")), 5);
}

void TestVarManager::defaultsAreNeverWrittenOn(const Store &store)
{
    {
        auto manager = store.openManager();
        QVERIFY(manager);
        auto var = manager->var<int>(QStringLiteral("default"), 10);
        VERIFY_OK(var);
        QCOMPARE(var.value()->get(), 10);
        QVERIFY(var.value()->isDefault());
        VERIFY_OK(var.value()->setLazy(10));
        VERIFY_OK(manager->sync());
        VERIFY_OK(manager->close());
    }
    QCOMPARE(store.load(QStringLiteral("default")).errorCode(), ErrorCode::NotFound);
    auto storage = store.openStorage();
    QVERIFY(storage);
    if (const auto keys = storage->keys(); keys.isOk()) // where the backend can list its keys
        QCOMPARE(keys.value(), QStringList());
    storage->close();

    auto manager = store.openManager();
    QVERIFY(manager);
    auto var = manager->var<int>(QStringLiteral("default"), 10);
    VERIFY_OK(var.value()->set(11));
    QVERIFY(!var.value()->isDefault());
    QCOMPARE(store.value<int>(QStringLiteral("default")), 11);
    // Setting the default explicitly removes the entry: a later default change reaches the user.
    VERIFY_OK(var.value()->set(10));
    QVERIFY(var.value()->isDefault());
    QVERIFY(!var.value()->isDirty());
    QCOMPARE(store.load(QStringLiteral("default")).errorCode(), ErrorCode::NotFound);
    // The same through setLazy and sync.
    VERIFY_OK(var.value()->set(12));
    VERIFY_OK(var.value()->setLazy(10));
    VERIFY_OK(manager->sync());
    QCOMPARE(store.load(QStringLiteral("default")).errorCode(), ErrorCode::NotFound);
    VERIFY_OK(manager->close());
    auto later = store.openManager(); // a new version of the application with a new default
    QVERIFY(later);
    QCOMPARE(later->var<int>(QStringLiteral("default"), 20).value()->get(), 20);
}

void TestVarManager::resetRemovesStoredValueOn(const Store &store)
{
    auto manager = store.openManager();
    QVERIFY(manager);
    auto var = manager->var<int>(QStringLiteral("r"), 1);
    VERIFY_OK(var.value()->set(5));
    QCOMPARE(store.value<int>(QStringLiteral("r")), 5);
    VERIFY_OK(var.value()->reset());
    QCOMPARE(var.value()->get(), 1);
    QVERIFY(var.value()->isDefault());
    QVERIFY(!var.value()->isDirty());
    QCOMPARE(store.load(QStringLiteral("r")).errorCode(), ErrorCode::NotFound);
    VERIFY_OK(var.value()->reset()); // nothing stored: harmless
    // A lazy value never written is discarded by reset too.
    VERIFY_OK(var.value()->setLazy(9));
    VERIFY_OK(var.value()->reset());
    VERIFY_OK(manager->close());
    QCOMPARE(store.load(QStringLiteral("r")).errorCode(), ErrorCode::NotFound);
    auto second = store.openManager();
    QVERIFY(second);
    QCOMPARE(second->var<int>(QStringLiteral("r"), 1).value()->get(), 1);
}

void TestVarManager::decodeFailureKeepsBytes()
{
    QFETCH(QString, backend);
    QFETCH(QByteArray, stored);
    Store store(backend);
    PERSISTVAR_REQUIRE_STORE(store);
    const QString key = QStringLiteral("volume");
    {
        auto raw = store.openStorage();
        QVERIFY(raw);
        VERIFY_OK(raw->save(key, stored, std::nullopt));
        VERIFY_OK(raw->close());
    }
    const QByteArray before = store.load(key).value();
    QCOMPARE(before, stored);
    {
        auto manager = store.openManager();
        QVERIFY(manager);
        QSignalSpy errors(manager.get(), &PersistVar::VarManager::errorOccurred);
        auto var = manager->var<int>(key, 7);
        QCOMPARE(var.errorCode(), ErrorCode::DecodeFailed);
        QCOMPARE(var.error().key(), key);
        QVERIFY(var.error().toString().contains(key));
        QVERIFY(var.value());
        QCOMPARE(var.value()->get(), 7);
        QCOMPARE(errors.count(), 1);
        QCOMPARE(errors.at(0).at(0).value<PersistVar::Error>().key(), key);
        // The same instance is handed out again, now without an error.
        QCOMPARE(manager->var<int>(key, 7).value(), var.value());
        VERIFY_OK(manager->sync());
        VERIFY_OK(manager->close());
    }
    QCOMPARE(store.load(key).value(), before);
    {
        auto manager = store.openManager(); // destruction without close() must not write either
        QVERIFY(manager);
        QCOMPARE(manager->var<int>(key, 7).errorCode(), ErrorCode::DecodeFailed);
    }
    QCOMPARE(store.load(key).value(), before);

    auto manager = store.openManager();
    QVERIFY(manager);
    auto var = manager->var<int>(key, 7);
    VERIFY_OK(var.value()->set(9)); // the application writes a new value: the bytes are replaced
    QCOMPARE(store.value<int>(key), 9);
    VERIFY_OK(manager->close());
    auto again = store.openManager();
    QVERIFY(again);
    auto reread = again->var<int>(key, 7);
    VERIFY_OK(reread);
    QCOMPARE(reread.value()->get(), 9);
}

void TestVarManager::autoSyncWritesAndStopsOn(const Store &store)
{
    using namespace std::chrono_literals;
    auto manager = store.openManager();
    QVERIFY(manager);
    auto var = manager->var<int>(QStringLiteral("auto"), 0);
    VERIFY_OK(var);
    QSignalSpy intervalChanged(manager.get(), &PersistVar::VarManager::autoSyncIntervalChanged);
    manager->autoSync(50ms);
    QVERIFY(manager->isAutoSyncActive());
    QCOMPARE(manager->autoSyncInterval(), 50ms);
    QCOMPARE(intervalChanged.count(), 1);
    VERIFY_OK(var.value()->setLazy(1));
    QTRY_COMPARE_WITH_TIMEOUT(store.value<int>(QStringLiteral("auto")), std::optional<int>(1),
                              2000);
    QTRY_VERIFY(!var.value()->isDirty());
    VERIFY_OK(var.value()->setLazy(2));
    QTRY_COMPARE_WITH_TIMEOUT(store.value<int>(QStringLiteral("auto")), std::optional<int>(2),
                              2000);

    manager->autoSync(40ms); // while running: changes the interval
    QCOMPARE(manager->autoSyncInterval(), 40ms);
    manager->stopAutoSync();
    QVERIFY(!manager->isAutoSyncActive());
    QCOMPARE(manager->autoSyncInterval(), 0ms);
    VERIFY_OK(var.value()->setLazy(3));
    QTest::qWait(150);
    QCOMPARE(store.value<int>(QStringLiteral("auto")), std::optional<int>(2));
    QVERIFY(var.value()->isDirty());

    manager->setAutoSyncInterval(30ms); // the property form starts it again
    QVERIFY(manager->isAutoSyncActive());
    QTRY_COMPARE_WITH_TIMEOUT(store.value<int>(QStringLiteral("auto")), std::optional<int>(3),
                              2000);
    manager->setAutoSyncInterval(0ms);
    QVERIFY(!manager->isAutoSyncActive());
}

void TestVarManager::closeFlushesOn(const Store &store)
{
    auto manager = store.openManager();
    QVERIFY(manager);
    VERIFY_OK(manager->var<int>(QStringLiteral("a"), 0).value()->setLazy(1));
    VERIFY_OK(manager->var<QString>(QStringLiteral("b")).value()->setLazy(QStringLiteral("two")));
    QCOMPARE(store.load(QStringLiteral("a")).errorCode(), ErrorCode::NotFound);
    QSignalSpy closedChanged(manager.get(), &PersistVar::VarManager::closedChanged);
    VERIFY_OK(manager->close());
    QVERIFY(manager->isClosed());
    QCOMPARE(closedChanged.count(), 1);
    QCOMPARE(store.value<int>(QStringLiteral("a")), 1);
    QCOMPARE(store.value<QString>(QStringLiteral("b")), QStringLiteral("two"));
}

void TestVarManager::destructionFlushesOn(const Store &store)
{
    {
        auto manager = store.openManager();
        QVERIFY(manager);
        VERIFY_OK(manager->var<int>(QStringLiteral("a"), 0).value()->setLazy(1));
        manager->autoSync(std::chrono::hours(1));
    }
    QCOMPARE(store.value<int>(QStringLiteral("a")), 1);
    auto second = store.openManager();
    QVERIFY(second);
    QCOMPARE(second->var<int>(QStringLiteral("a"), 0).value()->get(), 1);
}

void TestVarManager::callsAfterCloseReturnClosedOn(const Store &store)
{
    auto manager = store.openManager();
    QVERIFY(manager);
    auto var = manager->var<int>(QStringLiteral("c"), 0);
    VERIFY_OK(var.value()->set(4));
    VERIFY_OK(manager->close());
    VERIFY_OK(manager->close()); // twice is harmless
    PersistVar::Var<int> *v = var.value();
    QCOMPARE(v->get(), 4); // reading memory still works
    QCOMPARE(v->set(5).errorCode(), ErrorCode::Closed);
    QCOMPARE(v->setLazy(5).errorCode(), ErrorCode::Closed);
    QCOMPARE(v->update([](int n) { return std::pair(n + 1, true); }).errorCode(),
             ErrorCode::Closed);
    QCOMPARE(v->updateLazy([](int n) { return std::pair(n + 1, true); }).errorCode(),
             ErrorCode::Closed);
    QCOMPARE(v->sync().errorCode(), ErrorCode::Closed);
    QCOMPARE(v->reset().errorCode(), ErrorCode::Closed);
    QCOMPARE(v->set(5).error().key(), QStringLiteral("c"));
    QCOMPARE(manager->var<int>(QStringLiteral("c")).errorCode(), ErrorCode::Closed);
    QCOMPARE(manager->var<int>(QStringLiteral("new")).errorCode(), ErrorCode::Closed);
    QCOMPARE(manager->sync().errorCode(), ErrorCode::Closed);
    manager->autoSync(std::chrono::milliseconds(10));
    QVERIFY(!manager->isAutoSyncActive());
    QCOMPARE(v->get(), 4);
    QCOMPARE(store.value<int>(QStringLiteral("c")), 4);
}

void TestVarManager::syncWithNothingDirtyDoesNoIoOn(const Store &store)
{
    auto p = openDecorated<ProbeStorage>(store);
    QVERIFY(p.manager);
    auto a = p.manager->var<int>(QStringLiteral("a"), 0);
    auto b = p.manager->var<QString>(QStringLiteral("b"));
    VERIFY_OK(a);
    VERIFY_OK(b);
    p.storage->resetCounts();
    VERIFY_OK(p.manager->sync());
    QCOMPARE(p.storage->calls(), 0);
    (void)a.value()->get();
    VERIFY_OK(a.value()->sync()); // a clean variable: nothing to write
    QCOMPARE(p.storage->calls(), 0);

    VERIFY_OK(a.value()->setLazy(3));
    VERIFY_OK(p.manager->sync());
    QVERIFY(p.storage->writes() > 0);
    p.storage->resetCounts();
    VERIFY_OK(p.manager->sync());
    VERIFY_OK(p.manager->sync());
    QCOMPARE(p.storage->calls(), 0);
    QCOMPARE(store.value<int>(QStringLiteral("a")), 3);
}

void TestVarManager::oneFailingKeyDoesNotStopOthersOn(const Store &store)
{
    auto p = openDecorated<FaultyStorage>(store);
    QVERIFY(p.manager);
    p.storage->failSavesOf(QStringLiteral("bad"));
    auto a = p.manager->var<int>(QStringLiteral("a"), 0);
    auto bad = p.manager->var<int>(QStringLiteral("bad"), 0);
    auto c = p.manager->var<int>(QStringLiteral("c"), 0);
    VERIFY_OK(a.value()->setLazy(1));
    VERIFY_OK(bad.value()->setLazy(2));
    VERIFY_OK(c.value()->setLazy(3));

    QSignalSpy errors(p.manager.get(), &PersistVar::VarManager::errorOccurred);
    const PersistVar::Result<void> synced = p.manager->sync();
    QCOMPARE(synced.errorCode(), ErrorCode::StorageFailed);
    QCOMPARE(synced.error().key(), QStringLiteral("bad"));
    QCOMPARE(errors.count(), 1);
    QCOMPARE(errors.at(0).at(0).value<PersistVar::Error>(), p.storage->injectedFailures().at(0));
    QCOMPARE(store.value<int>(QStringLiteral("a")), 1);
    QCOMPARE(store.value<int>(QStringLiteral("c")), 3);
    QCOMPARE(store.load(QStringLiteral("bad")).errorCode(), ErrorCode::NotFound);
    QVERIFY(!a.value()->isDirty());
    QVERIFY(!c.value()->isDirty());
    QVERIFY(bad.value()->isDirty());
    QVERIFY(p.manager->hasPendingChanges());
    QCOMPARE(bad.value()->get(), 2);

    // set() reports the failure too, naming the key, and keeps the value pending.
    const PersistVar::Result<void> set = bad.value()->set(4);
    QCOMPARE(set.errorCode(), ErrorCode::StorageFailed);
    QCOMPARE(set.error().key(), QStringLiteral("bad"));
    QVERIFY(bad.value()->isDirty());
    QCOMPARE(store.load(QStringLiteral("bad")).errorCode(), ErrorCode::NotFound);

    p.storage->heal();
    errors.clear();
    VERIFY_OK(p.manager->sync());
    QCOMPARE(errors.count(), 0);
    QVERIFY(!bad.value()->isDirty());
    QVERIFY(!p.manager->hasPendingChanges());
    QCOMPARE(store.value<int>(QStringLiteral("bad")), 4);
}

void TestVarManager::autoSyncFailureIsEmittedOn(const Store &store)
{
    // Outlive the manager, whose closing still signals.
    QSet<QThread *> signalThreads;
    QMutex signalThreadsMutex;
    auto p = openDecorated<FaultyStorage>(store);
    QVERIFY(p.manager);
    p.storage->failSavesOf(QStringLiteral("bad"));
    auto bad = p.manager->var<int>(QStringLiteral("bad"), 0);
    auto good = p.manager->var<int>(QStringLiteral("good"), 0);
    // autoSync writes in a thread of its own, but the application hears of it in the manager's
    // thread, even through a direct connection (no receiver object to queue through).
    const auto recordThread = [&] {
        QMutexLocker lock(&signalThreadsMutex);
        signalThreads.insert(QThread::currentThread());
    };
    QObject::connect(p.manager.get(), &PersistVar::VarManager::errorOccurred, recordThread);
    QObject::connect(p.manager.get(), &PersistVar::VarManager::synced, recordThread);
    QObject::connect(good.value()->notifier(), &PersistVar::VarNotifier::written, recordThread);
    QObject::connect(bad.value()->notifier(), &PersistVar::VarNotifier::writeFailed, recordThread);
    {
        QSignalSpy errors(p.manager.get(), &PersistVar::VarManager::errorOccurred);
        p.manager->autoSync(std::chrono::milliseconds(30));
        VERIFY_OK(bad.value()->setLazy(1));
        VERIFY_OK(good.value()->setLazy(1));
        QVERIFY(errors.wait(2000));
        const auto error = errors.at(0).at(0).value<PersistVar::Error>();
        QCOMPARE(error.key(), QStringLiteral("bad"));
        QCOMPARE(error.code(), ErrorCode::StorageFailed);
        QTRY_COMPARE_WITH_TIMEOUT(store.value<int>(QStringLiteral("good")), std::optional<int>(1),
                                  2000);
        QVERIFY(bad.value()->isDirty());
        QVERIFY(errors.wait(2000)); // the next round retries, and fails again
        QCOMPARE(errors.at(1).at(0).value<PersistVar::Error>().key(), QStringLiteral("bad"));

        // The fault goes away: a later round writes the value that stayed dirty.
        p.storage->heal();
        QTRY_COMPARE_WITH_TIMEOUT(store.value<int>(QStringLiteral("bad")), std::optional<int>(1),
                                  2000);
        QTRY_VERIFY(!bad.value()->isDirty());
        p.manager->stopAutoSync();
        QTest::qWait(100); // a round already queued on the worker finishes
        QCOMPARE(errors.count(), p.storage->injectedCount()); // each failure reported once
    }
    {
        QMutexLocker lock(&signalThreadsMutex);
        QCOMPARE(signalThreads, QSet<QThread *>{p.manager->thread()});
    }
    QObject::disconnect(p.manager.get(), &PersistVar::VarManager::errorOccurred, nullptr, nullptr);
    // Nobody listening: the failure is logged as a warning instead of vanishing.
    p.storage->failSavesOf(QStringLiteral("bad"));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("\\bbad\\b.*injected")));
    VERIFY_OK(bad.value()->setLazy(2));
    QCOMPARE(p.manager->sync().errorCode(), ErrorCode::StorageFailed);
    p.storage->heal();
}

void TestVarManager::unreadableValueIsNeverOverwrittenOn(const Store &store)
{
    const QString key = QStringLiteral("precious");
    {
        auto raw = store.openStorage();
        QVERIFY(raw);
        VERIFY_OK(raw->save(key, PersistVar::encode(5), std::nullopt));
        raw->close();
    }
    auto p = openDecorated<UnreadableStorage>(store);
    QVERIFY(p.manager);
    p.storage->failLoadsOf(key);
    QSignalSpy errors(p.manager.get(), &PersistVar::VarManager::errorOccurred);
    auto other = p.manager->var<int>(QStringLiteral("other"), 0); // the rest of the store reads
    VERIFY_OK(other);
    auto var = p.manager->var<int>(key, 7);
    QCOMPARE(var.errorCode(), ErrorCode::StorageFailed); // never "not found"
    QCOMPARE(var.error().key(), key);
    QCOMPARE(errors.count(), 1);
    QVERIFY(var.value());
    QCOMPARE(var.value()->get(), 7);
    VERIFY_OK(p.manager->sync());
    VERIFY_OK(p.manager->close());
    QCOMPARE(store.value<int>(key), 5);
}

void TestVarManager::varReadsWhatIsStoredNowOn(const Store &store)
{
    // A variable created later must see what is stored then, not a snapshot of an earlier read.
    auto first = store.openManager();
    auto second = store.openManager();
    QVERIFY(first && second);
    VERIFY_OK(second->var<int>(QStringLiteral("late"), 0).value()->set(1));
    VERIFY_OK(first->var<int>(QStringLiteral("early"), 0)); // first reads the store (1 for late)
    VERIFY_OK(second->var<int>(QStringLiteral("late"), 0).value()->set(2));
    VERIFY_OK(second->var<int>(QStringLiteral("newer"), 0).value()->set(4)); // stored only now
    // Variables created before the event loop runs share one snapshot of the store (one query
    // to open a store with N variables, see VarManager::var()); once it has run, each new
    // variable reads the store itself.
    QCoreApplication::processEvents();
    auto late = first->var<int>(QStringLiteral("late"), 0);
    VERIFY_OK(late);
    QCOMPARE(late.value()->get(), 2);
    auto newer = first->var<int>(QStringLiteral("newer"), 0);
    VERIFY_OK(newer);
    QCOMPARE(newer.value()->get(), 4);
    QVERIFY(!newer.value()->isDefault());
    VERIFY_OK(late.value()->update([](int n) { return std::pair(n + 1, true); }));
    QCOMPARE(store.value<int>(QStringLiteral("late")), 3);
}

void TestVarManager::syncConflictIsOfferedThenResolvedOn(const Store &store)
{
    const QString key = QStringLiteral("shared");
    auto first = store.openManager();
    auto second = store.openManager();
    QVERIFY(first && second);
    auto mine = first->var<int>(key, 0);
    auto theirs = second->var<int>(key, 0);
    VERIFY_OK(theirs.value()->set(1));
    VERIFY_OK(mine.value()->setLazy(2)); // first still believes nothing is stored

    QSignalSpy errors(first.get(), &PersistVar::VarManager::errorOccurred);
    QSignalSpy conflicts(first.get(), &PersistVar::VarManager::conflictDetected);
    const PersistVar::Result<void> synced = first->sync();
    QCOMPARE(synced.errorCode(), ErrorCode::Conflict);
    QCOMPARE(synced.error().key(), key);
    QCOMPARE(errors.count(), 1);
    QCOMPARE(conflicts.count(), 1);
    QCOMPARE(conflicts.at(0).at(0).toString(), key);
    QCOMPARE(conflicts.at(0).at(1), QVariant(2));
    QCOMPARE(conflicts.at(0).at(2), QVariant(1));
    QCOMPARE(first->conflictingKeys(), QStringList{key});
    QCOMPARE(mine.value()->get(), 2); // nothing is lost: the local value is kept
    QVERIFY(mine.value()->isDirty());
    VERIFY_OK(first->sync()); // and nothing is written over theirs until resolved
    QCOMPARE(store.value<int>(key), 1);

    VERIFY_OK(first->resolveConflict(key, PersistVar::ConflictResolution::KeepLocal));
    QCOMPARE(first->conflictingKeys(), QStringList());
    VERIFY_OK(first->sync());
    QCOMPARE(store.value<int>(key), 2);
    QCOMPARE(first->resolveConflict(key, PersistVar::ConflictResolution::KeepLocal).errorCode(),
             ErrorCode::InvalidKey);

    // TakeStored drops the local value.
    auto fresh = store.openManager();
    QVERIFY(fresh);
    VERIFY_OK(fresh->var<int>(key, 0).value()->set(4));
    VERIFY_OK(mine.value()->setLazy(5));
    QCOMPARE(first->sync().errorCode(), ErrorCode::Conflict);
    VERIFY_OK(first->resolveConflict(key, PersistVar::ConflictResolution::TakeStored));
    QCOMPARE(mine.value()->get(), 4);
    QVERIFY(!mine.value()->isDirty());
    VERIFY_OK(first->sync());
    QCOMPARE(store.value<int>(key), 4);

    // LastWriterWins: the local value is written over theirs without asking.
    first->setConflictPolicy(PersistVar::ConflictPolicy::LastWriterWins);
    conflicts.clear();
    VERIFY_OK(fresh->var<int>(key, 0).value()->set(6));
    VERIFY_OK(mine.value()->setLazy(7));
    VERIFY_OK(first->sync());
    QCOMPARE(store.value<int>(key), 7);
    QCOMPARE(conflicts.count(), 0);
}

void TestVarManager::updateFromTwoManagersOn(const Store &store)
{
    auto first = store.openManager();
    auto second = store.openManager();
    QVERIFY(first && second);
    auto a = first->var<int>(QStringLiteral("counter"), 0);
    auto b = second->var<int>(QStringLiteral("counter"), 0);
    VERIFY_OK(a);
    VERIFY_OK(b);
    const auto increment = [](int n) { return std::pair(n + 1, true); };
    for (int i = 0; i < 100; ++i) {
        VERIFY_OK(a.value()->update(increment));
        VERIFY_OK(b.value()->update(increment));
    }
    QCOMPARE(b.value()->get(), 200);
    QCOMPARE(store.value<int>(QStringLiteral("counter")), 200);
    first.reset();
    second.reset();
    auto third = store.openManager();
    QVERIFY(third);
    QCOMPARE(third->var<int>(QStringLiteral("counter"), 0).value()->get(), 200);
}

void TestVarManager::updateRetriesOnConflictOn(const Store &store)
{
    auto p = openDecorated<ProbeStorage>(store);
    QVERIFY(p.manager);
    auto var = p.manager->var<int>(QStringLiteral("n"), 0);
    VERIFY_OK(var.value()->set(10));
    // Another writer stores 100 just before our first write reaches the store.
    bool interfered = false;
    p.storage->beforeWrite = [&interfered](PersistVar::Storage *inner, const QString &key) {
        if (!interfered) {
            interfered = true;
            QVERIFY(inner->saveUnconditionally(key, PersistVar::encode(100)).isOk());
        }
    };
    QList<int> seen;
    VERIFY_OK(var.value()->update([&seen](int n) {
        seen.append(n);
        return std::pair(n + 1, true);
    }));
    QCOMPARE(seen, (QList<int>{10, 100}));
    QCOMPARE(var.value()->get(), 101);
    QVERIFY(!var.value()->isDirty());
    QCOMPARE(store.value<int>(QStringLiteral("n")), 101);
}

void TestVarManager::updateGivesUpWhenAlwaysInterferedOn(const Store &store)
{
    auto p = openDecorated<ProbeStorage>(store);
    QVERIFY(p.manager);
    auto var = p.manager->var<int>(QStringLiteral("n"), 0);
    VERIFY_OK(var.value()->set(1));
    int other = 1000;
    p.storage->beforeWrite = [&other](PersistVar::Storage *inner, const QString &key) {
        QVERIFY(inner->saveUnconditionally(key, PersistVar::encode(++other)).isOk());
    };
    int attempts = 0;
    const PersistVar::Result<void> r = var.value()->update([&attempts](int n) {
        ++attempts;
        return std::pair(n + 1, true);
    });
    QCOMPARE(r.errorCode(), ErrorCode::Conflict);
    QCOMPARE(r.error().key(), QStringLiteral("n"));
    QVERIFY2(attempts > 1 && attempts <= 1000, qPrintable(QString::number(attempts)));
    p.storage->beforeWrite = nullptr;
    QCOMPARE(store.value<int>(QStringLiteral("n")), other); // the other writer's value stands
}

void TestVarManager::aboutToQuitFlushesOn(const Store &store)
{
    // aboutToQuit is a private signal and QCoreApplication emits it once per process (see
    // aboutToQuitOfRealEventLoop); emitting it through the meta-object runs the same slot.
    auto manager = store.openManager();
    QVERIFY(manager);
    VERIFY_OK(manager->var<int>(QStringLiteral("quit"), 0).value()->setLazy(8));
    QVERIFY(QMetaObject::invokeMethod(qApp, "aboutToQuit", Qt::DirectConnection));
    QCOMPARE(store.value<int>(QStringLiteral("quit")), 8);
    QVERIFY(!manager->isClosed()); // quitting flushes; the manager stays usable until deleted
}

void TestVarManager::aboutToQuitOfRealEventLoop()
{
    // The real thing, once: QCoreApplication::exec() returns after quit() and emits aboutToQuit.
    Store store(QStringLiteral("file"));
    auto manager = store.openManager();
    QVERIFY(manager);
    VERIFY_OK(manager->var<int>(QStringLiteral("quit"), 0).value()->setLazy(9));
    QTimer::singleShot(0, qApp, &QCoreApplication::quit);
    QCoreApplication::exec();
    QCOMPARE(store.value<int>(QStringLiteral("quit")), 9);
}

QTEST_GUILESS_MAIN(TestVarManager)
// persistvar.timing, off by default, tells where an open and a sync spend their time.
void TestVarManager::timingIsLoggedWhenAskedFor()
{
    Store store(QStringLiteral("sqlite"));
    PERSISTVAR_REQUIRE_STORE(store);
    constexpr int Count = 300;
    {
        auto manager = store.openManager();
        QVERIFY(manager);
        for (int i = 0; i < Count; ++i)
            VERIFY_OK(manager->var<int>(QStringLiteral("timed/%1").arg(i), 0).value()->set(i + 1));
    }

    MessageCapture capture(QStringLiteral("persistvar.timing.debug=true"));
    auto manager = store.openManager();
    QVERIFY(manager);
    for (int i = 0; i < Count; ++i)
        QCOMPARE(manager->var<int>(QStringLiteral("timed/%1").arg(i), 0).value()->get(), i + 1);
    QCoreApplication::processEvents(); // the start-up snapshot is dropped
    VERIFY_OK(manager->var<int>(QStringLiteral("timed/7"), 0).value()->setLazy(70));
    VERIFY_OK(manager->sync());

    const QStringList messages = capture.messages();
    const auto logged = [&messages](const QString &pattern) {
        return messages.indexOf(QRegularExpression(pattern)) >= 0;
    };
    QVERIFY2(logged(QStringLiteral("^start-up snapshot: read %1 rows in [0-9.]+ ms$").arg(Count)),
             qPrintable(messages.join(QLatin1Char('\n'))));
    QVERIFY2(logged(QStringLiteral("^start-up snapshot: dropped when the event loop first ran, "
                                   "[0-9.]+ ms after .*; %1 variables exist$")
                        .arg(Count)),
             qPrintable(messages.join(QLatin1Char('\n'))));
    QVERIFY2(logged(QStringLiteral("^sync: 1 of 1 values written to .* in [0-9.]+ ms, [0-9.]+ ms "
                                   "of them in the store$")),
             qPrintable(messages.join(QLatin1Char('\n'))));
}

#include "tst_varmanager.moc"
