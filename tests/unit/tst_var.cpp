// SPDX-License-Identifier: MIT
// Var<T>: its type rules, and get/set/setLazy/update/updateLazy/sync semantics over every backend
// (what a second reader of the store finds), isDirty/isDefault, equality as a customisation
// point, and setVariantLazy() conversions.
#include "testbackends.h"

#include <persistvar/memorystorage.h>
#include <persistvar/varmanager.h>

#include <QtCore/QRegularExpression>
#include <QtTest/QTest>

#include <limits>
#include <type_traits>

using PersistVar::ErrorCode;
using PersistVar::Var;
using PersistVar::VarBase;
using TestBackends::Store;

// The manager hands out pointers to its variables: a Var must be neither copyable nor movable.
static_assert(!std::is_copy_constructible_v<Var<int>>);
static_assert(!std::is_move_constructible_v<Var<int>>);
static_assert(!std::is_copy_assignable_v<Var<int>>);
static_assert(!std::is_move_assignable_v<Var<int>>);
static_assert(!std::is_copy_constructible_v<Var<QString>>);
static_assert(!std::is_move_assignable_v<Var<QStringList>>);
static_assert(!std::is_default_constructible_v<Var<int>>); // only the manager creates them
static_assert(!std::is_copy_constructible_v<VarBase> && !std::is_move_constructible_v<VarBase>);
static_assert(!std::is_copy_constructible_v<PersistVar::VarManager>);
static_assert(!std::is_move_constructible_v<PersistVar::VarManager>);
static_assert(!std::is_copy_constructible_v<PersistVar::Storage>);
static_assert(std::is_base_of_v<VarBase, Var<int>>);
static_assert(std::is_final_v<Var<int>>);
static_assert(std::is_same_v<Var<double>::ValueType, double>);
// get() hands out a copy (never a reference into the locked value); small types by value.
static_assert(std::is_same_v<decltype(std::declval<const Var<QString> &>().get()), QString>);
static_assert(std::is_same_v<decltype(std::declval<PersistVar::VarManager &>().var<int>(QString())),
                             PersistVar::Result<Var<int> *>>);

struct Ui
{
    Q_GADGET
public:
    enum class Theme { Light, Dark, HighContrast };
    Q_ENUM(Theme)
};

// A type whose equality is customised: names compare case-insensitively.
struct Name
{
    QString text;
};
template<>
struct PersistVar::Codec<Name>
{
    static QCborValue toCbor(const Name &n) { return QCborValue(n.text); }
    static bool fromCbor(const QCborValue &v, Name *n)
    {
        if (!v.isString())
            return false;
        n->text = v.toString();
        return true;
    }
};
template<>
struct PersistVar::Equality<Name>
{
    static bool equal(const Name &a, const Name &b)
    {
        return a.text.compare(b.text, Qt::CaseInsensitive) == 0;
    }
};

// Evaluates the call once and shows the error (code, key, cause) when it failed.
#define VERIFY_OK(call) \
    do { \
        const auto &result_ = (call); \
        QVERIFY2(result_.isOk(), qPrintable(result_.error().toString())); \
    } while (false)

namespace {
const auto increment = [](int n) { return std::pair(n + 1, true); };

bool sameBits(double a, double b)
{
    return std::memcmp(&a, &b, sizeof(double)) == 0;
}
} // namespace

class TestVar : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { TestBackends::initHermetic(); }
    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

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
        auto manager = store.openManager(); \
        QVERIFY(manager); \
        name##On(store, manager.get()); \
    } \
\
private: \
    void name##On(const Store &store, PersistVar::VarManager *manager); \
private Q_SLOTS:

    BACKEND_TEST(keyAndDefault)
    BACKEND_TEST(setWritesAndClears)
    BACKEND_TEST(setLazyWaitsForSync)
    BACKEND_TEST(update)
    BACKEND_TEST(updateWithoutChangeWritesNothing)
    BACKEND_TEST(updateLazy)
    BACKEND_TEST(isDefault)
    BACKEND_TEST(syncWritesOnlyThisVariable)
    BACKEND_TEST(floatingPointEqualityIsBitwise)
    BACKEND_TEST(equalityIsACustomisationPoint)
    BACKEND_TEST(setVariantLazyIsStored)

    void setVariantLazy_data();
    void setVariantLazy();
};

