// SPDX-License-Identifier: MIT
// The persistvar command-line tool, run as a real process: set/get/list/rm on every persistent
// backend, the typed JSON mapping in both directions, export -> import into another backend with
// identical bytes for every type family, migrating a hand-written QSettings INI file into SQLite,
// watch, help, and the errors with their exit status.
#include "testbackends.h"

#include <persistvar/codec.h>
#include <persistvar/varmanager.h>
#include <persistvar/version.h>

#include <QtCore/QFile>
#include <QtCore/QProcess>
#include <QtCore/QSettings>
#include <QtCore/QTemporaryDir>
#include <QtCore/QTimeZone>
#include <QtTest/QTest>

#include <csignal>
#include <limits>
#include <optional>
#include <vector>

namespace {

struct Ui
{
    Q_GADGET
public:
    enum class Theme { Light, Dark };
    Q_ENUM(Theme)
};

struct Margins
{
    Q_GADGET
    Q_PROPERTY(int left MEMBER left)
    Q_PROPERTY(QString name MEMBER name)
public:
    int left = 0;
    QString name;
};

struct Run
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

// Runs the tool built from src/cli with \a arguments and \a input on standard input.
Run persistvar(const QStringList &arguments, const QByteArray &input = {})
{
    QProcess process;
    process.start(QStringLiteral(PERSISTVAR_CLI_PATH), arguments);
    Run run;
    if (!process.waitForStarted()) {
        run.err = process.errorString().toUtf8();
        return run;
    }
    process.write(input);
    process.closeWriteChannel();
    if (!process.waitForFinished(60000) || process.exitStatus() != QProcess::NormalExit) {
        run.err = "did not finish normally: " + process.readAllStandardError();
        return run;
    }
    run.exitCode = process.exitCode();
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

QByteArray withFormat(const QByteArray &cbor)
{
    return char(PersistVar::CodecFormatVersion) + cbor;
}

// One value of every type family of the codec, as stored bytes, plus bytes no encoder makes.
QList<std::pair<QString, QByteArray>> typeFamilies()
{
    using namespace PersistVar;
    constexpr double inf = std::numeric_limits<double>::infinity();
    const QDateTime when = QDateTime(QDate(2024, 2, 29), QTime(13, 14, 15, 678), Qt::UTC);
    return {
        {QStringLiteral("bool/true"), encode(true)},
        {QStringLiteral("bool/false"), encode(false)},
        {QStringLiteral("int/zero"), encode(0)},
        {QStringLiteral("int/min"), encode(std::numeric_limits<int>::min())},
        {QStringLiteral("int8/min"), encode(qint8(-128))},
        {QStringLiteral("uint16/max"), encode(quint16(65535))},
        {QStringLiteral("int64/min"), encode(std::numeric_limits<qint64>::min())},
        {QStringLiteral("int64/max"), encode(std::numeric_limits<qint64>::max())},
        {QStringLiteral("int64/2^53"), encode(Q_INT64_C(9007199254740992))},
        {QStringLiteral("int64/2^53+1"), encode(Q_INT64_C(9007199254740993))},
        {QStringLiteral("int64/-2^53-1"), encode(Q_INT64_C(-9007199254740993))},
        {QStringLiteral("uint64/max"), encode(std::numeric_limits<quint64>::max())},
        {QStringLiteral("uint64/int64max+1"),
         encode(quint64(std::numeric_limits<qint64>::max()) + 1)},
        {QStringLiteral("double/half"), encode(0.5)},
        {QStringLiteral("double/one"), encode(1.0)},
        {QStringLiteral("double/tenth"), encode(0.1)},
        {QStringLiteral("double/negzero"), encode(-0.0)},
        {QStringLiteral("double/nan"), encode(std::numeric_limits<double>::quiet_NaN())},
        {QStringLiteral("double/inf"), encode(inf)},
        {QStringLiteral("double/-inf"), encode(-inf)},
        {QStringLiteral("double/denormal"), encode(std::numeric_limits<double>::denorm_min())},
        {QStringLiteral("double/max"), encode(std::numeric_limits<double>::max())},
        {QStringLiteral("double/1e300"), encode(1e300)},
        {QStringLiteral("double/2^60"), encode(1152921504606846976.0)},
        {QStringLiteral("float/tenth"), encode(0.1f)},
        {QStringLiteral("string/empty"), encode(QString())},
        {QStringLiteral("string/unicode"), encode(QStringLiteral("h\u00e9llo \u2603 \U0001F600"))},
        {QStringLiteral("string/control"), encode(QStringLiteral("tab\tnl\nnul\u0000\u001f\"\\"))},
        {QStringLiteral("string/bom"), encode(QStringLiteral("\ufeffleading mark"))},
        {QStringLiteral("string/json-like"), encode(QStringLiteral("{\"$type\":\"int\"}"))},
        {QStringLiteral("bytes/binary"), encode(QByteArray("\x00\x01\xfe\xff", 4))},
        {QStringLiteral("bytes/empty"), encode(QByteArray())},
        {QStringLiteral("stringlist"),
         encode(QStringList{QStringLiteral("a"), QStringLiteral("b")})},
        {QStringLiteral("variantlist"),
         encode(QVariantList{1, 2.5, QStringLiteral("x"), QVariantList{true, QVariant()}})},
        {QStringLiteral("variantmap"),
         encode(QVariantMap{{QStringLiteral("b"), 1},
                            {QStringLiteral("a"), QVariantList{1.0}},
                            {QStringLiteral("\u00e9"), QRect(1, 2, 3, 4)}})},
        {QStringLiteral("variantmap/dollar-type"),
         encode(QVariantMap{{QStringLiteral("$type"), QStringLiteral("int")},
                            {QStringLiteral("value"), 1}})},
        {QStringLiteral("varianthash"),
         encode(QVariantHash{{QStringLiteral("z"), 1}, {QStringLiteral("A"), 2}})},
        {QStringLiteral("datetime/utc"), encode(when)},
        {QStringLiteral("datetime/local"), encode(when.toLocalTime())},
        {QStringLiteral("datetime/offset"), encode(when.toOffsetFromUtc(-5 * 3600 - 1800))},
        {QStringLiteral("datetime/zone"),
         encode(when.toTimeZone(QTimeZone(QByteArrayLiteral("Europe/Berlin"))))},
        {QStringLiteral("datetime/invalid"), encode(QDateTime())},
        {QStringLiteral("date"), encode(QDate(1969, 7, 20))},
        {QStringLiteral("time"), encode(QTime(23, 59, 59, 999))},
        {QStringLiteral("url"), encode(QUrl(QStringLiteral("https://example.org/a b?q=\u00e9#f")))},
        {QStringLiteral("uuid"),
         encode(QUuid(QStringLiteral("{67c8770b-44f1-410a-ab9a-f9b5446f13ee}")))},
        {QStringLiteral("point"), encode(QPoint(-1, 2))},
        {QStringLiteral("pointf"), encode(QPointF(0.5, -0.0))},
        {QStringLiteral("size"), encode(QSize(640, 480))},
        {QStringLiteral("sizef"), encode(QSizeF(1.5, 2.0))},
        {QStringLiteral("rect"), encode(QRect(10, 20, 640, 480))},
        {QStringLiteral("rectf"), encode(QRectF(0.25, 0.5, 1e10, 3.0))},
        {QStringLiteral("enum/qenum"), encode(Ui::Theme::Dark)},
        {QStringLiteral("list/int"), encode(QList<int>{1, -2, 3})},
        {QStringLiteral("vector/double"), encode(std::vector<double>{1.0, 0.25})},
        {QStringLiteral("map/int"), encode(QMap<QString, int>{{QStringLiteral("x"), 1}})},
        {QStringLiteral("hash/string"),
         encode(QHash<QString, QString>{{QStringLiteral("k"), QStringLiteral("v")}})},
        {QStringLiteral("optional/none"), encode(std::optional<int>())},
        {QStringLiteral("optional/some"), encode(std::optional<int>(7))},
        {QStringLiteral("optional/some-none"),
         encode(std::optional<std::optional<int>>(std::optional<int>()))},
        {QStringLiteral("variant/invalid"), encode(QVariant())},
        {QStringLiteral("variant/streamed"), encode(QVariant(QLocale(QLocale::German)))},
        {QStringLiteral("gadget"), encode(Margins{3, QStringLiteral("m")})},
        // Bytes no PersistVar encoder writes, which must survive all the same.
        {QStringLiteral("cbor/int-keys"), withFormat(QCborValue(QCborMap{{1, 2}}).toCbor())},
        {QStringLiteral("cbor/custom-tag"),
         withFormat(QCborValue(QCborTag(1234), QStringLiteral("x")).toCbor())},
        {QStringLiteral("cbor/simple"), withFormat(QCborValue(QCborSimpleType(99)).toCbor())},
        {QStringLiteral("raw/non-shortest"), withFormat(QByteArray("\x18\x05", 2))},
        {QStringLiteral("raw/garbage"), QByteArray("\x07not cbor at all", 16)},
        {QStringLiteral("raw/trailing"), encode(1) + QByteArray("\x01", 1)},
    };
}

} // namespace

class TestCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { TestBackends::initHermetic(); }

