// SPDX-License-Identifier: MIT
#include <persistvar/codec.h>
#include <persistvar/settingsstorage.h>
#include <persistvar/varmanager.h>

#include "testbackends.h"

#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QLockFile>
#include <QtCore/QProcess>
#include <QtCore/QRegularExpression>
#include <QtCore/QSaveFile>
#include <QtCore/QSettings>
#include <QtCore/QStandardPaths>
#include <QtCore/QTemporaryDir>
#include <QtCore/QThread>
#include <QtCore/QTimeZone>
#include <QtTest/QTest>

#include <cmath>
#include <limits>

#ifdef Q_OS_UNIX
#include <unistd.h>
#endif

using namespace PersistVar;
using namespace std::chrono_literals;

namespace {
// Environment of the child processes this test starts (see childProcessHelper()).
constexpr char ChildModeVariable[] = "PERSISTVAR_TST_SETTINGS_CHILD";
constexpr char ChildPathVariable[] = "PERSISTVAR_TST_SETTINGS_PATH";
constexpr char ChildCountVariable[] = "PERSISTVAR_TST_SETTINGS_COUNT";
constexpr char LockedMarker[] = "PERSISTVAR-CHILD-LOCKED";

enum class PlainEnum { First = 1, Second = 7 };

QByteArray readFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return QByteArray();
    return file.readAll();
}

bool writeFile(const QString &path, const QByteArray &content)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        && file.write(content) == content.size();
}

std::unique_ptr<SettingsStorage> openIni(const QString &path)
{
    auto result = SettingsStorage::openIni(path);
    if (!result.isOk()) {
        qWarning() << "cannot open" << path << result.error();
        return nullptr;
    }
    return std::move(result).value();
}

std::unique_ptr<VarManager> openIniManager(const QString &path)
{
    auto result = VarManager::open(QStringLiteral("ini:") + path);
    if (!result.isOk()) {
        qWarning() << "cannot open" << path << result.error();
        return nullptr;
    }
    return std::move(result).value();
}

SettingsStorage *asSettings(Storage *storage)
{
    return dynamic_cast<SettingsStorage *>(storage);
}

bool isRoot()
{
#ifdef Q_OS_UNIX
    return ::geteuid() == 0;
#else
    return false;
#endif
}

QProcess *startChild(const QString &mode, const QString &path, int count = 0)
{
    auto *process = new QProcess;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QLatin1String(ChildModeVariable), mode);
    env.insert(QLatin1String(ChildPathVariable), path);
    env.insert(QLatin1String(ChildCountVariable), QString::number(count));
    process->setProcessEnvironment(env);
    process->setProcessChannelMode(QProcess::MergedChannels);
    process->start(QCoreApplication::applicationFilePath(), {QStringLiteral("childProcessHelper")});
    return process;
}

QString isoOrInvalid(const QDateTime &dt)
{
    return dt.isValid() ? dt.toString(Qt::ISODateWithMs) : QStringLiteral("invalid");
}
} // namespace

class tst_SettingsStorage : public QObject
{
    Q_OBJECT

public:
    enum class Theme { Light, Dark };
    Q_ENUM(Theme)

private:
    // Writes \a value through one manager, then reads it with a manager on the same file (this
    // process's QSettings cache) and one on a copy (parsed afresh, as another process would).
    template<typename T>
    bool roundTrips(const QString &key, const T &value, const T &defaultValue)
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("app.ini"));
        {
            auto manager = openIniManager(path);
            if (!manager)
                return false;
            auto var = manager->var<T>(key, defaultValue);
            if (!var.isOk()) {
                qWarning() << key << var.error();
                return false;
            }
            if (Result<void> r = var.value()->set(value); !r.isOk()) {
                qWarning() << key << r.error();
                return false;
            }
        }
        const QString copy = dir.filePath(QStringLiteral("copy.ini"));
        if (!QFile::copy(path, copy))
            return false;
        for (const QString &p : {path, copy}) {
            auto manager = openIniManager(p);
            if (!manager)
                return false;
            auto var = manager->var<T>(key, defaultValue);
            const QByteArray got = var.value() ? encode(var.value()->get()) : QByteArray();
            if (!var.isOk() || !Equality<T>::equal(var.value()->get(), value)) {
                qWarning().noquote()
                    << "key" << key << "read from" << (p == path ? "the same file" : "a copy")
                    << "gives" << got.toHex(' ') << "instead of" << encode(value).toHex(' ')
                    << var.error() << "\nfile:\n"
                    << QString::fromUtf8(readFile(path));
                return false;
            }
        }
        return true;
    }

private Q_SLOTS:
    void initTestCase();

    void roundTrip_data();
    void roundTrip();
    void description_data();
    void description();
    void iniText();
    void handEditedValues();
    void undecodableValue();
    void typeTableRoundTrips();
    void variantNumbersReadBackAsText();
    void rawBytes();
    void conflict_data();
    void conflict();
    void batch();
    void sharesFileWithQSettings_data();
    void sharesFileWithQSettings();
    void borrowedSettings();
    void removeKeepsGroup();
    void invalidKeys();
    void garbageLines();
    void heldLockReportsError();
    void staleLockRecovered();
    void readOnly_data();
    void readOnly();
    void openErrors();
    void createdPrivate();
    void closeThenClosed();
    void multiProcessUpdates();
    void writesMoveModificationTimeOn();
    void sameLengthRewriteInOneTick();
    void watching();

    // Not a test: the code child processes of the tests above run. Does nothing otherwise.
    void childProcessHelper();
};

void tst_SettingsStorage::initTestCase()
{
    TestBackends::initHermetic();
}

static void addSettingsRows()
{
    QTest::addColumn<QString>("backend");
    TestBackends::forEach([](const QString &b) { QTest::newRow(qPrintable(b)) << b; },
                          {QStringLiteral("ini"), QStringLiteral("settings")});
}

void tst_SettingsStorage::roundTrip_data()
{
    addSettingsRows();
}