void TestVar::keyAndDefaultOn(const Store &, PersistVar::VarManager *manager)
{
    auto var = manager->var<QString>(QStringLiteral("ui/title"), QStringLiteral("Untitled"));
    VERIFY_OK(var);
    Var<QString> *v = var.value();
    QCOMPARE(v->key(), QStringLiteral("ui/title"));
    QCOMPARE(v->manager(), manager);
    QCOMPARE(v->defaultValue(), QStringLiteral("Untitled"));
    QCOMPARE(v->get(), QStringLiteral("Untitled"));
    QCOMPARE(v->metaType(), QMetaType::fromType<QString>());
    QCOMPARE(v->defaultVariant(), QVariant(QStringLiteral("Untitled")));
    QCOMPARE(v->toVariant(), QVariant(QStringLiteral("Untitled")));
    QVERIFY(!v->isDirty());
    VERIFY_OK(v->set(QStringLiteral("Report")));
    QCOMPARE(v->defaultValue(), QStringLiteral("Untitled")); // the default never changes
    QCOMPARE(v->toVariant(), QVariant(QStringLiteral("Report")));
    // No default given: a value-initialized T.
    auto plain = manager->var<int>(QStringLiteral("plain"));
    VERIFY_OK(plain);
    QCOMPARE(plain.value()->defaultValue(), 0);
}

void TestVar::setWritesAndClearsOn(const Store &store, PersistVar::VarManager *manager)
{
    Var<int> *v = manager->var<int>(QStringLiteral("n"), 1).value();
    QVERIFY(v);
    VERIFY_OK(v->set(2));
    QCOMPARE(v->get(), 2);
    QVERIFY(!v->isDirty());
    QCOMPARE(store.value<int>(QStringLiteral("n")), 2);
    VERIFY_OK(v->setLazy(3));
    VERIFY_OK(v->set(4)); // set() also writes what was pending
    QVERIFY(!v->isDirty());
    QCOMPARE(store.value<int>(QStringLiteral("n")), 4);
}

void TestVar::setLazyWaitsForSyncOn(const Store &store, PersistVar::VarManager *manager)
{
    Var<int> *v = manager->var<int>(QStringLiteral("n"), 1).value();
    QVERIFY(v);
    VERIFY_OK(v->setLazy(2));
    QCOMPARE(v->get(), 2);
    QVERIFY(v->isDirty());
    VERIFY_OK(v->setLazy(3));
    QCOMPARE(store.load(QStringLiteral("n")).errorCode(), ErrorCode::NotFound);
    VERIFY_OK(manager->sync());
    QVERIFY(!v->isDirty());
    QCOMPARE(store.value<int>(QStringLiteral("n")), 3);
    VERIFY_OK(v->setLazy(1)); // back to the default: the entry goes with the next sync
    QVERIFY(v->isDirty());
    QCOMPARE(store.value<int>(QStringLiteral("n")), 3);
    VERIFY_OK(manager->sync());
    QCOMPARE(store.load(QStringLiteral("n")).errorCode(), ErrorCode::NotFound);
}

void TestVar::updateOn(const Store &store, PersistVar::VarManager *manager)
{
    Var<int> *v = manager->var<int>(QStringLiteral("n"), 10).value();
    QVERIFY(v);
    int seen = -1;
    VERIFY_OK(v->update([&seen](int n) {
        seen = n;
        return std::pair(n * 2, true);
    }));
    QCOMPARE(seen, 10); // the default when nothing is stored
    QCOMPARE(v->get(), 20);
    QVERIFY(!v->isDirty());
    QCOMPARE(store.value<int>(QStringLiteral("n")), 20);
    // A pending lazy value is what update() transforms, and it is written with the result.
    VERIFY_OK(v->setLazy(5));
    VERIFY_OK(v->update(increment));
    QCOMPARE(v->get(), 6);
    QVERIFY(!v->isDirty());
    QCOMPARE(store.value<int>(QStringLiteral("n")), 6);
    // A result equal to the default removes the stored entry.
    VERIFY_OK(v->update([](int) { return std::pair(10, true); }));
    QCOMPARE(store.load(QStringLiteral("n")).errorCode(), ErrorCode::NotFound);
    QVERIFY(v->isDefault());
}

