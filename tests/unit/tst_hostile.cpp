// SPDX-License-Identifier: MIT
// Hostile input, over every backend:
// - stored values truncated, extended, replaced with random bytes, emptied or of another type
//   (written through the raw Storage of the same store) make VarManager::var() report
//   DecodeFailed naming the key and serve the default; the stored bytes stay exactly as they are
//   (syncs, close, other writes) until the application writes a value of its own;
// - keys with quotes, semicolons, SQL comments, NUL, %, newlines, backslashes, 10,000 characters
//   are stored literally and read back by a new manager (and listed by Storage::keys()), or
//   refused with InvalidKey where the backend documents it; never stored under another name;
// - a table name with SQL in it is refused with InvalidArgument, and the store is untouched;
// - FileStorage keys never leave their folder;
// - new files and folders of the file, INI and SQLite stores are owner-only (0600 / 0700),
//   whatever the umask.
#include "testbackends.h"

#include <persistvar/filestorage.h>
#include <persistvar/sqlstorage.h>
#include <persistvar/varmanager.h>

#include <QtCore/QDir>
#include <QtCore/QDirIterator>
#include <QtCore/QFileInfo>
#include <QtCore/QRandomGenerator>
#include <QtCore/QRegularExpression>
#include <QtCore/QScopeGuard>
#include <QtCore/QTemporaryDir>
#include <QtCore/QUrl>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <sys/stat.h>
#include <sys/types.h>

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

enum class Mutation { Truncated, Extended, RandomBytes, Empty, OtherType };

QByteArray randomUndecodable(QRandomGenerator *random)
{
    // Random bytes that happen to decode are valid input, not hostile: draw again.
    for (;;) {
        QByteArray bytes(int(random->bounded(1, 65)), Qt::Uninitialized);
        for (char &c : bytes)
            c = char(random->bounded(256));
        QString s;
        int i = 0;
        if (!PersistVar::decode(bytes, &s) && !PersistVar::decode(bytes, &i))
            return bytes;
    }
}

// The mutated form of valid, the encoding of a value of the variable's type.
QByteArray mutate(const QByteArray &valid, Mutation mutation, const QByteArray &otherType,
                  QRandomGenerator *random)
{
    switch (mutation) {
    case Mutation::Truncated:
        return valid.chopped(1);
    case Mutation::Extended:
        return valid + QByteArray("\x00\x01trailing", 10);
    case Mutation::RandomBytes:
        return randomUndecodable(random);
    case Mutation::Empty:
        return QByteArray("");
    case Mutation::OtherType:
        return otherType;
    }
    return valid;
}

// Keys of 10,000 characters: one that compresses well, one that does not.
QStringList longKeyList()
{
    QString longRandom;
    QRandomGenerator random(7);
    for (int i = 0; i < 10000; ++i)
        longRandom.append(QChar(char16_t('!' + random.bounded(94))));
    return {QString(10000, QLatin1Char('k')), longRandom};
}

// Keys an attacker or a careless application may use (the long ones: longKeyList()).
QStringList hostileKeyList()
{
    return {
        QStringLiteral("it's"),
        QStringLiteral("say \"hi\""),
        QStringLiteral("a;b"),
        QStringLiteral("x'; DROP TABLE persistvar; --"),
        QStringLiteral("\"); DELETE FROM persistvar_meta; --"),
        QStringLiteral("x -- y"),
        QStringLiteral("/* c */"),
        QStringLiteral("nul") + QChar(0) + QStringLiteral("mid"),
        QString(QChar(0)),
        QStringLiteral("100%"),
        QStringLiteral("%41%00%2F"),
        QStringLiteral("_%"),
        QStringLiteral("line\nbreak"),
        QStringLiteral("cr\r\nlf"),
        QStringLiteral("tab\there"),
        QStringLiteral("back\\slash"),
        QStringLiteral("back/slash"),
        QStringLiteral("Key"),
        QStringLiteral("key"),
        QStringLiteral("="),
        QStringLiteral("a=b"),
        QStringLiteral("[section]"),
        QStringLiteral("#comment"),
        QStringLiteral(";comment"),
        QStringLiteral(" padded "),
        QStringLiteral("@Variant(x)"),
        QStringLiteral("ключ 鍵 🔑"),
    };
}