void tst_SettingsStorage::roundTrip()
{
    QFETCH(QString, backend);
    TestBackends::Store store(backend);
    PERSISTVAR_REQUIRE_STORE(store);
    {
        auto manager = VarManager::open(store.name());
        QVERIFY(manager.isOk());
        QVERIFY(
            manager.value()->var<double>(QStringLiteral("volume"), 0.8).value()->set(0.5).isOk());
        QVERIFY(manager.value()
                    ->var<QString>(QStringLiteral("name"))
                    .value()
                    ->set(QStringLiteral("Ada"))
                    .isOk());
        QVERIFY(manager.value()
                    ->var<int>(QStringLiteral("window/width"), 640)
                    .value()
                    ->set(800)
                    .isOk());
        QVERIFY(manager.value()->close().isOk());
    }
    // A second storage on the same store reads the values back with their types.
    auto storage = store.openStorage();
    QVERIFY(storage);
    double volume = 0;
    QVERIFY(decode(storage->load(QStringLiteral("volume")).value(), &volume));
    QCOMPARE(volume, 0.5);
    auto all = storage->loadAll();
    QVERIFY(all.isOk());
    QCOMPARE(all.value().size(), 3);
    int width = 0;
    QVERIFY(decode(all.value().value(QStringLiteral("window/width")), &width));
    QCOMPARE(width, 800);
    const QStringList expectedKeys{QStringLiteral("name"), QStringLiteral("volume"),
                                   QStringLiteral("window/width")};
    QCOMPARE(storage->keys().value(), expectedKeys);
    QCOMPARE(storage->load(QStringLiteral("missing")).errorCode(), ErrorCode::NotFound);

    // And a manager parsing the file afresh (as another process would) does too.
    const QString copy = store.directory() + QStringLiteral("/copy.ini");
    QVERIFY(QFile::copy(asSettings(storage.get())->fileName(), copy));
    auto fresh = openIniManager(copy);
    QVERIFY(fresh);
    QCOMPARE(fresh->var<QString>(QStringLiteral("name")).value()->get(), QStringLiteral("Ada"));
    QCOMPARE(fresh->var<int>(QStringLiteral("window/width"), 0).value()->get(), 800);
    QCOMPARE(fresh->var<double>(QStringLiteral("volume"), 0).value()->get(), 0.5);
}

void tst_SettingsStorage::description_data()
{
    addSettingsRows();
}

void tst_SettingsStorage::description()
{
    QFETCH(QString, backend);
    TestBackends::Store store(backend);
    auto storage = store.openStorage();
    QVERIFY(storage);
    auto *settings = asSettings(storage.get());
    QVERIFY(settings);
    if (backend == QLatin1String("ini")) {
        QCOMPARE(storage->description(), store.name());
        QCOMPARE(QStringLiteral("ini:") + settings->fileName(), store.name());
    } else {
        QCOMPARE(storage->description(), store.name()); // settings:PersistVarTests/store-...
        QVERIFY(settings->fileName().startsWith(QDir::rootPath()));
    }
    QCOMPARE(settings->lockFileName(), settings->fileName() + QStringLiteral(".pvlock"));
}

void tst_SettingsStorage::iniText()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("app.ini"));
    {
        auto manager = openIniManager(path);
        QVERIFY(manager);
        QVERIFY(manager->var<double>(QStringLiteral("volume"), 0.8).value()->set(0.5).isOk());
        QVERIFY(manager->var<QString>(QStringLiteral("name"))
                    .value()
                    ->set(QStringLiteral("Ada"))
                    .isOk());
        QVERIFY(manager->var<int>(QStringLiteral("window/width"), 640).value()->set(800).isOk());
        QVERIFY(manager->var<QStringList>(QStringLiteral("fruits"))
                    .value()
                    ->set({QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")})
                    .isOk());
        QVERIFY(manager->var<bool>(QStringLiteral("enabled"), false).value()->set(true).isOk());
        QVERIFY(manager->var<double>(QStringLiteral("third"), 0).value()->set(0.1 + 0.2).isOk());
        QVERIFY(manager->var<double>(QStringLiteral("negzero"), 1).value()->set(-0.0).isOk());
        QVERIFY(manager->var<double>(QStringLiteral("inf"), 1)
                    .value()
                    ->set(std::numeric_limits<double>::infinity())
                    .isOk());
        QVERIFY(manager->var<quint64>(QStringLiteral("big"), 0)
                    .value()
                    ->set(std::numeric_limits<quint64>::max())
                    .isOk());
        QVERIFY(manager->var<qint64>(QStringLiteral("min"), 0)
                    .value()
                    ->set(std::numeric_limits<qint64>::min())
                    .isOk());
        QVERIFY(manager->var<Theme>(QStringLiteral("theme"), Theme::Light)
                    .value()
                    ->set(Theme::Dark)
                    .isOk());
        QVERIFY(
            manager->var<QString>(QStringLiteral("at")).value()->set(QStringLiteral("@me")).isOk());
        QVERIFY(
            manager->var<QRect>(QStringLiteral("geometry")).value()->set(QRect(1, 2, 3, 4)).isOk());
        // Not readable as text, stored exactly:
        QVERIFY(manager->var<QList<int>>(QStringLiteral("ints")).value()->set({1, 2, 3}).isOk());
        QVERIFY(manager->var<QStringList>(QStringLiteral("single"))
                    .value()
                    ->set({QStringLiteral("only")})
                    .isOk());
    }
    const QString text = QString::fromUtf8(readFile(path));
    const QStringList lines = text.split(QLatin1Char('\n'));
    for (const char *expected :
         {"[General]", "volume=0.5", "name=Ada", "fruits=a, b, c", "enabled=true",
          "third=0.30000000000000004", "negzero=-0", "inf=inf", "big=18446744073709551615",
          "min=-9223372036854775808", "theme=Dark", "at=@@me", "geometry=@Rect(1 2 3 4)",
          "[window]", "width=800"}) {
        QVERIFY2(lines.contains(QLatin1String(expected)),
                 qPrintable(
                     QStringLiteral("no line \"%1\" in:\n%2").arg(QLatin1String(expected), text)));
    }
    QVERIFY2(text.contains(QLatin1String("[window]\nwidth=800")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("ints=@ByteArray(")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("single=@Variant(")), qPrintable(text));
}

void tst_SettingsStorage::handEditedValues()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("app.ini"));
    QVERIFY(writeFile(path,
                      "[General]\n"
                      "width=800\n"
                      "volume=0.25\n"
                      "enabled=true\n"
                      "name=Ada\n"
                      "fruits=apple, banana\n"
                      "sizes=1, 2, 3\n"
                      "big=18446744073709551615\n"
                      "spaced =  42  \n"
                      "theme=Dark\n"
                      "\n"
                      "[window]\n"
                      "height=600\n"));
    auto manager = openIniManager(path);
    QVERIFY(manager);
    auto *width = manager->var<int>(QStringLiteral("width"), 0).value();
    QCOMPARE(width->get(), 800);
    QCOMPARE(manager->var<double>(QStringLiteral("volume"), 0).value()->get(), 0.25);
    QCOMPARE(manager->var<bool>(QStringLiteral("enabled"), false).value()->get(), true);
    QCOMPARE(manager->var<QString>(QStringLiteral("name")).value()->get(), QStringLiteral("Ada"));
    QCOMPARE(manager->var<QStringList>(QStringLiteral("fruits")).value()->get(),
             QStringList({QStringLiteral("apple"), QStringLiteral("banana")}));
    auto *sizes = manager->var<QList<int>>(QStringLiteral("sizes")).value();
    QCOMPARE(sizes->get(), QList<int>({1, 2, 3}));
    QCOMPARE(manager->var<quint64>(QStringLiteral("big"), 0).value()->get(),
             std::numeric_limits<quint64>::max());
    QCOMPARE(manager->var<int>(QStringLiteral("spaced"), 0).value()->get(), 42);
    QCOMPARE(manager->var<Theme>(QStringLiteral("theme"), Theme::Light).value()->get(),
             Theme::Dark);
    QCOMPARE(manager->var<int>(QStringLiteral("window/height"), 0).value()->get(), 600);

    // The text stands for the value the variables read: compare-and-swap accepts it.
    QVERIFY(width->update([](int w) { return std::pair(w + 1, true); }).isOk());
    QCOMPARE(width->get(), 801);
    QVERIFY(sizes->set({4, 5}).isOk());
    const QByteArray text = readFile(path);
    QVERIFY2(text.contains("width=801\n"), text.constData());
    QVERIFY2(text.contains("name=Ada\n"), text.constData());
    QVERIFY2(text.contains("[window]\nheight=600\n"), text.constData());
}