void TestVar::updateWithoutChangeWritesNothingOn(const Store &store,
                                                 PersistVar::VarManager *manager)
{
    // Count the writes through a probe over a second manager on the same store.
    Q_UNUSED(manager)
    auto probe = std::make_unique<TestBackends::ProbeStorage>(store.openStorage());
    TestBackends::ProbeStorage *counts = probe.get();
    PersistVar::VarManager probed(std::move(probe));
    Var<int> *v = probed.var<int>(QStringLiteral("n"), 0).value();
    QVERIFY(v);
    VERIFY_OK(v->set(5));
    counts->resetCounts();
    VERIFY_OK(v->update([](int n) { return std::pair(n + 1, false); })); // "not changed"
    QCOMPARE(v->get(), 5);
    VERIFY_OK(v->update([](int n) { return std::pair(n, true); })); // changed, but equal
    QCOMPARE(counts->writes(), 0);
    QVERIFY(!v->isDirty());
    const PersistVar::Result<bool> lazy =
        v->updateLazy([](int n) { return std::pair(n + 1, false); });
    QVERIFY(lazy.isOk());
    QCOMPARE(lazy.value(), false);
    QVERIFY(!v->isDirty());
    VERIFY_OK(probed.sync());
    QCOMPARE(counts->writes(), 0);
    QCOMPARE(store.value<int>(QStringLiteral("n")), 5);
}

void TestVar::updateLazyOn(const Store &store, PersistVar::VarManager *manager)
{
    Var<QStringList> *v = manager->var<QStringList>(QStringLiteral("list")).value();
    QVERIFY(v);
    const auto append = [](const QString &item) {
        return
            [item](const QStringList &list) { return std::pair(list + QStringList{item}, true); };
    };
    PersistVar::Result<bool> changed = v->updateLazy(append(QStringLiteral("a")));
    QVERIFY(changed.isOk());
    QCOMPARE(changed.value(), true);
    QVERIFY(v->updateLazy(append(QStringLiteral("b"))).value());
    QCOMPARE(v->get(), (QStringList{QStringLiteral("a"), QStringLiteral("b")}));
    QVERIFY(v->isDirty());
    QCOMPARE(store.load(QStringLiteral("list")).errorCode(), ErrorCode::NotFound);
    // A transform that returns the value unchanged reports false.
    changed = v->updateLazy([](const QStringList &list) { return std::pair(list, true); });
    QVERIFY(changed.isOk());
    QCOMPARE(changed.value(), false);
    VERIFY_OK(manager->sync());
    QCOMPARE(store.value<QStringList>(QStringLiteral("list")),
             (QStringList{QStringLiteral("a"), QStringLiteral("b")}));
}

void TestVar::isDefaultOn(const Store &store, PersistVar::VarManager *manager)
{
    Var<int> *v = manager->var<int>(QStringLiteral("n"), 7).value();
    QVERIFY(v);
    QVERIFY(v->isDefault());
    VERIFY_OK(v->set(8));
    QVERIFY(!v->isDefault());
    VERIFY_OK(v->set(7)); // the default set explicitly is not stored
    QVERIFY(v->isDefault());
    QCOMPARE(store.load(QStringLiteral("n")).errorCode(), ErrorCode::NotFound);
    VERIFY_OK(v->setLazy(9));
    VERIFY_OK(manager->sync());
    QVERIFY(!v->isDefault());
    VERIFY_OK(v->reset());
    QVERIFY(v->isDefault());
    QCOMPARE(v->get(), 7);
    // A new manager agrees.
    VERIFY_OK(v->set(9));
    auto second = store.openManager();
    QVERIFY(second);
    auto reread = second->var<int>(QStringLiteral("n"), 7);
    VERIFY_OK(reread);
    QVERIFY(!reread.value()->isDefault());
    QCOMPARE(reread.value()->get(), 9);
}

void TestVar::syncWritesOnlyThisVariableOn(const Store &store, PersistVar::VarManager *manager)
{
    Var<int> *a = manager->var<int>(QStringLiteral("a"), 0).value();
    Var<int> *b = manager->var<int>(QStringLiteral("b"), 0).value();
    QVERIFY(a && b);
    VERIFY_OK(a->setLazy(1));
    VERIFY_OK(b->setLazy(2));
    VERIFY_OK(a->sync());
    QVERIFY(!a->isDirty());
    QVERIFY(b->isDirty());
    QCOMPARE(store.value<int>(QStringLiteral("a")), 1);
    QCOMPARE(store.load(QStringLiteral("b")).errorCode(), ErrorCode::NotFound);
    QVERIFY(manager->hasPendingChanges());
    VERIFY_OK(manager->sync());
    QCOMPARE(store.value<int>(QStringLiteral("b")), 2);
    QVERIFY(!manager->hasPendingChanges());
}