// Keys a backend documents that it refuses with InvalidKey.
bool refusedByDesign(const QString &backend, const QString &key)
{
    if (backend == QLatin1String("postgresql"))
        return key.contains(QChar(0)); // SqlStorage: "text columns cannot hold it"
    if (backend == QLatin1String("ini") || backend == QLatin1String("settings")) {
        // SettingsStorage: QSettings drops leading, trailing and doubled '/'.
        return key.startsWith(QLatin1Char('/')) || key.endsWith(QLatin1Char('/'))
            || key.contains(QLatin1String("//"));
    }
    return false;
}

QString describeKey(const QString &key)
{
    QString shown = key.left(40);
    shown.replace(QChar(0), QStringLiteral("\\0"));
    shown.replace(QLatin1Char('\n'), QStringLiteral("\\n"));
    shown.replace(QLatin1Char('\r'), QStringLiteral("\\r"));
    shown.replace(QLatin1Char('\t'), QStringLiteral("\\t"));
    return key.size() > 40 ? QStringLiteral("%1... (%2 characters)").arg(shown).arg(key.size())
                           : QLatin1Char('"') + shown + QLatin1Char('"');
}

// Every folder and file under root, relative to it, with its permission bits.
QMap<QString, mode_t> modesUnder(const QString &root)
{
    QMap<QString, mode_t> modes;
    QDirIterator it(root, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        struct stat info;
        if (::lstat(QFile::encodeName(path).constData(), &info) == 0)
            modes.insert(QDir(root).relativeFilePath(path), info.st_mode);
    }
    return modes;
}

} // namespace

Q_DECLARE_METATYPE(Mutation)

