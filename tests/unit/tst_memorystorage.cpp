// SPDX-License-Identifier: MIT
// MemoryStorage: the Storage contract called directly (not through a manager), and what is
// special about memory stores: private stores vanish on close, named stores are shared.
#include "testbackends.h"

#include <persistvar/memorystorage.h>
#include <persistvar/varmanager.h>

#include <QtCore/QRegularExpression>
#include <QtTest/QTest>

#include <algorithm>

using PersistVar::ErrorCode;
using PersistVar::MemoryStorage;
using PersistVar::StorageWrite;

#define VERIFY_OK(call) \
    do { \
        const auto &result_ = (call); \
        QVERIFY2(result_.isOk(), qPrintable(result_.error().toString())); \
    } while (false)

namespace {
QStringList sorted(QStringList list)
{
    list.sort();
    return list;
}

// A fresh named store per test, so a second instance can check what the first one did.
QString uniqueName()
{
    static int counter = 0;
    return QStringLiteral("tst_memorystorage-%1").arg(++counter);
}
} // namespace

class TestMemoryStorage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { TestBackends::initHermetic(); }
    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

    void loadMissingIsNotFound()
    {
        MemoryStorage storage;
        const auto r = storage.load(QStringLiteral("missing"));
        QCOMPARE(r.errorCode(), ErrorCode::NotFound);
        QCOMPARE(r.error().key(), QStringLiteral("missing"));
    }

    void saveAndLoad()
    {
        const QString name = uniqueName();
        MemoryStorage writer(name);
        VERIFY_OK(writer.save(QStringLiteral("k"), "one", std::nullopt));
        VERIFY_OK(writer.save(QStringLiteral("empty"), QByteArray(), std::nullopt));
        VERIFY_OK(writer.save(QStringLiteral("k"), "two", QByteArray("one")));
        MemoryStorage reader(name);
        QCOMPARE(reader.load(QStringLiteral("k")).value(), QByteArray("two"));
        // An empty value is a value, not a missing one.
        const auto empty = reader.load(QStringLiteral("empty"));
        VERIFY_OK(empty);
        QCOMPARE(empty.value(), QByteArray());
        // Any bytes, including NUL and invalid UTF-8.
        const QByteArray binary("\x00\xff\x01\xfe", 4);
        VERIFY_OK(writer.save(QStringLiteral("bin"), binary, std::nullopt));
        QCOMPARE(reader.load(QStringLiteral("bin")).value(), binary);
    }

    void compareAndSwap()
    {
        MemoryStorage storage;
        const QString k = QStringLiteral("k");
        VERIFY_OK(storage.save(k, "v1", std::nullopt));
        VERIFY_OK(storage.save(k, "v2", QByteArray("v1")));
        // A stale old value is refused and changes nothing.
        auto r = storage.save(k, "v3", QByteArray("v1"));
        QCOMPARE(r.errorCode(), ErrorCode::Conflict);
        QCOMPARE(r.error().key(), k);
        QCOMPARE(storage.load(k).value(), QByteArray("v2"));
        // "Believed absent" while present, and "believed present" while absent, conflict too.
        QCOMPARE(storage.save(k, "v3", std::nullopt).errorCode(), ErrorCode::Conflict);
        QCOMPARE(storage.save(QStringLiteral("absent"), "x", QByteArray("old")).errorCode(),
                 ErrorCode::Conflict);
        QCOMPARE(storage.load(QStringLiteral("absent")).errorCode(), ErrorCode::NotFound);
        // An empty stored value is not "absent".
        VERIFY_OK(storage.save(QStringLiteral("e"), QByteArray(), std::nullopt));
        QCOMPARE(storage.save(QStringLiteral("e"), "x", std::nullopt).errorCode(),
                 ErrorCode::Conflict);
        VERIFY_OK(storage.save(QStringLiteral("e"), "x", QByteArray()));
        // Writing what is stored, knowing it, succeeds.
        VERIFY_OK(storage.save(k, "v2", QByteArray("v2")));
        QCOMPARE(storage.load(k).value(), QByteArray("v2"));
        // saveUnconditionally ignores what is stored.
        VERIFY_OK(storage.saveUnconditionally(k, "v4"));
        VERIFY_OK(storage.saveUnconditionally(QStringLiteral("new"), "n"));
        QCOMPARE(storage.load(k).value(), QByteArray("v4"));
        QCOMPARE(storage.load(QStringLiteral("new")).value(), QByteArray("n"));
    }

    void remove()
    {
        MemoryStorage storage;
        VERIFY_OK(storage.save(QStringLiteral("k"), "v", std::nullopt));
        VERIFY_OK(storage.remove(QStringLiteral("k")));
        QCOMPARE(storage.load(QStringLiteral("k")).errorCode(), ErrorCode::NotFound);
        VERIFY_OK(storage.remove(QStringLiteral("k"))); // removing a missing key succeeds
        VERIFY_OK(storage.save(QStringLiteral("k"), "again", std::nullopt)); // absent again
    }

    void emptyKeyIsInvalid()
    {
        MemoryStorage storage;
        QCOMPARE(storage.save(QString(), "v", std::nullopt).errorCode(), ErrorCode::InvalidKey);
        QCOMPARE(storage.saveUnconditionally(QString(), "v").errorCode(), ErrorCode::InvalidKey);
        QCOMPARE(storage.remove(QString()).errorCode(), ErrorCode::InvalidKey);
        const auto loaded = storage.load(QString());
        QVERIFY(!loaded.isOk());
        QVERIFY2(loaded.errorCode() == ErrorCode::InvalidKey
                     || loaded.errorCode() == ErrorCode::NotFound,
                 qPrintable(loaded.error().toString()));
        QCOMPARE(storage.keys().value(), QStringList());
    }

    void keysAndLoadAll()
    {
        MemoryStorage storage;
        const QStringList keys{QStringLiteral("a"), QStringLiteral("b/c"), QStringLiteral("ü"),
                               QStringLiteral("a") + QChar(0) + QStringLiteral("b")};
        for (const QString &key : keys)
            VERIFY_OK(storage.save(key, key.toUtf8(), std::nullopt));
        QCOMPARE(sorted(storage.keys().value()), sorted(keys));
        const auto all = storage.loadAll();
        VERIFY_OK(all);
        QCOMPARE(all.value().size(), keys.size());
        for (const QString &key : keys)
            QCOMPARE(all.value().value(key), key.toUtf8());
        VERIFY_OK(storage.remove(QStringLiteral("a")));
        QCOMPARE(storage.keys().value().size(), keys.size() - 1);
    }

    void saveBatchReportsEachEntry()
    {
        const QString name = uniqueName();
        MemoryStorage storage(name);
        VERIFY_OK(storage.save(QStringLiteral("stale"), "stored", std::nullopt));
        VERIFY_OK(storage.save(QStringLiteral("gone"), "x", std::nullopt));
        VERIFY_OK(storage.save(QStringLiteral("over"), "theirs", std::nullopt));
        const QList<StorageWrite> writes{
            {QStringLiteral("new"), QByteArray("n"), std::nullopt, true},
            {QStringLiteral("stale"), QByteArray("mine"), QByteArray("old"), true},
            {QStringLiteral("gone"), std::nullopt, QByteArray("x"), true},
            {QStringLiteral("over"), QByteArray("mine"), std::nullopt, false},
            {QString(), QByteArray("k"), std::nullopt, true},
        };
        const QList<PersistVar::Error> errors = storage.saveBatch(writes);
        QCOMPARE(errors.size(), writes.size());
        QCOMPARE(errors.at(0).code(), ErrorCode::NoError);
        QCOMPARE(errors.at(1).code(), ErrorCode::Conflict);
        QCOMPARE(errors.at(1).key(), QStringLiteral("stale"));
        QCOMPARE(errors.at(2).code(), ErrorCode::NoError);
        QCOMPARE(errors.at(3).code(), ErrorCode::NoError);
        QCOMPARE(errors.at(4).code(), ErrorCode::InvalidKey);
        MemoryStorage reader(name);
        QCOMPARE(reader.load(QStringLiteral("new")).value(), QByteArray("n"));
        QCOMPARE(reader.load(QStringLiteral("stale")).value(), QByteArray("stored"));
        QCOMPARE(reader.load(QStringLiteral("gone")).errorCode(), ErrorCode::NotFound);
        QCOMPARE(reader.load(QStringLiteral("over")).value(), QByteArray("mine"));
        QCOMPARE(storage.saveBatch({}).size(), 0);
    }

    void closeMakesCallsFail()
    {
        MemoryStorage storage;
        VERIFY_OK(storage.save(QStringLiteral("k"), "v", std::nullopt));
        VERIFY_OK(storage.close());
        VERIFY_OK(storage.close()); // twice is harmless
        QCOMPARE(storage.load(QStringLiteral("k")).errorCode(), ErrorCode::Closed);
        QCOMPARE(storage.save(QStringLiteral("k"), "w", QByteArray("v")).errorCode(),
                 ErrorCode::Closed);
        QCOMPARE(storage.save(QStringLiteral("k"), "v", QByteArray("v")).errorCode(),
                 ErrorCode::Closed);
        QCOMPARE(storage.saveUnconditionally(QStringLiteral("k"), "w").errorCode(),
                 ErrorCode::Closed);
        QCOMPARE(storage.remove(QStringLiteral("k")).errorCode(), ErrorCode::Closed);
        QCOMPARE(storage.keys().errorCode(), ErrorCode::Closed);
        QCOMPARE(storage.loadAll().errorCode(), ErrorCode::Closed);
        const QList<PersistVar::Error> errors =
            storage.saveBatch({{QStringLiteral("k"), QByteArray("w"), std::nullopt, false}});
        QCOMPARE(errors.size(), 1);
        QCOMPARE(errors.at(0).code(), ErrorCode::Closed);
    }

    void privateStoresAreSeparateAndGoneWhenClosed()
    {
        MemoryStorage a;
        MemoryStorage b;
        VERIFY_OK(a.save(QStringLiteral("k"), "a", std::nullopt));
        QCOMPARE(b.load(QStringLiteral("k")).errorCode(), ErrorCode::NotFound);
        MemoryStorage emptyName{QString()}; // an empty name is a private store too
        QCOMPARE(emptyName.load(QStringLiteral("k")).errorCode(), ErrorCode::NotFound);
        // Through store names: "memory:" is private to each opener.
        auto first = PersistVar::openStorage(QStringLiteral("memory:"));
        auto second = PersistVar::openStorage(QStringLiteral("memory:"));
        VERIFY_OK(first);
        VERIFY_OK(second);
        VERIFY_OK(first.value()->save(QStringLiteral("k"), "1", std::nullopt));
        QCOMPARE(second.value()->load(QStringLiteral("k")).errorCode(), ErrorCode::NotFound);
    }

    void namedStoresAreSharedAndOutliveClose()
    {
        const QString name = uniqueName();
        {
            MemoryStorage writer(name);
            VERIFY_OK(writer.save(QStringLiteral("k"), "v", std::nullopt));
            VERIFY_OK(writer.close());
        }
        MemoryStorage reader(name);
        QCOMPARE(reader.load(QStringLiteral("k")).value(), QByteArray("v"));
        MemoryStorage other(uniqueName());
        QCOMPARE(other.load(QStringLiteral("k")).errorCode(), ErrorCode::NotFound);
        // Compare-and-swap holds across instances of one named store.
        MemoryStorage writer(name);
        VERIFY_OK(writer.save(QStringLiteral("k"), "w", QByteArray("v")));
        QCOMPARE(reader.save(QStringLiteral("k"), "x", QByteArray("v")).errorCode(),
                 ErrorCode::Conflict);
        // Through store names, a manager can be reopened on the same named store.
        {
            auto manager = PersistVar::VarManager::open(QStringLiteral("memory:") + name);
            VERIFY_OK(manager);
            VERIFY_OK(manager.value()->var<int>(QStringLiteral("n"), 0).value()->set(5));
        }
        auto manager = PersistVar::VarManager::open(QStringLiteral("memory:") + name);
        VERIFY_OK(manager);
        QCOMPARE(manager.value()->var<int>(QStringLiteral("n"), 0).value()->get(), 5);
    }

    void description()
    {
        QVERIFY(MemoryStorage().description().startsWith(QLatin1String("memory:")));
        QCOMPARE(MemoryStorage(QStringLiteral("abc")).description(), QStringLiteral("memory:abc"));
    }
};

QTEST_GUILESS_MAIN(TestMemoryStorage)
#include "tst_memorystorage.moc"