void TestVar::floatingPointEqualityIsBitwiseOn(const Store &store, PersistVar::VarManager *manager)
{
    Var<double> *v = manager->var<double>(QStringLiteral("x"), 0.0).value();
    QVERIFY(v);
    VERIFY_OK(v->setLazy(-0.0)); // -0.0 == 0.0, but it is another value and must be stored
    QVERIFY(v->isDirty());
    VERIFY_OK(manager->sync());
    const std::optional<double> stored = store.value<double>(QStringLiteral("x"));
    QVERIFY(stored);
    QVERIFY(sameBits(*stored, -0.0));
    const double nan = std::numeric_limits<double>::quiet_NaN();
    VERIFY_OK(v->set(nan));
    QVERIFY(std::isnan(*store.value<double>(QStringLiteral("x"))));
    VERIFY_OK(v->setLazy(nan)); // NaN equals itself here: nothing changes
    QVERIFY(!v->isDirty());
}

void TestVar::equalityIsACustomisationPointOn(const Store &store, PersistVar::VarManager *manager)
{
    auto probe = std::make_unique<TestBackends::ProbeStorage>(store.openStorage());
    TestBackends::ProbeStorage *counts = probe.get();
    PersistVar::VarManager probed(std::move(probe));
    Q_UNUSED(manager)
    Var<Name> *v = probed.var<Name>(QStringLiteral("name"), Name{QStringLiteral("nobody")}).value();
    QVERIFY(v);
    VERIFY_OK(v->set(Name{QStringLiteral("alice")}));
    counts->resetCounts();
    VERIFY_OK(v->setLazy(Name{QStringLiteral("ALICE")})); // equal by the custom rule
    QVERIFY(!v->isDirty());
    QCOMPARE(v->get().text, QStringLiteral("alice"));
    VERIFY_OK(v->set(Name{QStringLiteral("Alice")}));
    QCOMPARE(counts->writes(), 0);
    VERIFY_OK(v->set(Name{QStringLiteral("NOBODY")})); // equal to the default: removed
    QCOMPARE(store.load(QStringLiteral("name")).errorCode(), ErrorCode::NotFound);
}

void TestVar::setVariantLazyIsStoredOn(const Store &store, PersistVar::VarManager *manager)
{
    Var<int> *v = manager->var<int>(QStringLiteral("n"), 0).value();
    QVERIFY(v);
    VERIFY_OK(v->setVariantLazy(QVariant(QStringLiteral("42"))));
    QCOMPARE(v->get(), 42);
    QVERIFY(v->isDirty());
    VERIFY_OK(manager->sync());
    QCOMPARE(store.value<int>(QStringLiteral("n")), 42);
    auto second = store.openManager();
    QVERIFY(second);
    QCOMPARE(second->var<int>(QStringLiteral("n"), 0).value()->toVariant(), QVariant(42));
}