void tst_SettingsStorage::undecodableValue()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("app.ini"));
    const QByteArray content = "[General]\nwidth=abc\nheight=600\n";
    QVERIFY(writeFile(path, content));
    {
        auto manager = openIniManager(path);
        QVERIFY(manager);
        auto width = manager->var<int>(QStringLiteral("width"), 640);
        QCOMPARE(width.errorCode(), ErrorCode::DecodeFailed);
        QCOMPARE(width.error().key(), QStringLiteral("width"));
        QVERIFY(width.value());
        QCOMPARE(width.value()->get(), 640);
        // Only that key is affected.
        auto height = manager->var<int>(QStringLiteral("height"), 0);
        QVERIFY(height.isOk());
        QCOMPARE(height.value()->get(), 600);
        QVERIFY(manager->close().isOk());
    }
    QCOMPARE(readFile(path), content); // untouched until a value is set

    auto manager = openIniManager(path);
    auto *width = manager->var<int>(QStringLiteral("width"), 640).value();
    QVERIFY(width);
    QVERIFY(width->set(1024).isOk());
    QVERIFY(readFile(path).contains("width=1024\n"));
}

void tst_SettingsStorage::typeTableRoundTrips()
{
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    QVERIFY(roundTrips<bool>(QStringLiteral("b"), true, false));
    QVERIFY(roundTrips<bool>(QStringLiteral("b"), false, true));
    QVERIFY(roundTrips<int>(QStringLiteral("i"), 800, 0));
    QVERIFY(roundTrips<int>(QStringLiteral("i"), std::numeric_limits<int>::min(), 0));
    QVERIFY(roundTrips<int>(QStringLiteral("i"), std::numeric_limits<int>::max(), 0));
    QVERIFY(roundTrips<qint64>(QStringLiteral("l"), std::numeric_limits<qint64>::min(), 0));
    QVERIFY(roundTrips<qint64>(QStringLiteral("l"), std::numeric_limits<qint64>::max(), 0));
    QVERIFY(roundTrips<quint64>(QStringLiteral("u"), std::numeric_limits<quint64>::max(), 0));
    QVERIFY(roundTrips<quint32>(QStringLiteral("u"), std::numeric_limits<quint32>::max(), 0));
    for (double d :
         {0.5, 0.1 + 0.2, -0.0, inf, -inf, nan, std::numeric_limits<double>::denorm_min(),
          std::numeric_limits<double>::min(), std::numeric_limits<double>::max(),
          -std::numeric_limits<double>::max(), 1e300, 1.0, 123456789012345680.0}) {
        QVERIFY2(roundTrips<double>(QStringLiteral("d"), d, 42.0), qPrintable(QString::number(d)));
    }
    QVERIFY(roundTrips<float>(QStringLiteral("f"), 0.1f, 0.0f));

    const QStringList strings{
        QString(),
        QStringLiteral("Ada"),
        QString(QChar(0)) + QStringLiteral("x") + QChar(0),
        QStringLiteral("a") + QChar(0) + QStringLiteral("5"),
        QString::fromUtf8("h\xF0\x9F\x98\x80 \xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xD8\xA7"),
        QStringLiteral("007"),
        QStringLiteral("800"),
        QStringLiteral("true"),
        QStringLiteral("@foo"),
        QStringLiteral("@@foo"),
        QStringLiteral("@ByteArray(x)"),
        QStringLiteral("@Variant(x)"),
        QStringLiteral("@Invalid()"),
        QStringLiteral("  pad  "),
        QStringLiteral("\ttab"),
        QStringLiteral("a, b"),
        QStringLiteral("a,b"),
        QStringLiteral("a;b"),
        QStringLiteral("; comment"),
        QStringLiteral("# hash"),
        QStringLiteral("[General]"),
        QStringLiteral("\"q\""),
        QStringLiteral("\""),
        QStringLiteral("a\nb\r\nc\tc\\d\\"),
        QStringLiteral("a=b"),
        QStringLiteral("\\x41"),
        QString(QChar(0x7f)) + QChar(0x80) + QChar(0xff) + QChar(0xfeff),
    };
    for (const QString &s : strings) {
        QVERIFY2(roundTrips<QString>(QStringLiteral("s"), s, QStringLiteral("default")),
                 qPrintable(s));
    }
    QVERIFY(roundTrips<QString>(QStringLiteral("s"), QStringLiteral("x"), QString()));

    const QList<QStringList> lists{
        {},
        {QStringLiteral("a")},
        {QString()},
        {QStringLiteral("@a")},
        {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")},
        {QString(), QString()},
        {QStringLiteral("@x"), QStringLiteral("y")},
        {QStringLiteral("a, b"), QStringLiteral(" c ")},
        {QStringLiteral("x") + QChar(0) + QStringLiteral("y"), QStringLiteral("z")},
    };
    for (const QStringList &l : lists) {
        QVERIFY2(roundTrips<QStringList>(QStringLiteral("sl"), l, {QStringLiteral("default")}),
                 qPrintable(l.join(QLatin1Char('|'))));
    }

    QByteArray all;
    for (int i = 0; i < 256; ++i)
        all.append(char(i));
    QVERIFY(roundTrips<QByteArray>(QStringLiteral("ba"), all, QByteArray()));
    QByteArray shuffled;
    for (int i = 0; i < 512; ++i)
        shuffled.append(char((i * 151 + 7) % 256)).append(i % 3 ? 'a' : '5');
    QVERIFY(roundTrips<QByteArray>(QStringLiteral("ba"), shuffled, QByteArray()));
    QVERIFY(roundTrips<QByteArray>(QStringLiteral("ba"), QByteArray(), QByteArray("x")));
    QVERIFY(roundTrips<QByteArray>(QStringLiteral("ba"), encode(5), QByteArray()));
    QVERIFY(
        roundTrips<QByteArray>(QStringLiteral("ba"), QByteArray("\0pv-raw\0x", 9), QByteArray()));

    const QVariantMap map{{QStringLiteral("a"), 1},
                          {QStringLiteral("b"), QVariantList{QStringLiteral("x"), 2}},
                          {QStringLiteral("c"), qint64(1) << 40},
                          {QStringLiteral("d"), -0.0},
                          {QStringLiteral("e"), QVariantMap{{QStringLiteral("f"), true}}},
                          {QStringLiteral("u"), std::numeric_limits<quint64>::max()}};
    const QVariantList nested{1,   QStringLiteral("a"),  2.5, true, QVariantList{1, 2},
                              map, QByteArray("\0\1", 2)};
    QVERIFY(roundTrips<QVariantList>(QStringLiteral("vl"), nested, {}));
    QVERIFY(roundTrips<QVariantList>(QStringLiteral("vl"), {}, {1}));
    QVERIFY(roundTrips<QVariantList>(QStringLiteral("vl"), {5}, {}));
    QVERIFY(roundTrips<QVariantList>(QStringLiteral("vl"), {QStringLiteral("a"), 5}, {}));
    QVERIFY(roundTrips<QVariantMap>(QStringLiteral("vm"), map, {}));
    QVERIFY(roundTrips<QVariantMap>(QStringLiteral("vm"), {}, map));
    QVERIFY(roundTrips<QVariantMap>(
        QStringLiteral("vm"),
        {{QStringLiteral("when"), QDateTime(QDate(2024, 1, 2), QTime(3, 4), QTimeZone(3600))}},
        {}));

    const QDate date(2024, 2, 29);
    const QTime time(23, 59, 58, 999);
    const QList<QDateTime> dateTimes{
        QDateTime(date, time, Qt::UTC),
        QDateTime(date, time, Qt::LocalTime),
        QDateTime(date, time, QTimeZone(-5 * 3600 - 1800)),
        QDateTime(date, time, QTimeZone("Europe/Berlin")),
        QDateTime(QDate(1, 1, 1), QTime(0, 0), Qt::UTC),
        QDateTime(),
    };
    for (const QDateTime &dt : dateTimes) {
        QVERIFY2(roundTrips<QDateTime>(QStringLiteral("dt"), dt,
                                       QDateTime(QDate(2000, 1, 1), QTime(0, 0), Qt::UTC)),
                 qPrintable(isoOrInvalid(dt)));
    }
    QVERIFY(roundTrips<QDate>(QStringLiteral("date"), date, QDate()));
    QVERIFY(roundTrips<QDate>(QStringLiteral("date"), QDate(), date));
    QVERIFY(roundTrips<QTime>(QStringLiteral("time"), time, QTime()));
    QVERIFY(roundTrips<QTime>(QStringLiteral("time"), QTime(), time));
    QVERIFY(roundTrips<QUrl>(QStringLiteral("url"), QUrl(QStringLiteral("https://x.org/a b?q=1#f")),
                             QUrl()));
    QVERIFY(roundTrips<QUrl>(QStringLiteral("url"), QUrl(), QUrl(QStringLiteral("file:///x"))));
    QVERIFY(roundTrips<QUuid>(QStringLiteral("uuid"), QUuid::createUuid(), QUuid()));
    QVERIFY(roundTrips<QUuid>(QStringLiteral("uuid"), QUuid(), QUuid::createUuid()));
    QVERIFY(roundTrips<QPoint>(QStringLiteral("p"), QPoint(-1, 2), QPoint()));
    QVERIFY(roundTrips<QPointF>(QStringLiteral("pf"), QPointF(1.5, -0.1), QPointF()));
    QVERIFY(roundTrips<QSize>(QStringLiteral("s"), QSize(800, 600), QSize()));
    QVERIFY(roundTrips<QSizeF>(QStringLiteral("sf"), QSizeF(0.5, 1e300), QSizeF()));
    QVERIFY(roundTrips<QRect>(QStringLiteral("r"), QRect(-1, 2, 300, 400), QRect()));
    QVERIFY(roundTrips<QRectF>(QStringLiteral("rf"), QRectF(0.1, 0.2, -0.0, 4), QRectF()));

    QVERIFY(roundTrips<Theme>(QStringLiteral("theme"), Theme::Dark, Theme::Light));
    QVERIFY(roundTrips<PlainEnum>(QStringLiteral("enum"), PlainEnum::Second, PlainEnum::First));
    QVERIFY(roundTrips<QList<int>>(QStringLiteral("ints"), {1, 2, 3}, {}));
    QVERIFY(roundTrips<QList<int>>(QStringLiteral("ints"), {7}, {}));
    QVERIFY(roundTrips<QList<int>>(QStringLiteral("ints"), {}, {7}));
    QVERIFY(roundTrips<QList<double>>(QStringLiteral("doubles"), {0.5, -0.0, inf}, {}));
    QVERIFY(roundTrips<std::optional<int>>(QStringLiteral("opt"), std::nullopt, 5));
    QVERIFY(roundTrips<std::optional<int>>(QStringLiteral("opt"), 5, std::nullopt));
    QVERIFY(roundTrips<std::optional<QString>>(QStringLiteral("opt"), QString(), std::nullopt));
    QVERIFY(
        roundTrips<QVariant>(QStringLiteral("v"), QVariant(QStringLiteral("text")), QVariant()));
    QVERIFY(roundTrips<QVariant>(QStringLiteral("v"), QVariant(QVariantList{1, 2}), QVariant()));
}

void tst_SettingsStorage::variantNumbersReadBackAsText()
{
    // Documented limitation: INI text has no types, so a Var<QVariant> holding a number reads
    // the text back from the file.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("app.ini"));
    {
        auto manager = openIniManager(path);
        QVERIFY(manager->var<QVariant>(QStringLiteral("v")).value()->set(QVariant(800)).isOk());
    }
    const QString copy = dir.filePath(QStringLiteral("copy.ini"));
    QVERIFY(QFile::copy(path, copy));
    auto manager = openIniManager(copy);
    QCOMPARE(manager->var<QVariant>(QStringLiteral("v")).value()->get(),
             QVariant(QStringLiteral("800")));
    QCOMPARE(manager->var<int>(QStringLiteral("v")).errorCode(), ErrorCode::TypeMismatch);
}

void tst_SettingsStorage::rawBytes()
{
    // Bytes that are no PersistVar encoding (another format version, a foreign value) come back
    // exactly, through the cache and through the file.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("app.ini"));
    const QList<QByteArray> values{QByteArray("hello"),           QByteArray("\0\1\2", 3),
                                   QByteArray("\2future-format"), QByteArray("\1"),
                                   QByteArray("\1\x18"),          QByteArray()};
    auto storage = openIni(path);
    QVERIFY(storage);
    for (qsizetype i = 0; i < values.size(); ++i)
        QVERIFY(storage->save(QString::number(i), values.at(i), std::nullopt).isOk());
    const QString copy = dir.filePath(QStringLiteral("copy.ini"));
    QVERIFY(QFile::copy(path, copy));
    auto fresh = openIni(copy);
    for (qsizetype i = 0; i < values.size(); ++i) {
        QCOMPARE(storage->load(QString::number(i)).value(), values.at(i));
        QCOMPARE(fresh->load(QString::number(i)).value(), values.at(i));
        // Compare-and-swap matches them exactly too.
        QVERIFY(fresh->save(QString::number(i), "new", values.at(i)).isOk());
    }
}

void tst_SettingsStorage::conflict_data()
{
    addSettingsRows();
}

void tst_SettingsStorage::conflict()
{
    QFETCH(QString, backend);
    TestBackends::Store store(backend);
    auto a = store.openStorage();
    auto b = store.openStorage();
    QVERIFY(a && b);
    const QString key = QStringLiteral("count");
    QVERIFY(a->save(key, encode(1), std::nullopt).isOk());
    QCOMPARE(a->save(key, encode(9), std::nullopt).errorCode(), ErrorCode::Conflict);
    const QByteArray seenByB = b->load(key).value();
    int value = 0;
    QVERIFY(decode(seenByB, &value));
    QCOMPARE(value, 1);

    QVERIFY(a->save(key, encode(2), encode(1)).isOk());
    const Result<void> stale = b->save(key, encode(3), seenByB);
    QCOMPARE(stale.errorCode(), ErrorCode::Conflict);
    QCOMPARE(stale.error().key(), key);
    QVERIFY(decode(b->load(key).value(), &value));
    QCOMPARE(value, 2);
    // With what is stored as the old value (text or the encoding it stands for) it goes through.
    QVERIFY(b->save(key, encode(3), b->load(key).value()).isOk());
    QVERIFY(a->save(key, encode(4), encode(3)).isOk());

    // Writing what is already stored changes nothing in the file.
    const QString path = asSettings(a.get())->fileName();
    const QByteArray before = readFile(path);
    const QDateTime modified = QFileInfo(path).lastModified();
    QThread::msleep(20);
    QVERIFY(a->save(key, encode(4), encode(4)).isOk());
    QVERIFY(b->saveUnconditionally(key, encode(4)).isOk());
    QCOMPARE(readFile(path), before);
    QCOMPARE(QFileInfo(path).lastModified(), modified);

    // Removal: a stale remover conflicts through saveBatch, a plain remove() does not.
    QList<Error> errors = b->saveBatch({StorageWrite{key, std::nullopt, encode(3), true}});
    QCOMPARE(errors.size(), 1);
    QCOMPARE(errors.at(0).code(), ErrorCode::Conflict);
    QVERIFY(b->remove(key).isOk());
    QCOMPARE(a->load(key).errorCode(), ErrorCode::NotFound);
    QVERIFY(b->remove(key).isOk()); // removing a missing key succeeds
}

void tst_SettingsStorage::batch()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("app.ini"));
    auto storage = openIni(path);
    QVERIFY(storage->save(QStringLiteral("b"), encode(1), std::nullopt).isOk());
    QVERIFY(storage->save(QStringLiteral("d"), encode(1), std::nullopt).isOk());
    const QList<StorageWrite> writes{
        {QStringLiteral("a"), encode(QStringLiteral("new")), std::nullopt, true},
        {QStringLiteral("b"), encode(2), encode(7), true}, // stale: conflict
        {QStringLiteral("c/x"), encode(3.5), std::nullopt, false},
        {QStringLiteral("d"), std::nullopt, encode(1), true},
        {QString(), encode(1), std::nullopt, true},
    };
    const QList<Error> errors = storage->saveBatch(writes);
    QCOMPARE(errors.size(), writes.size());
    QCOMPARE(errors.at(0).code(), ErrorCode::NoError);
    QCOMPARE(errors.at(1).code(), ErrorCode::Conflict);
    QCOMPARE(errors.at(2).code(), ErrorCode::NoError);
    QCOMPARE(errors.at(3).code(), ErrorCode::NoError);
    QCOMPARE(errors.at(4).code(), ErrorCode::InvalidKey);
    const QByteArray text = readFile(path);
    QVERIFY2(text.contains("a=new\n") && text.contains("b=1\n") && text.contains("[c]\nx=3.5\n")
                 && !text.contains("d="),
             text.constData());
}