    void help()
    {
        const Run run = persistvar({QStringLiteral("--help")});
        QCOMPARE(run.exitCode, 0);
        for (const char *command : {"list", "get KEY", "set KEY VALUE", "rm KEY", "export [FILE]",
                                    "import [FILE]", "copy TO_STORE", "watch", "help [COMMAND]"})
            QVERIFY2(run.out.contains(command), command);
        QVERIFY(run.out.contains("sqlite:"));

        const Run setHelp = persistvar({QStringLiteral("help"), QStringLiteral("set")});
        QCOMPARE(setHelp.exitCode, 0);
        QVERIFY2(setHelp.out.startsWith("Usage: persistvar STORE set [options] KEY VALUE\n"),
                 setHelp.out.constData());
        QVERIFY(setHelp.out.contains("--string"));
        const Run afterStore = persistvar(
            {QStringLiteral("memory:"), QStringLiteral("set"), QStringLiteral("--help")});
        QCOMPARE(afterStore.exitCode, 0);
        QCOMPARE(afterStore.out, setHelp.out);

        for (const char *command : {"list", "get", "rm", "export", "import", "copy", "watch"}) {
            const Run commandHelp = persistvar({QStringLiteral("help"), QLatin1String(command)});
            QCOMPARE(commandHelp.exitCode, 0);
            QVERIFY2(commandHelp.out.startsWith("Usage: persistvar STORE " + QByteArray(command)),
                     commandHelp.out.constData());
        }

        const Run version = persistvar({QStringLiteral("--version")});
        QCOMPARE(version.exitCode, 0);
        QVERIFY(version.out.contains(PERSISTVAR_VERSION_STRING));
    }

