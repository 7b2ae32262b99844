// SPDX-License-Identifier: MIT
// Store names: openStorage() and VarManager::open() for every scheme, the embedded default,
// malformed names (InvalidArgument saying what is wrong, nothing created) and passwords that
// must never reach a message or a log.
#include "messagecapture.h"
#include "testbackends.h"

#include <persistvar/storage.h>
#include <persistvar/varmanager.h>

#include <QtCore/QDirIterator>
#include <QtCore/QElapsedTimer>
#include <QtCore/QRegularExpression>
#include <QtCore/QStandardPaths>
#include <QtCore/QTemporaryDir>
#include <QtTest/QTest>

using PersistVar::ErrorCode;

#define VERIFY_OK(call) \
    do { \
        const auto &result_ = (call); \
        QVERIFY2(result_.isOk(), qPrintable(result_.error().toString())); \
    } while (false)

namespace {

QStringList listRecursively(const QString &dir)
{
    QStringList entries;
    QDirIterator it(dir, QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot,
                    QDirIterator::Subdirectories);
    while (it.hasNext())
        entries.append(QDir(dir).relativeFilePath(it.next()));
    entries.sort();
    return entries;
}

const QString Secret = QStringLiteral("s3cr3tPa55");

} // namespace

class TestStoreName : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { TestBackends::initHermetic(); }

    void opensEveryScheme_data()
    {
        // %DIR% is a fresh temporary folder; "file" is what must exist there after a write.
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("file");
        QTest::addColumn<bool>("shared"); // a second opener of the name sees the value
        QTest::newRow("memory:") << "memory:" << QString() << false;
        QTest::newRow("memory:name") << "memory:tst_storename-shared" << QString() << true;
        QTest::newRow("MEMORY:name") << "MEMORY:tst_storename-upper" << QString() << true;
        QTest::newRow("file:/dir") << "file:%DIR%/files"
                                   << "files" << true;
        QTest::newRow("file:///dir") << "file://%DIR%/files"
                                     << "files" << true;
        QTest::newRow("file: nested new dir") << "file:%DIR%/a/b/files"
                                              << "a/b/files" << true;
        QTest::newRow("ini:/p.ini") << "ini:%DIR%/p.ini"
                                    << "p.ini" << true;
        QTest::newRow("ini: new folder") << "ini:%DIR%/sub/p.ini"
                                         << "sub/p.ini" << true;
        QTest::newRow("settings:") << "settings:" << QString() << true;
        QTest::newRow("settings:Org/App")
            << "settings:PersistVarTestsOrg/NamedApp" << QString() << true;
        QTest::newRow("sqlite:/p.db") << "sqlite:%DIR%/p.db"
                                      << "p.db" << true;
        QTest::newRow("sqlite:/p.db?table=t") << "sqlite:%DIR%/p.db?table=t"
                                              << "p.db" << true;
        QTest::newRow("sqlite: new folder") << "sqlite:%DIR%/sub/p.db"
                                            << "sub/p.db" << true;
    }
    void opensEveryScheme()
    {
        QFETCH(QString, name);
        QFETCH(QString, file);
        QFETCH(bool, shared);
        QTemporaryDir tmp;
        name.replace(QLatin1String("%DIR%"), tmp.path());
        const QString key = QStringLiteral("store/name-test");
        {
            auto storage = PersistVar::openStorage(name);
            VERIFY_OK(storage);
            QVERIFY(storage.value());
            QVERIFY(!storage.value()->description().isEmpty());
            auto manager = PersistVar::VarManager::open(name);
            VERIFY_OK(manager);
            VERIFY_OK(manager.value()->var<QString>(key).value()->set(QStringLiteral("written")));
            VERIFY_OK(manager.value()->close());
        }
        if (!file.isEmpty())
            QVERIFY2(QFileInfo::exists(tmp.filePath(file)),
                     qPrintable(listRecursively(tmp.path()).join(u' ')));
        auto again = PersistVar::VarManager::open(name);
        VERIFY_OK(again);
        auto var = again.value()->var<QString>(key);
        VERIFY_OK(var);
        QCOMPARE(var.value()->get(), shared ? QStringLiteral("written") : QString());
        VERIFY_OK(var.value()->reset()); // leave named and settings stores as they were
    }

    void storesAreSeparate()
    {
        QTemporaryDir tmp;
        const QString db = QStringLiteral("sqlite:") + tmp.filePath(QStringLiteral("p.db"));
        const QString key = QStringLiteral("k");
        const QList<std::pair<QString, QString>> pairs{
            {db + QStringLiteral("?table=t"), db},
            {db + QStringLiteral("?table=t"), db + QStringLiteral("?table=u")},
            {QStringLiteral("settings:PersistVarTestsOrg/One"),
             QStringLiteral("settings:PersistVarTestsOrg/Two")},
            {QStringLiteral("memory:tst_storename-one"),
             QStringLiteral("memory:tst_storename-two")},
            {QStringLiteral("ini:") + tmp.filePath(QStringLiteral("one.ini")),
             QStringLiteral("ini:") + tmp.filePath(QStringLiteral("two.ini"))},
        };
        for (const auto &[written, other] : pairs) {
            auto storage = PersistVar::openStorage(written);
            VERIFY_OK(storage);
            VERIFY_OK(storage.value()->saveUnconditionally(key, PersistVar::encode(1)));
            VERIFY_OK(storage.value()->close());
            auto otherStorage = PersistVar::openStorage(other);
            VERIFY_OK(otherStorage);
            QVERIFY2(otherStorage.value()->load(key).errorCode() == ErrorCode::NotFound,
                     qPrintable(written + QStringLiteral(" leaks into ") + other));
            auto cleanup = PersistVar::openStorage(written);
            VERIFY_OK(cleanup.value()->remove(key));
        }
    }

    void rejectsMalformedNames_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("says"); // the message names what is wrong
        QTest::newRow("no scheme") << "nonsense"
                                   << "nonsense";
        QTest::newRow("scheme only, no colon") << "memory"
                                               << "memory";
        QTest::newRow("empty scheme") << ":x"
                                      << "scheme";
        QTest::newRow("unknown scheme") << "foo:/x"
                                        << "foo";
        QTest::newRow("file without directory") << "file:"
                                                << "file";
        QTest::newRow("ini without path") << "ini:"
                                          << "ini";
        QTest::newRow("sqlite without path") << "sqlite:"
                                             << "sqlite";
        QTest::newRow("sqlite unknown option") << "sqlite:%DIR%/x.db?bogus=1"
                                               << "bogus";
        QTest::newRow("sqlite table with SQL") << "sqlite:%DIR%/x.db?table=a;drop"
                                               << "a;drop";
        QTest::newRow("sqlite table with quote") << "sqlite:%DIR%/x.db?table=a\"b"
                                                 << "table";
        QTest::newRow("sqlite empty table") << "sqlite:%DIR%/x.db?table="
                                            << "table";
        QTest::newRow("sqlite two tables") << "sqlite:%DIR%/x.db?table=t&table=u"
                                           << "table";
        QTest::newRow("settings with one part") << "settings:Org"
                                                << "Org";
        QTest::newRow("postgresql unknown option")
            << QStringLiteral("postgresql://user:%1@127.0.0.1:1/db?bogus=1").arg(Secret) << "bogus";
        // Found by fuzz_storename: QUrl refuses the port, and the message quoting the name must
        // still hide the password.
        QTest::newRow("unknown scheme, port with a letter")
            << QStringLiteral("mysql://user:%1@db.example:5432x/app").arg(Secret)
            << "unknown store scheme";
    }
    void rejectsMalformedNames()
    {
        QFETCH(QString, name);
        QFETCH(QString, says);
        QTemporaryDir tmp;
        name.replace(QLatin1String("%DIR%"), tmp.path());
        MessageCapture log;
        const auto storage = PersistVar::openStorage(name);
        QCOMPARE(storage.errorCode(), ErrorCode::InvalidArgument);
        QVERIFY(!storage.value());
        const QString message = storage.error().message();
        QVERIFY2(message.contains(says, Qt::CaseInsensitive), qPrintable(message));
        QVERIFY2(!storage.error().toString().contains(Secret),
                 qPrintable(storage.error().toString()));
        const auto manager = PersistVar::VarManager::open(name);
        QCOMPARE(manager.errorCode(), ErrorCode::InvalidArgument);
        QVERIFY(!manager.value());
        QCOMPARE(listRecursively(tmp.path()), QStringList()); // nothing was created
        for (const QString &logged : log.messages())
            QVERIFY2(!logged.contains(Secret), qPrintable(logged));
    }

    void postgresServerDownHidesPassword_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QStringList>("hidden");
        QTest::newRow("plain password")
            << QStringLiteral("postgresql://user:%1@127.0.0.1:1/db").arg(Secret)
            << QStringList{Secret};
        QTest::newRow("encoded password")
            << QStringLiteral("postgres://user:p%40ss%3A%2Fw0rd@127.0.0.1:1/db?table=t")
            << QStringList{QStringLiteral("p@ss:/w0rd"), QStringLiteral("p%40ss%3A%2Fw0rd")};
    }
    void postgresServerDownHidesPassword()
    {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        QFETCH(QString, url);
        QFETCH(QStringList, hidden);
        MessageCapture log;
        QElapsedTimer timer;
        timer.start();
        const auto storage = PersistVar::openStorage(url);
        QCOMPARE(storage.errorCode(), ErrorCode::StorageFailed);
        const auto manager = PersistVar::VarManager::open(url);
        QCOMPARE(manager.errorCode(), ErrorCode::StorageFailed);
        QVERIFY2(timer.elapsed() < 20000, "a refused connection must not hang");
        QString debugText;
        QDebug(&debugText) << storage.error() << manager.error();
        const QStringList texts = QStringList{storage.error().message(), storage.error().toString(),
                                              manager.error().toString(), debugText}
            + log.messages();
        for (const QString &text : texts) {
            for (const QString &secret : hidden)
                QVERIFY2(!text.contains(secret), qPrintable(text));
        }
        // It still says where it tried to go.
        QVERIFY2(storage.error().message().contains(QLatin1String("127.0.0.1")),
                 qPrintable(storage.error().message()));
    }

    void defaultStoreIsSqliteInAppData()
    {
        const QString path = PersistVar::defaultStorePath();
        QVERIFY2(path.contains(QLatin1String("/.qttest/")),
                 qPrintable(path)); // test mode: never the user's data
        QVERIFY(path.startsWith(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)));
        const QString folder = QFileInfo(path).absolutePath();
        const auto removeStore = [&path, &folder] {
            for (const QString &suffix : {QString(), QStringLiteral("-wal"), QStringLiteral("-shm"),
                                          QStringLiteral("-journal")})
                QFile::remove(path + suffix);
            QDir().rmdir(folder);
        };
        removeStore(); // a previous run that failed half-way
        QVERIFY(!QFileInfo::exists(path));
        {
            auto manager = PersistVar::VarManager::open();
            VERIFY_OK(manager);
            VERIFY_OK(manager.value()->var<int>(QStringLiteral("launches"), 0).value()->set(1));
            VERIFY_OK(manager.value()->close());
        }
        QVERIFY2(QFileInfo::exists(path), qPrintable(path));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.read(16), QByteArray("SQLite format 3\0", 16));
        file.close();
        {
            auto manager = PersistVar::VarManager::open(QString()); // "" is the same store
            VERIFY_OK(manager);
            QCOMPARE(manager.value()->var<int>(QStringLiteral("launches"), 0).value()->get(), 1);
            auto byName = PersistVar::openStorage(QStringLiteral("sqlite:") + path);
            VERIFY_OK(byName);
            QCOMPARE(byName.value()->load(QStringLiteral("launches")).value(),
                     PersistVar::encode(1));
        }
        removeStore();
        QVERIFY(!QFileInfo::exists(path));
    }
};

QTEST_GUILESS_MAIN(TestStoreName)
#include "tst_storename.moc"