void tst_SettingsStorage::sharesFileWithQSettings_data()
{
    addSettingsRows();
}

void tst_SettingsStorage::sharesFileWithQSettings()
{
    QFETCH(QString, backend);
    TestBackends::Store store(backend);
    auto first = VarManager::open(store.name());
    auto second = VarManager::open(store.name());
    QVERIFY(first.isOk() && second.isOk());
    const QString path = asSettings(first.value()->storage())->fileName();

    // The application's own QSettings code, alive beside the managers.
    QSettings app(path, QSettings::IniFormat);
    app.setValue(QStringLiteral("app/a"), QStringLiteral("from the application"));
    app.sync();
    QVERIFY(first.value()->var<int>(QStringLiteral("b"), 0).value()->set(2).isOk());
    QVERIFY(second.value()->var<int>(QStringLiteral("c"), 0).value()->set(3).isOk());
    app.setValue(QStringLiteral("app/d"), 4);
    app.sync();
    QCOMPARE(app.status(), QSettings::NoError);
    QCOMPARE(app.value(QStringLiteral("b")).toInt(), 2);
    QVERIFY(first.value()->var<int>(QStringLiteral("b"), 0).value()->set(5).isOk());

    // Nobody's keys were clobbered, as another process sees it.
    const QString copy = store.directory() + QStringLiteral("/copy.ini");
    QVERIFY(QFile::copy(path, copy));
    QSettings fresh(copy, QSettings::IniFormat);
    QCOMPARE(fresh.value(QStringLiteral("app/a")).toString(),
             QStringLiteral("from the application"));
    QCOMPARE(fresh.value(QStringLiteral("b")).toString(), QStringLiteral("5"));
    QCOMPARE(fresh.value(QStringLiteral("c")).toString(), QStringLiteral("3"));
    QCOMPARE(fresh.value(QStringLiteral("app/d")).toString(), QStringLiteral("4"));
    // A value the application wrote is read by a variable with its type.
    auto third = VarManager::open(store.name());
    QVERIFY(third.isOk());
    QCOMPARE(third.value()->var<int>(QStringLiteral("app/d"), 0).value()->get(), 4);
}