void TestVar::setVariantLazy_data()
{
    // Each row sets a QVariant on a variable of the named type; an invalid "expected" means the
    // conversion must fail with InvalidArgument and leave the variable as it was.
    QTest::addColumn<QString>("type");
    QTest::addColumn<QVariant>("input");
    QTest::addColumn<QVariant>("expected");
    const QVariant refused;
    const auto dt = QDateTime(QDate(2024, 1, 2), QTime(3, 4, 5), Qt::UTC);
    QTest::newRow("int from int") << "int" << QVariant(42) << QVariant(42);
    QTest::newRow("int from text") << "int" << QVariant(QStringLiteral("42")) << QVariant(42);
    QTest::newRow("int from whole double") << "int" << QVariant(3.0) << QVariant(3);
    QTest::newRow("int from qlonglong") << "int" << QVariant(qlonglong(7)) << QVariant(7);
    QTest::newRow("int from words") << "int" << QVariant(QStringLiteral("abc")) << refused;
    QTest::newRow("int from list") << "int" << QVariant(QVariantList{1}) << refused;
    QTest::newRow("int from too large") << "int" << QVariant(qlonglong(1) << 40) << refused;
    QTest::newRow("int from too large text")
        << "int" << QVariant(QStringLiteral("99999999999")) << refused;
    QTest::newRow("qint64 max from text")
        << "qint64" << QVariant(QStringLiteral("9223372036854775807"))
        << QVariant(std::numeric_limits<qint64>::max());
    QTest::newRow("double from int") << "double" << QVariant(2) << QVariant(2.0);
    QTest::newRow("double from text")
        << "double" << QVariant(QStringLiteral("0.5")) << QVariant(0.5);
    QTest::newRow("double from words") << "double" << QVariant(QStringLiteral("x")) << refused;
    QTest::newRow("bool from text")
        << "bool" << QVariant(QStringLiteral("false")) << QVariant(false);
    QTest::newRow("bool from 0") << "bool" << QVariant(0) << QVariant(false);
    QTest::newRow("QString from QString")
        << "QString" << QVariant(QStringLiteral("héllo")) << QVariant(QStringLiteral("héllo"));
    QTest::newRow("QString from int") << "QString" << QVariant(5) << QVariant(QStringLiteral("5"));
    QTest::newRow("QStringList from list")
        << "QStringList" << QVariant(QVariantList{QStringLiteral("a"), QStringLiteral("b")})
        << QVariant(QStringList{QStringLiteral("a"), QStringLiteral("b")});
    QTest::newRow("QList<int> from list") << "QList<int>" << QVariant(QVariantList{1, 2, 3})
                                          << QVariant::fromValue(QList<int>{1, 2, 3});
    QTest::newRow("QList<int> from words")
        << "QList<int>" << QVariant(QVariantList{QStringLiteral("x")}) << refused;
    QTest::newRow("QDateTime from QDateTime") << "QDateTime" << QVariant(dt) << QVariant(dt);
    QTest::newRow("QDateTime from ISO text")
        << "QDateTime" << QVariant(QStringLiteral("2024-01-02T03:04:05Z")) << QVariant(dt);
    QTest::newRow("Q_ENUM from name")
        << "Theme" << QVariant(QStringLiteral("Dark")) << QVariant::fromValue(Ui::Theme::Dark);
    QTest::newRow("Q_ENUM from int")
        << "Theme" << QVariant(2) << QVariant::fromValue(Ui::Theme::HighContrast);
    QTest::newRow("Q_ENUM from unknown name")
        << "Theme" << QVariant(QStringLiteral("Purple")) << refused;
    QTest::newRow("QVariant keeps anything")
        << "QVariant" << QVariant(QRect(1, 2, 3, 4)) << QVariant(QRect(1, 2, 3, 4));
}

void TestVar::setVariantLazy()
{
    QFETCH(QString, type);
    QFETCH(QVariant, input);
    QFETCH(QVariant, expected);
    PersistVar::VarManager manager(std::make_unique<PersistVar::MemoryStorage>());
    VarBase *var = nullptr;
    if (type == QLatin1String("int"))
        var = manager.var<int>(QStringLiteral("k"), -1).value();
    else if (type == QLatin1String("qint64"))
        var = manager.var<qint64>(QStringLiteral("k"), -1).value();
    else if (type == QLatin1String("double"))
        var = manager.var<double>(QStringLiteral("k"), -1).value();
    else if (type == QLatin1String("bool"))
        var = manager.var<bool>(QStringLiteral("k"), true).value();
    else if (type == QLatin1String("QString"))
        var = manager.var<QString>(QStringLiteral("k"), QStringLiteral("d")).value();
    else if (type == QLatin1String("QStringList"))
        var = manager.var<QStringList>(QStringLiteral("k")).value();
    else if (type == QLatin1String("QList<int>"))
        var = manager.var<QList<int>>(QStringLiteral("k")).value();
    else if (type == QLatin1String("QDateTime"))
        var = manager.var<QDateTime>(QStringLiteral("k")).value();
    else if (type == QLatin1String("Theme"))
        var = manager.var<Ui::Theme>(QStringLiteral("k"), Ui::Theme::Light).value();
    else if (type == QLatin1String("QVariant"))
        var = manager.var<QVariant>(QStringLiteral("k")).value();
    QVERIFY2(var, qPrintable(type));
    const QVariant before = var->toVariant();
    const PersistVar::Result<void> r = var->setVariantLazy(input);
    if (!expected.isValid()) {
        QVERIFY2(r.errorCode() == ErrorCode::InvalidArgument,
                 qPrintable(QStringLiteral("accepted, the value is now %1")
                                .arg(QDebug::toString(var->toVariant()))));
        QCOMPARE(r.error().key(), QStringLiteral("k"));
        QCOMPARE(var->toVariant(), before);
        QVERIFY(!var->isDirty());
        return;
    }
    VERIFY_OK(r);
    const QVariant actual = var->toVariant();
    QCOMPARE(actual.metaType(), expected.metaType());
    QCOMPARE(actual, expected);
    if (type == QLatin1String("QDateTime"))
        QCOMPARE(actual.toDateTime().timeSpec(), expected.toDateTime().timeSpec());
    QVERIFY(var->isDirty());
}

QTEST_GUILESS_MAIN(TestVar)
#include "tst_var.moc"