class TestHostile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { TestBackends::initHermetic(); }

    void init()
    {
        // Every warning must be expected (QTest::ignoreMessage) or it is a failure.
        QTest::failOnWarning(QRegularExpression(QStringLiteral(".*")));
    }

    void corruptValues_data()
    {
        QTest::addColumn<QString>("backend");
        QTest::addColumn<Mutation>("mutation");
        const QList<std::pair<const char *, Mutation>> mutations = {
            {"truncated", Mutation::Truncated},  {"extended", Mutation::Extended},
            {"random", Mutation::RandomBytes},   {"empty", Mutation::Empty},
            {"other type", Mutation::OtherType},
        };
        TestBackends::forEach([&](const QString &backend) {
            for (const auto &[name, mutation] : mutations)
                QTest::addRow("%s, %s", qPrintable(backend), name) << backend << mutation;
        });
    }

    void corruptValues()
    {
        QFETCH(QString, backend);
        QFETCH(Mutation, mutation);
        Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        const quint32 seed = QRandomGenerator::global()->generate();
        QRandomGenerator random(seed);
        qInfo("seed %u", seed);

        const QString text = QStringLiteral("text");
        const QString count = QStringLiteral("count");
        const QByteArray badText = mutate(PersistVar::encode(QStringLiteral("hello, world")),
                                          mutation, PersistVar::encode(QList<int>{1, 2}), &random);
        const QByteArray badCount =
            mutate(PersistVar::encode(1234), mutation,
                   PersistVar::encode(QStringLiteral("not a number")), &random);
        {
            auto raw = store.openStorage();
            QVERIFY(raw);
            VERIFY_OK(raw->saveUnconditionally(text, badText));
            VERIFY_OK(raw->saveUnconditionally(count, badCount));
            VERIFY_OK(raw->close());
        }
        // What the store holds now, read raw: it must never change behind the application's back.
        const PersistVar::Result<QByteArray> storedText = store.load(text);
        const PersistVar::Result<QByteArray> storedCount = store.load(count);
        VERIFY_OK(storedText);
        VERIFY_OK(storedCount);
        QCOMPARE(storedText.value(), badText);
        QCOMPARE(storedCount.value(), badCount);
        const auto untouched = [&] {
            return store.load(text).valueOr(QByteArray("<gone>")) == badText
                && store.load(count).valueOr(QByteArray("<gone>")) == badCount;
        };

        for (int round = 1; round <= 2; ++round) {
            // Twice: a restarted application meets the same bytes and the same errors.
            auto manager = store.openManager();
            QVERIFY(manager);
            QSignalSpy errors(manager.get(), &VarManager::errorOccurred);
            auto textVar = manager->var<QString>(text, QStringLiteral("default"));
            QCOMPARE(textVar.errorCode(), ErrorCode::DecodeFailed);
            QCOMPARE(textVar.error().key(), text);
            QVERIFY(textVar.value());
            QCOMPARE(textVar.value()->get(), QStringLiteral("default"));
            auto countVar = manager->var<int>(count, 7);
            QCOMPARE(countVar.errorCode(), ErrorCode::DecodeFailed);
            QCOMPARE(countVar.error().key(), count);
            QVERIFY(countVar.value());
            QCOMPARE(countVar.value()->get(), 7);
            QCOMPARE(errors.count(), 2);
            QCOMPARE(errors.at(0).at(0).value<Error>(), textVar.error());
            QCOMPARE(errors.at(1).at(0).value<Error>(), countVar.error());
            QVERIFY(!textVar.value()->isDirty());
            QVERIFY(!manager->hasPendingChanges());

            // Other writes, syncs and closing leave the bytes alone.
            VERIFY_OK(manager->var<int>(QStringLiteral("other"), 0).value()->set(round));
            VERIFY_OK(countVar.value()->setLazy(7)); // the default again: no change
            VERIFY_OK(manager->sync());
            QVERIFY2(untouched(), "the stored bytes changed after a sync");
            VERIFY_OK(manager->close());
            QVERIFY2(untouched(), "the stored bytes changed after close()");
        }

        // The application writes: set() replaces the text, update() computes from the default.
        auto manager = store.openManager();
        QVERIFY(manager);
        auto textVar = manager->var<QString>(text, QStringLiteral("default"));
        auto countVar = manager->var<int>(count, 7);
        QCOMPARE(textVar.errorCode(), ErrorCode::DecodeFailed);
        VERIFY_OK(textVar.value()->set(QStringLiteral("repaired")));
        VERIFY_OK(countVar.value()->update([](int n) { return std::pair(n + 1, true); }));
        QCOMPARE(countVar.value()->get(), 8);
        VERIFY_OK(manager->close());
        QCOMPARE(store.value<QString>(text), QStringLiteral("repaired"));
        QCOMPARE(store.value<int>(count), 8);

        auto reader = store.openManager();
        QVERIFY(reader);
        auto again = reader->var<QString>(text, QStringLiteral("default"));
        VERIFY_OK(again);
        QCOMPARE(again.value()->get(), QStringLiteral("repaired"));
    }

    void resetRemovesCorruptValue_data()
    {
        QTest::addColumn<QString>("backend");
        TestBackends::forEach([](const QString &b) { QTest::newRow(qPrintable(b)) << b; });
    }

    void resetRemovesCorruptValue()
    {
        // Writing the default is how an application deliberately drops what it cannot read.
        QFETCH(QString, backend);
        Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        const QString key = QStringLiteral("broken");
        {
            auto raw = store.openStorage();
            QVERIFY(raw);
            VERIFY_OK(raw->saveUnconditionally(key, QByteArray("\x01\xff\xfe", 3)));
            VERIFY_OK(raw->close());
        }
        auto manager = store.openManager();
        QVERIFY(manager);
        auto var = manager->var<QString>(key, QStringLiteral("default"));
        QCOMPARE(var.errorCode(), ErrorCode::DecodeFailed);
        VERIFY_OK(var.value()->reset());
        VERIFY_OK(manager->close());
        QCOMPARE(store.load(key).errorCode(), ErrorCode::NotFound);
    }

    void hostileKeys_data()
    {
        QTest::addColumn<QString>("backend");
        QTest::addColumn<QStringList>("keys");
        TestBackends::forEach([](const QString &b) {
            QTest::addRow("%s, quotes, SQL, NUL, newlines", qPrintable(b)) << b << hostileKeyList();
            QTest::addRow("%s, 10,000 repeated characters", qPrintable(b))
                << b << longKeyList().mid(0, 1);
            QTest::addRow("%s, 10,000 random characters", qPrintable(b))
                << b << longKeyList().mid(1, 1);
        });
    }

    void hostileKeys()
    {
        QFETCH(QString, backend);
        QFETCH(QStringList, keys);
        Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        const auto valueFor = [&](qsizetype i) { return QStringLiteral("value %1").arg(i); };

        QStringList stored;
        {
            auto manager = store.openManager();
            QVERIFY(manager);
            for (qsizetype i = 0; i < keys.size(); ++i) {
                const QString &key = keys.at(i);
                if (refusedByDesign(backend, key))
                    continue; // see refusedKeys()
                auto var = manager->var<QString>(key);
                QVERIFY2(
                    var.isOk(),
                    qPrintable(describeKey(key) + QStringLiteral(": ") + var.error().toString()));
                VERIFY_OK(var.value()->setLazy(valueFor(i)));
                stored.append(key);
            }
            const PersistVar::Result<void> synced = manager->sync();
            QVERIFY2(
                synced.isOk(),
                qPrintable(QStringLiteral("key %1: %2")
                               .arg(describeKey(synced.error().key()), synced.error().toString())));
            VERIFY_OK(manager->close());
        }

        // A new manager reads every key back, each with its own value.
        auto manager = store.openManager();
        QVERIFY(manager);
        for (qsizetype i = 0; i < keys.size(); ++i) {
            const QString &key = keys.at(i);
            if (!stored.contains(key))
                continue;
            auto var = manager->var<QString>(key, QStringLiteral("<missing>"));
            QVERIFY2(var.isOk(),
                     qPrintable(describeKey(key) + QStringLiteral(": ") + var.error().toString()));
            QVERIFY2(
                var.value()->get() == valueFor(i),
                qPrintable(QStringLiteral("%1 reads back \"%2\", expected \"%3\"")
                               .arg(describeKey(key), var.value()->get().left(40), valueFor(i))));
        }

        // Listed literally: no key split, merged or renamed.
        const PersistVar::Result<QStringList> listed = manager->storage()->keys();
        if (listed.errorCode() != ErrorCode::NotSupported) {
            VERIFY_OK(listed);
            QStringList missing;
            for (const QString &key : std::as_const(stored)) {
                if (!listed.value().contains(key))
                    missing.append(describeKey(key));
            }
            QStringList unexpected;
            for (const QString &key : listed.value()) {
                if (!stored.contains(key))
                    unexpected.append(describeKey(key));
            }
            QVERIFY2(missing.isEmpty() && unexpected.isEmpty(),
                     qPrintable(QStringLiteral("keys() misses %1; lists unknown %2")
                                    .arg(missing.join(QStringLiteral(", ")),
                                         unexpected.join(QStringLiteral(", ")))));
        }
        VERIFY_OK(manager->close());
    }

    void refusedKeys_data()
    {
        // Only the backends that document keys they cannot hold.
        QTest::addColumn<QString>("backend");
        for (const char *backend : {"ini", "settings", "postgresql"})
            QTest::newRow(backend) << QString::fromLatin1(backend);
    }

    void refusedKeys()
    {
        // A key the store can never hold is refused when the variable is made, as an empty key
        // is: InvalidKey, not a failed read ("could not read the stored value"), and never a
        // value that stays dirty and fails again at every sync.
        QFETCH(QString, backend);
        Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        QStringList refused;
        for (const QString &key : hostileKeyList()
                 + QStringList{QStringLiteral("/lead"), QStringLiteral("trail/"),
                               QStringLiteral("dou//ble")}) {
            if (refusedByDesign(backend, key))
                refused.append(key);
        }
        QVERIFY(!refused.isEmpty());
        auto manager = store.openManager();
        QVERIFY(manager);
        QSignalSpy errors(manager.get(), &VarManager::errorOccurred);
        auto good = manager->var<int>(QStringLiteral("good"), 0);
        VERIFY_OK(good);
        for (const QString &key : std::as_const(refused)) {
            auto var = manager->var<QString>(key);
            QVERIFY2(var.errorCode() == ErrorCode::InvalidKey,
                     qPrintable(QStringLiteral("%1: var() should report InvalidKey, got %2")
                                    .arg(describeKey(key),
                                         var.isOk() ? QStringLiteral("success")
                                                    : var.error().toString())));
            QCOMPARE(var.error().key(), key);
        }
        // Nothing is pending for them, and the store still works.
        QVERIFY(!manager->hasPendingChanges());
        VERIFY_OK(good.value()->set(1));
        VERIFY_OK(manager->close());
        QCOMPARE(store.value<int>(QStringLiteral("good")), 1);
    }

    void tableNameWithSql_data()
    {
        QTest::addColumn<QString>("table");
        QTest::newRow("drop") << QStringLiteral("t;drop table t");
        QTest::newRow("drop, spaced") << QStringLiteral("t; DROP TABLE t; --");
        QTest::newRow("double quote") << QStringLiteral("t\"x");
        QTest::newRow("quote and comment") << QStringLiteral("t' --");
        QTest::newRow("comment") << QStringLiteral("t/*x*/");
        QTest::newRow("space") << QStringLiteral("t x");
        QTest::newRow("dot") << QStringLiteral("main.t");
        QTest::newRow("leading digit") << QStringLiteral("1t");
        QTest::newRow("64 characters") << QString(64, QLatin1Char('t'));
        QTest::newRow("NUL") << QStringLiteral("t") + QChar(0) + QStringLiteral("x");
        QTest::newRow("meta table") << QStringLiteral("persistvar_meta");
        QTest::newRow("sqlite internal") << QStringLiteral("sqlite_master");
        QTest::newRow("non-ASCII") << QStringLiteral("tä");
    }

    void tableNameWithSql()
    {
        QFETCH(QString, table);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("x.db"));
        {
            // A store whose table "t" must survive every refused attempt.
            auto storage = PersistVar::openStorage(QStringLiteral("sqlite:") + path
                                                   + QStringLiteral("?table=t"));
            VERIFY_OK(storage);
            VERIFY_OK(
                storage.value()->save(QStringLiteral("k"), PersistVar::encode(1), std::nullopt));
            VERIFY_OK(storage.value()->close());
        }

        const auto refused = [&](const PersistVar::Error &error, const QString &how) {
            QVERIFY2(
                error.code() == ErrorCode::InvalidArgument,
                qPrintable(
                    QStringLiteral("%1: expected InvalidArgument, got %2")
                        .arg(how, error.isError() ? error.toString() : QStringLiteral("success"))));
        };
        refused(PersistVar::openStorage(QStringLiteral("sqlite:") + path + QStringLiteral("?table=")
                                        + table)
                    .error(),
                QStringLiteral("sqlite store name"));
        PersistVar::SqlStorage::Options options;
        options.table = table;
        refused(PersistVar::SqlStorage::openSqlite(path, options).error(),
                QStringLiteral("SqlStorage::openSqlite"));

        // PostgreSQL refuses before connecting, so no server is needed to prove it; with one,
        // the real URL is used.
        QString url = TestBackends::postgresUrl();
        if (url.isEmpty())
            url = QStringLiteral("postgresql://nobody@127.0.0.1:1/none");
        const QString encoded = QString::fromLatin1(QUrl::toPercentEncoding(table));
        const QString separator =
            url.contains(QLatin1Char('?')) ? QStringLiteral("&") : QStringLiteral("?");
        refused(
            PersistVar::openStorage(url + separator + QStringLiteral("table=") + encoded).error(),
            QStringLiteral("postgresql store name"));
        refused(PersistVar::SqlStorage::openPostgreSql(url, options).error(),
                QStringLiteral("SqlStorage::openPostgreSql"));

        // The table that was there is still there, with its value.
        auto storage =
            PersistVar::openStorage(QStringLiteral("sqlite:") + path + QStringLiteral("?table=t"));
        VERIFY_OK(storage);
        const PersistVar::Result<QByteArray> k = storage.value()->load(QStringLiteral("k"));
        VERIFY_OK(k);
        QCOMPARE(k.value(), PersistVar::encode(1));
        VERIFY_OK(storage.value()->close());
    }

    void postgresTableNameFromTheBrief()
    {
        // The exact hostile URL of issue 7: a double quote, percent-encoded, then SQL.
        QString url = TestBackends::postgresUrl();
        if (url.isEmpty())
            url = QStringLiteral("postgresql://nobody@127.0.0.1:1/none");
        const QString separator =
            url.contains(QLatin1Char('?')) ? QStringLiteral("&") : QStringLiteral("?");
        const auto storage =
            PersistVar::openStorage(url + separator + QStringLiteral("table=x%22;drop"));
        QCOMPARE(storage.errorCode(), ErrorCode::InvalidArgument);
    }

    void fileKeysStayInTheirFolder()
    {
        Store store(QStringLiteral("file"));
        const QString folder = store.directory() + QStringLiteral("/files");
        const QStringList keys = {
            QStringLiteral(".."),
            QStringLiteral("."),
            QStringLiteral("../outside"),
            QStringLiteral("../../outside"),
            QStringLiteral("a/../../b"),
            QStringLiteral("/etc/persistvar-test"),
            QStringLiteral("./x"),
            QStringLiteral("~/x"),
            QStringLiteral("sub/dir/key"),
            QStringLiteral("..\\windows"),
            QStringLiteral("C:\\x"),
            QStringLiteral("%2e%2e%2foutside"),
            QStringLiteral(".lock"),
            QStringLiteral("k_x"),
            QStringLiteral("h_0000"),
            QString(QChar(0)) + QStringLiteral("../x"),
            QStringLiteral("../") + QString(300, QLatin1Char('y')),
        };
        {
            auto manager = store.openManager();
            QVERIFY(manager);
            for (qsizetype i = 0; i < keys.size(); ++i)
                VERIFY_OK(manager->var<qint64>(keys.at(i), -1).value()->setLazy(i));
            VERIFY_OK(manager->sync());
            VERIFY_OK(manager->close());
        }
        // Only the store folder exists beside it, and it holds plain files: one per key (plus
        // the lock file, if it is still there).
        QCOMPARE(QDir(store.directory())
                     .entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
                 QStringList{QStringLiteral("files")});
        const QMap<QString, mode_t> modes = modesUnder(folder);
        QStringList keyFiles;
        for (auto it = modes.cbegin(); it != modes.cend(); ++it) {
            QVERIFY2(S_ISREG(it.value()) && !it.key().contains(QLatin1Char('/')),
                     qPrintable(QStringLiteral("unexpected entry %1").arg(it.key())));
            if (it.key() != QLatin1String(".lock"))
                keyFiles.append(it.key());
        }
        QCOMPARE(keyFiles.size(), keys.size());
        QVERIFY(!QFileInfo::exists(QStringLiteral("/etc/persistvar-test")));

        auto manager = store.openManager();
        QVERIFY(manager);
        for (qsizetype i = 0; i < keys.size(); ++i) {
            auto var = manager->var<qint64>(keys.at(i), -1);
            VERIFY_OK(var);
            QCOMPARE(var.value()->get(), qint64(i));
        }
        const PersistVar::Result<QStringList> listed = manager->storage()->keys();
        VERIFY_OK(listed);
        QStringList expected = keys;
        expected.sort();
        QStringList actual = listed.value();
        actual.sort();
        QCOMPARE(actual, expected);
    }

    void newFilesAreOwnerOnly_data()
    {
        QTest::addColumn<QString>("backend");
        QTest::addColumn<int>("umask");
        for (const char *backend : {"file", "ini", "sqlite"}) {
            QTest::addRow("%s, umask 022", backend) << QString::fromLatin1(backend) << 022;
            QTest::addRow("%s, umask 000", backend) << QString::fromLatin1(backend) << 0;
        }
    }

    void newFilesAreOwnerOnly()
    {
        QFETCH(QString, backend);
        QFETCH(int, umask);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const mode_t previous = ::umask(mode_t(umask));
        const auto restore = qScopeGuard([&] { ::umask(previous); });

        // Two missing folder levels above the store: every folder the store creates counts.
        const QString root = dir.filePath(QStringLiteral("new"));
        const QString base = root + QStringLiteral("/deeper");
        const QString name = backend == QLatin1String("file")
            ? QStringLiteral("file:") + base + QStringLiteral("/files")
            : backend == QLatin1String("ini")
            ? QStringLiteral("ini:") + base + QStringLiteral("/app.ini")
            : QStringLiteral("sqlite:") + base + QStringLiteral("/app.db");
        auto opened = VarManager::open(name);
        VERIFY_OK(opened);
        auto manager = std::move(opened).value();
        VERIFY_OK(manager->var<QString>(QStringLiteral("secret"))
                      .value()
                      ->set(QStringLiteral("personal data")));
        VERIFY_OK(manager->var<int>(QStringLiteral("other")).value()->set(1));

        // While the store is open (SQLite's -wal and -shm exist now) and after it is closed.
        for (const char *when : {"open", "closed"}) {
            const QMap<QString, mode_t> modes = modesUnder(dir.path());
            QVERIFY(!modes.isEmpty());
            QStringList wrong;
            for (auto it = modes.cbegin(); it != modes.cend(); ++it) {
                const mode_t permissions = it.value() & 07777;
                const mode_t expected = S_ISDIR(it.value()) ? 0700 : 0600;
                if (permissions != expected)
                    wrong.append(QStringLiteral("%1 is %2, not %3")
                                     .arg(it.key())
                                     .arg(permissions, 4, 8, QLatin1Char('0'))
                                     .arg(expected, 4, 8, QLatin1Char('0')));
            }
            QVERIFY2(wrong.isEmpty(),
                     qPrintable(QStringLiteral("with the store %1, umask %2: %3")
                                    .arg(QLatin1String(when))
                                    .arg(umask, 3, 8, QLatin1Char('0'))
                                    .arg(wrong.join(QStringLiteral("; ")))));
            if (qstrcmp(when, "open") == 0)
                VERIFY_OK(manager->close());
        }
    }
};

QTEST_GUILESS_MAIN(TestHostile)
#include "tst_hostile.moc"