void tst_SettingsStorage::borrowedSettings()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("app.ini"));
    QSettings settings(path, QSettings::IniFormat);
    settings.setValue(QStringLiteral("existing"), 7);
    {
        VarManager manager(std::make_unique<SettingsStorage>(&settings));
        QCOMPARE(manager.storage()->description(), QStringLiteral("ini:") + path);
        QVERIFY(!manager.storage()->isSafeFromAnyThread());
        QCOMPARE(manager.var<int>(QStringLiteral("existing"), 0).value()->get(), 7);
        QVERIFY(manager.var<int>(QStringLiteral("width"), 0).value()->set(800).isOk());
        QCOMPARE(settings.value(QStringLiteral("width")).toInt(), 800);

        // QSettings objects are not thread-safe: other threads are refused, clearly.
        Result<QByteArray> fromThread = QByteArray();
        QThread *thread =
            QThread::create([&] { fromThread = manager.storage()->load(QStringLiteral("width")); });
        thread->start();
        QVERIFY(thread->wait(10000));
        delete thread;
        QCOMPARE(fromThread.errorCode(), ErrorCode::StorageFailed);
        QVERIFY(fromThread.error().message().contains(QLatin1String("thread")));
    }
    QCOMPARE(settings.status(), QSettings::NoError);
    QVERIFY(readFile(path).contains("width=800\n"));
    QVERIFY(readFile(path).contains("existing=7\n"));

    SettingsStorage none(nullptr);
    QCOMPARE(none.load(QStringLiteral("x")).errorCode(), ErrorCode::InvalidArgument);
}