    void setGetListRemove_data()
    {
        QTest::addColumn<QString>("backend");
        for (const char *backend : {"file", "ini", "sqlite", "postgresql"})
            QTest::newRow(backend) << QString::fromLatin1(backend);
    }

    void setGetListRemove()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        const QString name = store.name();
        const auto set = [&](const char *key, const QString &value) {
            return persistvar({name, QStringLiteral("set"), QLatin1String(key), value}).exitCode;
        };
        QCOMPARE(set("count", QStringLiteral("42")), 0);
        QCOMPARE(set("volume", QStringLiteral("0.5")), 0);
        QCOMPARE(set("title", QStringLiteral("plain words")), 0);
        QCOMPARE(set("quoted", QStringLiteral("\"42\"")), 0);
        QCOMPARE(set("window/tabs", QStringLiteral("[\"a\",\"b\"]")), 0);
        QCOMPARE(
            set("window/geometry", QStringLiteral("{\"$type\":\"QRect\",\"value\":[1,2,3,4]}")), 0);
        QCOMPARE(set("offset", QStringLiteral("-5")), 0); // a negative number, not an option
        QCOMPARE(persistvar({name, QStringLiteral("set"), QStringLiteral("--string"),
                             QStringLiteral("text"), QStringLiteral("[not json")})
                     .exitCode,
                 0);

        // An INI file holds text: what was written as 42 reads back as the text "42" (which a
        // Var<int> reads as 42, below). The other backends keep the exact encoded value.
        const bool text = backend == QLatin1String("ini");
        const auto number = [text](const char *n) {
            return text ? '"' + QByteArray(n) + '"' : QByteArray(n);
        };
        Run run = persistvar({name, QStringLiteral("get"), QStringLiteral("count")});
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(run.out, number("42") + '\n');
        run = persistvar({name, QStringLiteral("get"), QStringLiteral("title")});
        QCOMPARE(run.out, QByteArray("\"plain words\"\n"));
        run = persistvar(
            {name, QStringLiteral("get"), QStringLiteral("--raw-output"), QStringLiteral("title")});
        QCOMPARE(run.out, QByteArray("plain words\n"));