void tst_SettingsStorage::removeKeepsGroup()
{
    QTemporaryDir dir;
    auto storage = openIni(dir.filePath(QStringLiteral("app.ini")));
    QVERIFY(storage->save(QStringLiteral("window"), encode(1), std::nullopt).isOk());
    QVERIFY(storage->save(QStringLiteral("window/width"), encode(800), std::nullopt).isOk());
    QVERIFY(storage->save(QStringLiteral("window/pos/x"), encode(5), std::nullopt).isOk());
    QVERIFY(storage->remove(QStringLiteral("window")).isOk());
    QCOMPARE(storage->load(QStringLiteral("window")).errorCode(), ErrorCode::NotFound);
    const QStringList expected{QStringLiteral("window/pos/x"), QStringLiteral("window/width")};
    QCOMPARE(storage->keys().value(), expected);
}

void tst_SettingsStorage::invalidKeys()
{
    QTemporaryDir dir;
    auto storage = openIni(dir.filePath(QStringLiteral("app.ini")));
    for (const char *key : {"", "/a", "a/", "a//b", "general/x", "GENERAL/x"}) {
        const QString k = QString::fromLatin1(key);
        QCOMPARE(storage->save(k, encode(1), std::nullopt).errorCode(), ErrorCode::InvalidKey);
        QCOMPARE(storage->load(k).errorCode(), ErrorCode::InvalidKey);
    }
    // Names QSettings escapes are fine.
    for (const QString &k :
         {QStringLiteral("General/x"), QStringLiteral("general"), QStringLiteral("a b/c=d"),
          QStringLiteral("a\\b"), QString::fromUtf8("\xE4\xB8\xAD\xE6\x96\x87/\xF0\x9F\x98\x80"),
          QStringLiteral("[x];#")}) {
        QVERIFY2(storage->save(k, encode(k), std::nullopt).isOk(), qPrintable(k));
    }
    QVERIFY(QFile::copy(dir.filePath(QStringLiteral("app.ini")),
                        dir.filePath(QStringLiteral("copy.ini"))));
    auto fresh = openIni(dir.filePath(QStringLiteral("copy.ini")));
    const QStringList keys = fresh->keys().value();
    QCOMPARE(keys.size(), 6);
    for (const QString &k : keys) {
        QString value;
        QVERIFY(decode(fresh->load(k).value(), &value));
        QCOMPARE(value, k);
    }
}

void tst_SettingsStorage::garbageLines()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("app.ini"));
    const QByteArray content =
        "[General]\nvolume=0.5\nthis is garbage\nname=Ada\n\n[window]\nwidth=800\n";
    QVERIFY(writeFile(path, content));

    // Another QSettings object of this process parsed the file first: QSettings would report
    // the FormatError to it alone.
    QSettings earlier(path, QSettings::IniFormat);
    QCOMPARE(earlier.allKeys().size(), 3);

    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("line 3")));
    auto manager = openIniManager(path);
    QVERIFY(manager);
    QCOMPARE(manager->var<double>(QStringLiteral("volume"), 0).value()->get(), 0.5);
    QCOMPARE(manager->var<QString>(QStringLiteral("name")).value()->get(), QStringLiteral("Ada"));
    QCOMPARE(manager->var<int>(QStringLiteral("window/width"), 0).value()->get(), 800);

    auto *volume = manager->var<double>(QStringLiteral("volume"), 0).value();
    const Result<void> r = volume->set(0.75);
    QCOMPARE(r.errorCode(), ErrorCode::StorageFailed);
    QCOMPARE(r.error().key(), QStringLiteral("volume"));
    QVERIFY2(r.error().message().contains(path), qPrintable(r.error().message()));
    QVERIFY2(r.error().message().contains(QLatin1String("line 3: \"this is garbage\"")),
             qPrintable(r.error().message()));
    QCOMPARE(readFile(path), content); // nothing lost, nothing rewritten
    QVERIFY(!QFile::exists(path + QStringLiteral(".lock")));

    // Fixed by hand, the file takes writes again.
    QByteArray fixed = content;
    fixed.replace("this is garbage\n", "");
    QVERIFY(writeFile(path, fixed));
    QVERIFY(volume->sync().isOk());
    const QByteArray text = readFile(path);
    QVERIFY2(text.contains("volume=0.75\n") && text.contains("name=Ada\n")
                 && text.contains("[window]\nwidth=800\n"),
             text.constData());
}

void tst_SettingsStorage::heldLockReportsError()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("app.ini"));
    auto storage = openIni(path);
    QVERIFY(storage);
    QCOMPARE(storage->lockTimeout(), 10000ms);
    QVERIFY(storage->save(QStringLiteral("k"), encode(1), std::nullopt).isOk());
    storage->setLockTimeout(200ms);

    for (const QString &lockName :
         {storage->lockFileName(), storage->fileName() + QStringLiteral(".lock")}) {
        QLockFile holder(lockName);
        QVERIFY(holder.tryLock());
        QElapsedTimer timer;
        timer.start();
        const Result<void> r = storage->save(QStringLiteral("k"), encode(2), encode(1));
        QCOMPARE(r.errorCode(), ErrorCode::StorageFailed);
        QVERIFY2(r.error().message().contains(lockName), qPrintable(r.error().message()));
        QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
        holder.unlock();
    }
    int value = 0;
    QVERIFY(decode(storage->load(QStringLiteral("k")).value(), &value));
    QCOMPARE(value, 1);
    QVERIFY(storage->save(QStringLiteral("k"), encode(2), encode(1)).isOk());
}

void tst_SettingsStorage::staleLockRecovered()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("app.ini"));
    auto storage = openIni(path);
    QVERIFY(storage);
    // A process that crashes while holding both lock files (ours and QSettings' own).
    std::unique_ptr<QProcess> child(startChild(QStringLiteral("holdlock"), path));
    QVERIFY(child->waitForStarted());
    QByteArray output;
    QTRY_VERIFY_WITH_TIMEOUT((output += child->readAll()).contains(LockedMarker)
                                 || child->state() != QProcess::Running,
                             20000);
    QCOMPARE(child->state(), QProcess::Running);
    child->kill();
    QVERIFY(child->waitForFinished());
    QVERIFY(QFile::exists(storage->lockFileName()));
    QVERIFY(QFile::exists(path + QStringLiteral(".lock")));

    storage->setLockTimeout(8s);
    QElapsedTimer timer;
    timer.start();
    const Result<void> r = storage->save(QStringLiteral("k"), encode(1), std::nullopt);
    QVERIFY2(r.isOk(), qPrintable(r.error().toString()));
    QVERIFY2(timer.elapsed() < 4000, qPrintable(QString::number(timer.elapsed())));
    QVERIFY(!QFile::exists(storage->lockFileName()));
    QVERIFY(!QFile::exists(path + QStringLiteral(".lock")));
}

void tst_SettingsStorage::readOnly_data()
{
    QTest::addColumn<bool>("readOnlyFolder");
    QTest::newRow("read-only file") << false;
    QTest::newRow("read-only folder") << true;
}

void tst_SettingsStorage::readOnly()
{
    QFETCH(bool, readOnlyFolder);
    QTemporaryDir dir;
    const QString folder = dir.filePath(QStringLiteral("store"));
    QVERIFY(QDir().mkpath(folder));
    const QString path = folder + QStringLiteral("/app.ini");
    QVERIFY(writeFile(path, "[General]\nvolume=0.5\n"));
    const QByteArray before = readFile(path);
    const QFileDevice::Permissions all = QFileDevice::ReadOwner | QFileDevice::WriteOwner
        | QFileDevice::ExeOwner | QFileDevice::ReadGroup | QFileDevice::WriteGroup
        | QFileDevice::ExeGroup | QFileDevice::ReadOther | QFileDevice::WriteOther
        | QFileDevice::ExeOther;
    const QFileDevice::Permissions readOnly = QFileDevice::ReadOwner | QFileDevice::ExeOwner
        | QFileDevice::ReadGroup | QFileDevice::ExeGroup | QFileDevice::ReadOther
        | QFileDevice::ExeOther;
    const auto restore = qScopeGuard([&] {
        QFile::setPermissions(folder, all);
        QFile::setPermissions(path, all);
    });
    QVERIFY(QFile::setPermissions(folder, readOnlyFolder ? readOnly : all));
    QVERIFY(QFile::setPermissions(path, readOnlyFolder ? all : readOnly));

    if (isRoot()) {
        // Root ignores file permissions: the write runs as the unprivileged user nobody.
        const QString runuser = QStandardPaths::findExecutable(QStringLiteral("runuser"));
        if (runuser.isEmpty())
            QSKIP("root ignores file permissions and runuser is missing to write as nobody");
        QVERIFY(QFile::setPermissions(dir.path(),
                                      all & ~(QFileDevice::WriteGroup | QFileDevice::WriteOther)));
        QProcess child;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QLatin1String(ChildModeVariable), QStringLiteral("write"));
        env.insert(QLatin1String(ChildPathVariable), path);
        child.setProcessEnvironment(env);
        child.setProcessChannelMode(QProcess::MergedChannels);
        child.start(runuser,
                    {QStringLiteral("-u"), QStringLiteral("nobody"), QStringLiteral("--"),
                     QCoreApplication::applicationFilePath(),
                     QStringLiteral("childProcessHelper")});
        QVERIFY(child.waitForFinished(60000));
        const QByteArray output = child.readAll();
        if (output.contains("Permission denied") && !output.contains("childProcessHelper"))
            QSKIP("root ignores file permissions and user nobody cannot run this test program");
        QVERIFY2(child.exitStatus() == QProcess::NormalExit && child.exitCode() == 0,
                 output.constData());
    } else {
        auto manager = openIniManager(path);
        QVERIFY(manager);
        auto *volume = manager->var<double>(QStringLiteral("volume"), 0).value();
        QCOMPARE(volume->get(), 0.5);
        const Result<void> r = volume->set(0.9);
        QCOMPARE(r.errorCode(), ErrorCode::StorageFailed);
        QVERIFY2(r.error().message().contains(readOnlyFolder ? folder : path),
                 qPrintable(r.error().message()));
        QCOMPARE(volume->get(), 0.9); // kept in memory, dirty, for a later retry
        QVERIFY(volume->isDirty());
    }
    QCOMPARE(readFile(path), before);
}

void tst_SettingsStorage::openErrors()
{
    QTemporaryDir dir;
    QCOMPARE(SettingsStorage::openIni(QString()).errorCode(), ErrorCode::InvalidArgument);
    const auto folder = SettingsStorage::openIni(dir.path());
    QCOMPARE(folder.errorCode(), ErrorCode::StorageFailed);
    QVERIFY(folder.error().message().contains(dir.path()));
    const QString file = dir.filePath(QStringLiteral("plain-file"));
    QVERIFY(writeFile(file, "x"));
    const auto underFile = SettingsStorage::openIni(file + QStringLiteral("/sub/app.ini"));
    QCOMPARE(underFile.errorCode(), ErrorCode::StorageFailed);
    QVERIFY2(underFile.error().message().contains(file), qPrintable(underFile.error().message()));
    QCOMPARE(SettingsStorage::openNative(QString(), QString()).errorCode(),
             ErrorCode::InvalidArgument);
    QCOMPARE(openStorage(QStringLiteral("ini:")).errorCode(), ErrorCode::InvalidArgument);
}

void tst_SettingsStorage::createdPrivate()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("new/deeper/app.ini"));
    auto storage = openIni(path);
    QVERIFY(storage);
    const QFileDevice::Permissions ownerOnlyFolder = QFileDevice::ReadOwner
        | QFileDevice::WriteOwner | QFileDevice::ExeOwner | QFileDevice::ReadUser
        | QFileDevice::WriteUser | QFileDevice::ExeUser;
    const QFileDevice::Permissions ownerOnlyFile = QFileDevice::ReadOwner | QFileDevice::WriteOwner
        | QFileDevice::ReadUser | QFileDevice::WriteUser;
    QCOMPARE(QFileInfo(dir.filePath(QStringLiteral("new"))).permissions(), ownerOnlyFolder);
    QCOMPARE(QFileInfo(dir.filePath(QStringLiteral("new/deeper"))).permissions(), ownerOnlyFolder);
    QCOMPARE(QFileInfo(path).permissions(), ownerOnlyFile);
    QVERIFY(storage->save(QStringLiteral("k"), encode(1), std::nullopt).isOk());
    QCOMPARE(QFileInfo(path).permissions(), ownerOnlyFile); // kept when QSettings rewrites it
}

void tst_SettingsStorage::closeThenClosed()
{
    QTemporaryDir dir;
    auto storage = openIni(dir.filePath(QStringLiteral("app.ini")));
    QVERIFY(storage->save(QStringLiteral("k"), encode(1), std::nullopt).isOk());
    QVERIFY(storage->close().isOk());
    QVERIFY(storage->close().isOk());
    QCOMPARE(storage->load(QStringLiteral("k")).errorCode(), ErrorCode::Closed);
    QCOMPARE(storage->save(QStringLiteral("k"), encode(2), encode(1)).errorCode(),
             ErrorCode::Closed);
    QCOMPARE(storage->remove(QStringLiteral("k")).errorCode(), ErrorCode::Closed);
    QCOMPARE(storage->keys().errorCode(), ErrorCode::Closed);
    QCOMPARE(storage->loadAll().errorCode(), ErrorCode::Closed);
    const QList<Error> errors =
        storage->saveBatch({StorageWrite{QStringLiteral("k"), encode(2), std::nullopt, false}});
    QCOMPARE(errors.size(), 1);
    QCOMPARE(errors.at(0).code(), ErrorCode::Closed);
    QCOMPARE(errors.at(0).key(), QStringLiteral("k"));
}