        run = persistvar({name, QStringLiteral("list")});
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(run.err, QByteArray());
        QCOMPARE(run.out,
                 "count\t" + number("42") + "\noffset\t" + number("-5")
                     + "\nquoted\t\"42\"\n"
                       "text\t\"[not json\"\n"
                       "title\t\"plain words\"\n"
                       "volume\t"
                     + number("0.5")
                     + "\nwindow/geometry\t{\"$type\":\"QRect\",\"value\":[1,2,3,4]}\n"
                       "window/tabs\t[\"a\",\"b\"]\n");

        // What the tool wrote is what an application reads, with its types.
        {
            auto manager = store.openManager();
            QVERIFY(manager);
            QCOMPARE(manager->var<int>(QStringLiteral("count"), 0).value()->get(), 42);
            QCOMPARE(manager->var<int>(QStringLiteral("offset"), 0).value()->get(), -5);
            QCOMPARE(manager->var<double>(QStringLiteral("volume"), 0).value()->get(), 0.5);
            QCOMPARE(manager->var<QString>(QStringLiteral("quoted")).value()->get(),
                     QStringLiteral("42"));
            QCOMPARE(manager->var<QRect>(QStringLiteral("window/geometry")).value()->get(),
                     QRect(1, 2, 3, 4));
            QCOMPARE(manager->var<QStringList>(QStringLiteral("window/tabs")).value()->get(),
                     QStringList({QStringLiteral("a"), QStringLiteral("b")}));
        }