void tst_SettingsStorage::multiProcessUpdates()
{
    // Compare-and-swap across processes: no increment is lost. Writes of the same length often
    // land within one file-time tick, which QSettings alone would not notice.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("app.ini"));
    QVERIFY(openIni(path));
    constexpr int Processes = 3;
    constexpr int Increments = 80;
    std::vector<std::unique_ptr<QProcess>> children;
    for (int i = 0; i < Processes; ++i) {
        children.emplace_back(startChild(QStringLiteral("increment"), path, Increments));
        QVERIFY(children.back()->waitForStarted());
    }
    for (auto &child : children) {
        QVERIFY(child->waitForFinished(240000));
        QVERIFY2(child->exitStatus() == QProcess::NormalExit && child->exitCode() == 0,
                 child->readAll().constData());
    }
    const QString copy = dir.filePath(QStringLiteral("copy.ini"));
    QVERIFY(QFile::copy(path, copy));
    auto manager = openIniManager(copy);
    QCOMPARE(manager->var<int>(QStringLiteral("counter"), 0).value()->get(),
             Processes * Increments);
}

void tst_SettingsStorage::writesMoveModificationTimeOn()
{
    // QSettings tells another process's write by file size and modification time (ms), and file
    // systems stamp writes within one clock tick alike. Each write must leave a later time than
    // the one it read, or a write of the same length in the same tick goes unseen by other
    // processes' caches. A time in the future stands in for "the same tick".
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("app.ini"));
    auto storage = openIni(path);
    QVERIFY(storage->save(QStringLiteral("count"), encode(1), std::nullopt).isOk());
    const QDateTime future = QDateTime::currentDateTimeUtc().addSecs(60);
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(file.setFileTime(future, QFileDevice::FileModificationTime));
    }
    QVERIFY(storage->save(QStringLiteral("count"), encode(2), encode(1)).isOk());
    // Later than the time it read (a write may move it on more than once).
    const QDateTime written = QFileInfo(path).lastModified().toUTC();
    QVERIFY2(written > future && written < future.addSecs(1),
             qPrintable(written.toString(Qt::ISODateWithMs)));
    QVERIFY(readFile(path).contains("count=2\n"));
}

void tst_SettingsStorage::sameLengthRewriteInOneTick()
{
    // Another program rewrites the file with the same length within one tick of the file
    // system's clock: size and time stay the same, and QSettings alone would not notice.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("app.ini"));
    QVERIFY(writeFile(path, "[General]\nwidth=800\n"));
    auto storage = openIni(path);
    int width = 0;
    QVERIFY(decode(storage->load(QStringLiteral("width")).value(), &width));
    QCOMPARE(width, 800);
    const QDateTime stamp = QFileInfo(path).lastModified();
    QVERIFY(writeFile(path, "[General]\nwidth=900\n"));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(file.setFileTime(stamp, QFileDevice::FileModificationTime));
    }
    QVERIFY(decode(storage->load(QStringLiteral("width")).value(), &width));
    QCOMPARE(width, 900);
    QCOMPARE(storage->save(QStringLiteral("width"), encode(1), encode(800)).errorCode(),
             ErrorCode::Conflict);
    QVERIFY(storage->save(QStringLiteral("width"), encode(1), encode(900)).isOk());
}

void tst_SettingsStorage::watching()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("app.ini"));
    QVERIFY(writeFile(path, "[General]\nwidth=800\nheight=600\n"));
    auto storage = openIni(path);
    QObject context;
    QStringList reported;
    QVERIFY(storage->startWatching(&context, [&](const QStringList &keys) { reported += keys; })
                .isOk());

    // An editor writing in place.
    QVERIFY(writeFile(path, "[General]\nwidth=900\nheight=600\n"));
    QTRY_VERIFY(reported.contains(QStringLiteral("width")));
    QVERIFY(!reported.contains(QStringLiteral("height")));

    // A program replacing the file, as QSettings does; a removed key is a change too.
    reported.clear();
    QSaveFile replacement(path);
    QVERIFY(replacement.open(QIODevice::WriteOnly));
    replacement.write("[General]\nwidth=900\nwindow=1\n");
    QVERIFY(replacement.commit());
    QTRY_COMPARE(reported, QStringList({QStringLiteral("height"), QStringLiteral("window")}));

    // Later replacements are still seen.
    reported.clear();
    QVERIFY(storage->save(QStringLiteral("width"), encode(1000), encode(900)).isOk());
    QTRY_COMPARE(reported, QStringList{QStringLiteral("width")});

    storage->stopWatching();
    reported.clear();
    QVERIFY(writeFile(path, "[General]\nwidth=5\n"));
    QTest::qWait(300);
    QVERIFY(reported.isEmpty());
    QVERIFY(storage->isSafeFromAnyThread());
}

void tst_SettingsStorage::childProcessHelper()
{
    const QString mode = qEnvironmentVariable(ChildModeVariable);
    const QString path = qEnvironmentVariable(ChildPathVariable);
    if (mode.isEmpty())
        return; // run by a test above, in a child process
    if (mode == QLatin1String("holdlock")) {
        QLockFile ours(QFileInfo(path).canonicalFilePath() + QStringLiteral(".pvlock"));
        QLockFile qsettings(QFileInfo(path).absoluteFilePath() + QStringLiteral(".lock"));
        QVERIFY(ours.lock() && qsettings.lock());
        printf("%s\n", LockedMarker);
        fflush(stdout);
        QThread::sleep(120); // until killed
    } else if (mode == QLatin1String("increment")) {
        auto manager = openIniManager(path);
        QVERIFY(manager);
        auto *counter = manager->var<int>(QStringLiteral("counter"), 0).value();
        QVERIFY(counter);
        const int count = qEnvironmentVariableIntValue(ChildCountVariable);
        for (int i = 0; i < count; ++i) {
            const Result<void> r = counter->update([](int n) { return std::pair(n + 1, true); });
            QVERIFY2(r.isOk(), qPrintable(r.error().toString()));
        }
    } else if (mode == QLatin1String("write")) {
        auto manager = openIniManager(path);
        QVERIFY(manager);
        auto *volume = manager->var<double>(QStringLiteral("volume"), 0).value();
        QCOMPARE(volume->get(), 0.5);
        const Result<void> r = volume->set(0.9);
        QCOMPARE(r.errorCode(), ErrorCode::StorageFailed);
        QVERIFY2(r.error().message().contains(QFileInfo(path).absolutePath()),
                 qPrintable(r.error().message()));
        printf("%s\n", qPrintable(r.error().toString()));
    } else {
        QFAIL(qPrintable(QStringLiteral("unknown child mode ") + mode));
    }
}

QTEST_GUILESS_MAIN(tst_SettingsStorage)
#include "tst_settingsstorage.moc"