        run = persistvar({name, QStringLiteral("rm"), QStringLiteral("title")});
        QCOMPARE(run.exitCode, 0);
        run = persistvar({name, QStringLiteral("get"), QStringLiteral("title")});
        QCOMPARE(run.exitCode, 1);
        QCOMPARE(run.out, QByteArray());
        QVERIFY2(run.err.contains("no value stored under \"title\""), run.err.constData());
        run = persistvar({name, QStringLiteral("rm"), QStringLiteral("title")});
        QCOMPARE(run.exitCode, 1);
        QVERIFY(!persistvar({name, QStringLiteral("list")}).out.contains("title"));
    }

    // The mapping in both directions: set JSON -> exactly these bytes, and get prints the JSON.
    void typedJson_data()
    {
        using namespace PersistVar;
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("int") << QByteArray("42") << encode(42);
        QTest::newRow("negative") << QByteArray("-7") << encode(-7);
        QTest::newRow("2^53") << QByteArray("9007199254740992")
                              << encode(Q_INT64_C(9007199254740992));
        QTest::newRow("int beyond 2^53")
            << QByteArray(R"({"$type":"int","value":"-9223372036854775808"})")
            << encode(std::numeric_limits<qint64>::min());
        QTest::newRow("uint beyond int64")
            << QByteArray(R"({"$type":"uint","value":"18446744073709551615"})")
            << encode(std::numeric_limits<quint64>::max());
        QTest::newRow("double") << QByteArray("0.5") << encode(0.5);
        QTest::newRow("integral double") << QByteArray("1.0") << encode(1.0);
        QTest::newRow("large double") << QByteArray("1e+300") << encode(1e300);
        QTest::newRow("-0.0") << QByteArray(R"({"$type":"double","value":"-0"})") << encode(-0.0);
        QTest::newRow("nan") << QByteArray(R"({"$type":"double","value":"nan"})")
                             << encode(std::numeric_limits<double>::quiet_NaN());
        QTest::newRow("-inf") << QByteArray(R"({"$type":"double","value":"-inf"})")
                              << encode(-std::numeric_limits<double>::infinity());
        QTest::newRow("bool") << QByteArray("true") << encode(true);
        // No raw string here: moc misreads \" inside one and skips the class.
        QTest::newRow("string") << QByteArray("\"a \\\"b\\\"\\n\\u0001\"")
                                << encode(QStringLiteral("a \"b\"\n\u0001"));
        QTest::newRow("null") << QByteArray("null") << encode(std::optional<int>());
        QTest::newRow("bytes") << QByteArray(R"({"$type":"bytes","base64":"AAH/"})")
                               << encode(QByteArray("\x00\x01\xff", 3));
        QTest::newRow("list") << QByteArray(R"(["a","b"])")
                              << encode(QStringList{QStringLiteral("a"), QStringLiteral("b")});
        QTest::newRow("map") << QByteArray(R"({"a":[1,true],"b":{"c":null}})")
                             << encode(QVariantMap{{QStringLiteral("b"),
                                                    QVariantMap{{QStringLiteral("c"),
                                                                 QVariant::fromValue(nullptr)}}},
                                                   {QStringLiteral("a"), QVariantList{1, true}}});
        QTest::newRow("map with $type")
            << QByteArray(R"({"$type":"map","entries":[["$type","x"]]})")
            << encode(QVariantMap{{QStringLiteral("$type"), QStringLiteral("x")}});
        QTest::newRow("QRect") << QByteArray(R"({"$type":"QRect","value":[0,0,640,480]})")
                               << encode(QRect(0, 0, 640, 480));
        QTest::newRow("QDateTime")
            << QByteArray(R"({"$type":"QDateTime","value":[1700000000000,1]})")
            << encode(QDateTime::fromMSecsSinceEpoch(Q_INT64_C(1700000000000), Qt::UTC));
        QTest::newRow("QUuid") << QByteArray(
            R"({"$type":"QUuid","value":[{"$type":"bytes","base64":"Z8h3C0TxQQqrmvm1RG8T7g=="}]})")
                               << encode(QUuid(
                                      QStringLiteral("{67c8770b-44f1-410a-ab9a-f9b5446f13ee}")));
        QTest::newRow("undefined") << QByteArray(R"({"$type":"undefined"})") << encode(QVariant());
        QTest::newRow("raw") << QByteArray(R"({"$type":"raw","base64":"B3p6"})")
                             << QByteArray("\x07zz");
    }

    void typedJson()
    {
        QFETCH(QByteArray, json);
        QFETCH(QByteArray, bytes);
        TestBackends::Store store(QStringLiteral("sqlite"));
        Run run = persistvar(
            {store.name(), QStringLiteral("set"), QStringLiteral("k"), QString::fromUtf8(json)});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        {
            auto storage = store.openStorage();
            QCOMPARE(storage->load(QStringLiteral("k")).value().toHex(), bytes.toHex());
        }
        run = persistvar({store.name(), QStringLiteral("get"), QStringLiteral("k")});
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(run.out, json + '\n');
    }

    void exportImportRoundTrip_data()
    {
        QTest::addColumn<QString>("from");
        QTest::addColumn<QString>("to");
        // INI files are left out: they hold plain values as text by design (see SettingsStorage),
        // so true comes back as the text "true", which only a typed Var turns into true again.
        QTest::newRow("sqlite to file") << QStringLiteral("sqlite") << QStringLiteral("file");
        QTest::newRow("file to sqlite") << QStringLiteral("file") << QStringLiteral("sqlite");
        QTest::newRow("sqlite to postgresql")
            << QStringLiteral("sqlite") << QStringLiteral("postgresql");
        QTest::newRow("postgresql to file")
            << QStringLiteral("postgresql") << QStringLiteral("file");
    }

    // Bytes in store A -> export -> import into store B -> the very same bytes, for every type.
    void exportImportRoundTrip()
    {
        QFETCH(QString, from);
        QFETCH(QString, to);
        TestBackends::Store source(from);
        TestBackends::Store target(to);
        PERSISTVAR_REQUIRE_STORE(source);
        PERSISTVAR_REQUIRE_STORE(target);
        const auto values = typeFamilies();
        {
            auto storage = source.openStorage();
            QVERIFY(storage);
            QList<PersistVar::StorageWrite> writes;
            for (const auto &[key, bytes] : values)
                writes.append({key, bytes, std::nullopt, false});
            for (const PersistVar::Error &error : storage->saveBatch(writes))
                QVERIFY2(!error.isError(), qPrintable(error.toString()));
            QVERIFY(storage->close().isOk());
        }
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("export.json"));
        Run run = persistvar({source.name(), QStringLiteral("export"), file});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(run.out, QByteArray());

        run = persistvar({target.name(), QStringLiteral("import"), file});
        QVERIFY2(run.exitCode == 0, run.err.constData());

        auto storage = target.openStorage();
        QVERIFY(storage);
        for (const auto &[key, bytes] : values) {
            const PersistVar::Result<QByteArray> loaded = storage->load(key);
            QVERIFY2(loaded.isOk(), qPrintable(loaded.error().toString()));
            QVERIFY2(loaded.value() == bytes,
                     qPrintable(key + QStringLiteral(": ") + QString::fromLatin1(bytes.toHex())
                                + QStringLiteral(" became ")
                                + QString::fromLatin1(loaded.value().toHex())));
        }

        // The export of the copy is the same document: nothing was lost or reinterpreted.
        QFile exported(file);
        QVERIFY(exported.open(QIODevice::ReadOnly));
        QCOMPARE(persistvar({target.name(), QStringLiteral("export")}).out, exported.readAll());
    }

    void exportFormat()
    {
        TestBackends::Store store(QStringLiteral("sqlite"));
        QCOMPARE(persistvar({store.name(), QStringLiteral("export")}).out,
                 QByteArray("{\n  \"format\": \"persistvar-export\",\n  \"version\": 1,\n"
                            "  \"values\": {}\n}\n"));
        persistvar({store.name(), QStringLiteral("set"), QStringLiteral("b"), QStringLiteral("1")});
        persistvar({store.name(), QStringLiteral("set"), QStringLiteral("a"), QStringLiteral("x")});
        const Run run = persistvar({store.name(), QStringLiteral("export"), QStringLiteral("-")});
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(run.out,
                 QByteArray("{\n  \"format\": \"persistvar-export\",\n  \"version\": 1,\n"
                            "  \"values\": {\n    \"a\": \"x\",\n    \"b\": 1\n  }\n}\n"));
    }

    void importFromStandardInput()
    {
        TestBackends::Store store(QStringLiteral("file"));
        persistvar(
            {store.name(), QStringLiteral("set"), QStringLiteral("kept"), QStringLiteral("1")});
        persistvar({store.name(), QStringLiteral("set"), QStringLiteral("b"), QStringLiteral("1")});
        const QByteArray document = R"({"values": {"b": 2, "a": [1.5]}, "version": 1,
                                        "format": "persistvar-export"})";
        Run run = persistvar({store.name(), QStringLiteral("import")}, document);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        run = persistvar({store.name(), QStringLiteral("list")});
        QCOMPARE(run.out, QByteArray("a\t[1.5]\nb\t2\nkept\t1\n"));
    }

    // A bad value anywhere in an export: nothing at all is written.
    void importIsAllOrNothing()
    {
        TestBackends::Store store(QStringLiteral("sqlite"));
        const QByteArray document = R"({"format": "persistvar-export", "version": 1, "values": {
            "a": 1, "b": {"$type": "bytes", "base64": "not base64!"}}})";
        const Run run = persistvar({store.name(), QStringLiteral("import")}, document);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("value of \"b\""), run.err.constData());
        QCOMPARE(persistvar({store.name(), QStringLiteral("list")}).out, QByteArray());
    }

    // Migrating an application's existing QSettings INI file into SQLite, then reading it back
    // with the types the application uses.
    void copyFromQSettingsIni()
    {
        QTemporaryDir dir;
        const QString iniPath = dir.filePath(QStringLiteral("app.ini"));
        {
            QSettings settings(iniPath, QSettings::IniFormat);
            settings.setValue(QStringLiteral("name"), QStringLiteral("Ada"));
            settings.beginGroup(QStringLiteral("window"));
            settings.setValue(QStringLiteral("width"), 800);
            settings.setValue(QStringLiteral("maximized"), true);
            settings.endGroup();
            settings.beginGroup(QStringLiteral("recent"));
            settings.setValue(QStringLiteral("files"),
                              QStringList{QStringLiteral("a.txt"), QStringLiteral("b, c.txt")});
            settings.setValue(QStringLiteral("volume"), 0.25);
            settings.endGroup();
            settings.sync();
            QCOMPARE(settings.status(), QSettings::NoError);
        }
        const QString sqlite = QStringLiteral("sqlite:") + dir.filePath(QStringLiteral("app.db"));
        const Run run =
            persistvar({QStringLiteral("ini:") + iniPath, QStringLiteral("copy"), sqlite});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(run.err, QByteArray()); // no progress bar: standard error is not a terminal

        auto manager = PersistVar::VarManager::open(sqlite);
        QVERIFY(manager.isOk());
        VarCheck check(*manager.value());
        QCOMPARE(check.get<QString>("name"), QStringLiteral("Ada"));
        QCOMPARE(check.get<int>("window/width"), 800);
        QCOMPARE(check.get<bool>("window/maximized"), true);
        QCOMPARE(check.get<QStringList>("recent/files"),
                 QStringList({QStringLiteral("a.txt"), QStringLiteral("b, c.txt")}));
        QCOMPARE(check.get<double>("recent/volume"), 0.25);
        QCOMPARE(check.failures, QStringList());
    }

    // More keys than one batch: every key arrives.
    void copyManyKeys()
    {
        TestBackends::Store source(QStringLiteral("sqlite"));
        TestBackends::Store target(QStringLiteral("sqlite"));
        constexpr int Count = 2500;
        {
            auto storage = source.openStorage();
            QList<PersistVar::StorageWrite> writes;
            for (int i = 0; i < Count; ++i)
                writes.append(
                    {QStringLiteral("k%1").arg(i), PersistVar::encode(i), std::nullopt, false});
            for (const PersistVar::Error &error : storage->saveBatch(writes))
                QVERIFY(!error.isError());
        }
        const Run run = persistvar({source.name(), QStringLiteral("copy"), target.name()});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        auto storage = target.openStorage();
        const auto all = storage->loadAll();
        QVERIFY(all.isOk());
        QCOMPARE(all.value().size(), Count);
        QCOMPARE(all.value().value(QStringLiteral("k1234")), PersistVar::encode(1234));
    }

    void watch_data()
    {
        QTest::addColumn<QString>("backend");
        for (const char *backend : {"file", "ini", "sqlite", "postgresql"})
            QTest::newRow(backend) << QString::fromLatin1(backend);
    }

    // Live changes where the backend reports them, polling elsewhere: the output is the same.
    void watch()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        persistvar(
            {store.name(), QStringLiteral("set"), QStringLiteral("gone"), QStringLiteral("1")});
        QProcess process;
        process.start(QStringLiteral(PERSISTVAR_CLI_PATH),
                      {store.name(), QStringLiteral("watch"), QStringLiteral("--interval"),
                       QStringLiteral("50")});
        QVERIFY(process.waitForStarted());
        auto storage = store.openStorage();

        // Write until the watcher, which reads the store first, reports a change.
        QByteArray out;
        for (int i = 0; i < 100 && !out.contains('\n'); ++i) {
            QVERIFY(storage->saveUnconditionally(QStringLiteral("count"), PersistVar::encode(i))
                        .isOk());
            process.waitForReadyRead(100);
            out += process.readAllStandardOutput();
        }
        QVERIFY2(out.startsWith("count\t"), out.constData());

        QVERIFY(storage->remove(QStringLiteral("gone")).isOk());
        QVERIFY(storage
                    ->saveUnconditionally(QStringLiteral("new"),
                                          PersistVar::encode(QStringLiteral("x")))
                    .isOk());
        QTRY_VERIFY2_WITH_TIMEOUT((out += process.readAllStandardOutput()).contains("new\t\"x\"\n"),
                                  out.constData(), 10000);
        QVERIFY2(out.contains("gone\t(removed)\n"), out.constData());

        ::kill(pid_t(process.processId()), SIGINT);
        QVERIFY(process.waitForFinished(10000));
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(process.exitCode(), 0);
    }

    void errors_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QByteArray>("message");
        const QString db = QStringLiteral("sqlite:") + m_dir.filePath(QStringLiteral("e.db"));
        const auto args = [&db](std::initializer_list<const char *> rest) {
            QStringList list{db};
            for (const char *arg : rest)
                list.append(QString::fromUtf8(arg));
            return list;
        };
        QTest::newRow("no arguments") << QStringList() << QByteArray() << 2 << QByteArray("Usage:");
        QTest::newRow("unknown scheme")
            << QStringList{QStringLiteral("nosuch:/x"), QStringLiteral("list")} << QByteArray() << 2
            << QByteArray("InvalidArgument: unknown store scheme \"nosuch\"");
        QTest::newRow("no scheme") << QStringList{QStringLiteral("app.db"), QStringLiteral("list")}
                                   << QByteArray() << 2 << QByteArray("has no scheme");
        QTest::newRow("unknown copy target")
            << args({"copy", "nosuch:"}) << QByteArray() << 2 << QByteArray("unknown store scheme");
        QTest::newRow("missing command")
            << args({}) << QByteArray() << 2 << QByteArray("missing command");
        QTest::newRow("unknown command") << args({"frobnicate"}) << QByteArray() << 2
                                         << QByteArray("unknown command \"frobnicate\"");
        QTest::newRow("help for unknown command")
            << QStringList{QStringLiteral("help"), QStringLiteral("nosuch")} << QByteArray() << 2
            << QByteArray("no such command");
        QTest::newRow("missing KEY")
            << args({"get"}) << QByteArray() << 2 << QByteArray("get takes KEY");
        QTest::newRow("extra argument")
            << args({"rm", "a", "b"}) << QByteArray() << 2 << QByteArray("rm takes KEY");
        QTest::newRow("unknown option")
            << args({"list", "--frob"}) << QByteArray() << 2 << QByteArray("Unknown option 'frob'");
        QTest::newRow("bad interval")
            << args({"watch", "--interval", "0"}) << QByteArray() << 2 << QByteArray("--interval");
        QTest::newRow("missing key") << args({"get", "nothing"}) << QByteArray() << 1
                                     << QByteArray("no value stored under \"nothing\"");
        QTest::newRow("rm missing key") << args({"rm", "nothing"}) << QByteArray() << 1
                                        << QByteArray("no value stored under \"nothing\"");
        QTest::newRow("bad JSON value") << args({"set", "k", "{\"a\":"}) << QByteArray() << 2
                                        << QByteArray("VALUE is not valid JSON (line 1, column 6");
        QTest::newRow("unknown $type") << args({"set", "k", "{\"$type\":\"frob\",\"value\":1}"})
                                       << QByteArray() << 2 << QByteArray("unknown \"$type\"");
        QTest::newRow("bad tagged value")
            << args({"set", "k", "{\"$type\":\"int\",\"value\":\"x\"}"}) << QByteArray() << 2
            << QByteArray("\"int\" needs");
        QTest::newRow("import bad JSON")
            << args({"import"}) << QByteArray("{\"format\":") << 2 << QByteArray("not valid JSON");
        QTest::newRow("import duplicate key")
            << args({"import"})
            << QByteArray(R"({"format":"persistvar-export","version":1,"values":{"a":1,"a":2}})")
            << 2 << QByteArray("duplicate member \"a\"");
        QTest::newRow("import not an export") << args({"import"}) << QByteArray("{\"a\": 1}") << 2
                                              << QByteArray("not a persistvar export");
        QTest::newRow("import newer version")
            << args({"import"})
            << QByteArray(R"({"format":"persistvar-export","version":2,"values":{}})") << 2
            << QByteArray("version 2");
        QTest::newRow("import missing file") << args({"import", "/nonexistent/x.json"})
                                             << QByteArray() << 1 << QByteArray("cannot read");
    }

    void errors()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QByteArray, input);
        QFETCH(int, exitCode);
        QFETCH(QByteArray, message);
        const Run run = persistvar(arguments, input);
        QVERIFY2(run.err.contains(message), run.err.constData());
        QCOMPARE(run.exitCode, exitCode);
        QCOMPARE(run.out, QByteArray());
    }

    void credentialsNeverPrinted()
    {
        // Nothing listens on port 1: the connection fails, and the message must not show the
        // password, whatever the failure is.
        const Run run = persistvar(
            {QStringLiteral("postgresql://ada:s3cr3t@127.0.0.1:1/db"), QStringLiteral("list")});
        QVERIFY(run.exitCode != 0);
        QVERIFY(!run.err.isEmpty());
        QVERIFY2(!run.err.contains("s3cr3t"), run.err.constData());
    }

private:
    // Reads variables of a manager, collecting errors instead of failing in a helper.
    struct VarCheck
    {
        explicit VarCheck(PersistVar::VarManager &m) : manager(m) { }
        template<typename T>
        T get(const char *key)
        {
            auto var = manager.var<T>(QString::fromLatin1(key));
            if (!var.isOk())
                failures.append(var.error().toString());
            return var.value() ? var.value()->get() : T();
        }
        PersistVar::VarManager &manager;
        QStringList failures;
    };

    QTemporaryDir m_dir;
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
