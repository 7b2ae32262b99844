// SPDX-License-Identifier: MIT
// FileStorage: the Storage contract called directly, checked by a second instance on the same
// directory; the key-to-file-name mapping never escapes the directory; permissions of what it
// creates; corrupt files; and a read-only directory (as user nobody when running as root).
#include "testbackends.h"

#include <persistvar/filestorage.h>
#include <persistvar/varmanager.h>

#include <QtCore/QDirIterator>
#include <QtCore/QElapsedTimer>
#include <QtCore/QProcess>
#include <QtCore/QRegularExpression>
#include <QtCore/QSet>
#include <QtCore/QStandardPaths>
#include <QtCore/QTemporaryDir>
#include <QtTest/QTest>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

using PersistVar::ErrorCode;
using PersistVar::FileStorage;
using PersistVar::StorageWrite;

#define VERIFY_OK(call) \
    do { \
        const auto &result_ = (call); \
        QVERIFY2(result_.isOk(), qPrintable(result_.error().toString())); \
    } while (false)

namespace {

const QString ReadOnlyDirVariable = QStringLiteral("PERSISTVAR_TEST_READONLY_DIR");

// Owner, group and other permission bits (QFileDevice's "User" bits depend on who asks).
QFileDevice::Permissions modeOf(const QString &path)
{
    return QFileInfo(path).permissions() & QFileDevice::Permissions(0x7077);
}
constexpr QFileDevice::Permissions FileMode = QFileDevice::ReadOwner | QFileDevice::WriteOwner;
constexpr QFileDevice::Permissions DirMode =
    QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner;

// Every entry under dir, recursively, relative to dir.
QStringList listRecursively(const QString &dir)
{
    QStringList entries;
    QDirIterator it(dir, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot,
                    QDirIterator::Subdirectories);
    while (it.hasNext())
        entries.append(QDir(dir).relativeFilePath(it.next()));
    entries.sort();
    return entries;
}

QStringList awkwardKeys()
{
    const QChar nul(0);
    QStringList keys{
        QStringLiteral("../x"),
        QStringLiteral("a/b"),
        QStringLiteral(".."),
        QStringLiteral("."),
        QStringLiteral("con"),
        QStringLiteral("CON"),
        QStringLiteral("nul"),
        QStringLiteral("aux.txt"),
        QStringLiteral("COM1"),
        QStringLiteral("a\\b"),
        QStringLiteral("/abs"),
        QStringLiteral("C:\\x"),
        QStringLiteral("Grüße"),
        QStringLiteral("😀"),
        QStringLiteral("Key"),
        QStringLiteral("key"),
        QStringLiteral("KEY"),
        QStringLiteral("a") + nul + QStringLiteral("b"),
        QString(nul),
        QStringLiteral("a") + nul,
        QStringLiteral("a"),
        QStringLiteral(".lock"),
        QStringLiteral("k_61"),
        QStringLiteral("h_") + QString(64, QLatin1Char('0')),
        QStringLiteral("trailing."),
        QStringLiteral("trailing "),
        QStringLiteral(" "),
        QStringLiteral("new\nline"),
        QStringLiteral("*?<>|:\""),
        QStringLiteral("%2e%2e%2fx"),
        QStringLiteral("_5f"),
        QString(178, QLatin1Char('p')),
        QString(179, QLatin1Char('p')),
        QString(60, QChar(0xFC)),
        QString(10000, QLatin1Char('k')),
        QString(9999, QLatin1Char('k')) + QLatin1Char('K'),
    };
    return keys;
}

} // namespace

class TestFileStorage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        TestBackends::initHermetic();
        ::umask(022); // the usual umask: what the store restricts, it restricts itself
    }
    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

    void contract()
    {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath(QStringLiteral("store"));
        FileStorage storage(dir);
        QCOMPARE(storage.directory(), dir);
        const QString k = QStringLiteral("k");
        const auto missing = storage.load(k);
        QCOMPARE(missing.errorCode(), ErrorCode::NotFound);
        QCOMPARE(missing.error().key(), k);

        VERIFY_OK(storage.save(k, "v1", std::nullopt));
        VERIFY_OK(storage.save(k, "v2", QByteArray("v1")));
        QCOMPARE(FileStorage(dir).load(k).value(), QByteArray("v2")); // a second instance
        QCOMPARE(storage.save(k, "v3", QByteArray("v1")).errorCode(), ErrorCode::Conflict);
        QCOMPARE(storage.save(k, "v3", std::nullopt).errorCode(), ErrorCode::Conflict);
        QCOMPARE(storage.save(QStringLiteral("absent"), "x", QByteArray("old")).errorCode(),
                 ErrorCode::Conflict);
        QCOMPARE(FileStorage(dir).load(k).value(), QByteArray("v2"));
        QCOMPARE(FileStorage(dir).load(QStringLiteral("absent")).errorCode(), ErrorCode::NotFound);

        // Another instance (another process, in effect) writes: this one's old value is stale.
        VERIFY_OK(FileStorage(dir).save(k, "theirs", QByteArray("v2")));
        QCOMPARE(storage.save(k, "mine", QByteArray("v2")).errorCode(), ErrorCode::Conflict);
        VERIFY_OK(storage.saveUnconditionally(k, "mine"));
        QCOMPARE(FileStorage(dir).load(k).value(), QByteArray("mine"));

        // Empty and binary values are values.
        VERIFY_OK(storage.save(QStringLiteral("empty"), QByteArray(), std::nullopt));
        QCOMPARE(FileStorage(dir).load(QStringLiteral("empty")).value(), QByteArray());
        QCOMPARE(storage.save(QStringLiteral("empty"), "x", std::nullopt).errorCode(),
                 ErrorCode::Conflict);
        const QByteArray binary("\x00\xffPVF1\x00\x00\x00\x05", 10); // even our own magic
        VERIFY_OK(storage.save(QStringLiteral("bin"), binary, std::nullopt));
        QCOMPARE(FileStorage(dir).load(QStringLiteral("bin")).value(), binary);

        VERIFY_OK(storage.remove(k));
        QCOMPARE(FileStorage(dir).load(k).errorCode(), ErrorCode::NotFound);
        VERIFY_OK(storage.remove(k));
        QCOMPARE(FileStorage(dir).keys().value(),
                 (QStringList{QStringLiteral("bin"), QStringLiteral("empty")}));
    }

    void equalWriteIsSkipped()
    {
        QTemporaryDir tmp;
        FileStorage storage(tmp.path());
        VERIFY_OK(storage.save(QStringLiteral("k"), "v", std::nullopt));
        const QString path = tmp.filePath(storage.fileNameForKey(QStringLiteral("k")));
        struct stat before
        {
        };
        QCOMPARE(::stat(QFile::encodeName(path).constData(), &before), 0);
        VERIFY_OK(storage.save(QStringLiteral("k"), "v", QByteArray("v")));
        VERIFY_OK(storage.saveUnconditionally(QStringLiteral("k"), "v"));
        struct stat after
        {
        };
        QCOMPARE(::stat(QFile::encodeName(path).constData(), &after), 0);
        QCOMPARE(after.st_ino, before.st_ino); // not replaced: QSaveFile would make a new inode
    }

    void emptyKeyIsInvalid()
    {
        QTemporaryDir tmp;
        FileStorage storage(tmp.path());
        QCOMPARE(storage.save(QString(), "v", std::nullopt).errorCode(), ErrorCode::InvalidKey);
        QCOMPARE(storage.saveUnconditionally(QString(), "v").errorCode(), ErrorCode::InvalidKey);
        QCOMPARE(storage.remove(QString()).errorCode(), ErrorCode::InvalidKey);
        QCOMPARE(storage.load(QString()).errorCode(), ErrorCode::InvalidKey);
        QCOMPARE(storage.fileNameForKey(QString()), QString());
        const QList<PersistVar::Error> errors =
            storage.saveBatch({{QString(), QByteArray("v"), std::nullopt, true},
                               {QStringLiteral("ok"), QByteArray("v"), std::nullopt, true}});
        QCOMPARE(errors.size(), 2);
        QCOMPARE(errors.at(0).code(), ErrorCode::InvalidKey);
        QCOMPARE(errors.at(1).code(), ErrorCode::NoError);
        auto manager =
            std::make_unique<PersistVar::VarManager>(std::make_unique<FileStorage>(tmp.path()));
        QCOMPARE(manager->var<int>(QString()).errorCode(), ErrorCode::InvalidKey);
    }

    void saveBatchReportsEachEntry()
    {
        QTemporaryDir tmp;
        FileStorage storage(tmp.path());
        VERIFY_OK(storage.save(QStringLiteral("stale"), "stored", std::nullopt));
        VERIFY_OK(storage.save(QStringLiteral("gone"), "x", std::nullopt));
        VERIFY_OK(storage.save(QStringLiteral("over"), "theirs", std::nullopt));
        const QList<PersistVar::Error> errors = storage.saveBatch({
            {QStringLiteral("new"), QByteArray("n"), std::nullopt, true},
            {QStringLiteral("stale"), QByteArray("mine"), QByteArray("old"), true},
            {QStringLiteral("gone"), std::nullopt, QByteArray("x"), true},
            {QStringLiteral("over"), QByteArray("mine"), std::nullopt, false},
        });
        QCOMPARE(errors.size(), 4);
        QCOMPARE(errors.at(0).code(), ErrorCode::NoError);
        QCOMPARE(errors.at(1).code(), ErrorCode::Conflict);
        QCOMPARE(errors.at(1).key(), QStringLiteral("stale"));
        QCOMPARE(errors.at(2).code(), ErrorCode::NoError);
        QCOMPARE(errors.at(3).code(), ErrorCode::NoError);
        FileStorage reader(tmp.path());
        QCOMPARE(reader.load(QStringLiteral("new")).value(), QByteArray("n"));
        QCOMPARE(reader.load(QStringLiteral("stale")).value(), QByteArray("stored"));
        QCOMPARE(reader.load(QStringLiteral("gone")).errorCode(), ErrorCode::NotFound);
        QCOMPARE(reader.load(QStringLiteral("over")).value(), QByteArray("mine"));
    }

    void closeMakesCallsFail()
    {
        QTemporaryDir tmp;
        FileStorage storage(tmp.path());
        VERIFY_OK(storage.save(QStringLiteral("k"), "v", std::nullopt));
        VERIFY_OK(storage.close());
        VERIFY_OK(storage.close());
        QCOMPARE(storage.load(QStringLiteral("k")).errorCode(), ErrorCode::Closed);
        QCOMPARE(storage.save(QStringLiteral("k"), "w", QByteArray("v")).errorCode(),
                 ErrorCode::Closed);
        QCOMPARE(storage.saveUnconditionally(QStringLiteral("k"), "w").errorCode(),
                 ErrorCode::Closed);
        QCOMPARE(storage.remove(QStringLiteral("k")).errorCode(), ErrorCode::Closed);
        QCOMPARE(storage.keys().errorCode(), ErrorCode::Closed);
        const auto errors =
            storage.saveBatch({{QStringLiteral("k"), QByteArray("w"), std::nullopt, false}});
        QCOMPARE(errors.size(), 1);
        QCOMPARE(errors.at(0).code(), ErrorCode::Closed);
        QCOMPARE(FileStorage(tmp.path()).load(QStringLiteral("k")).value(), QByteArray("v"));
    }

    void keyMappingStaysInside()
    {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath(QStringLiteral("store"));
        const QStringList keys = awkwardKeys();
        {
            FileStorage storage(dir);
            for (qsizetype i = 0; i < keys.size(); ++i)
                VERIFY_OK(storage.save(keys.at(i), "value " + QByteArray::number(i), std::nullopt));
        }
        // Each key round-trips through a second instance, to its own value.
        FileStorage reader(dir);
        for (qsizetype i = 0; i < keys.size(); ++i) {
            const auto loaded = reader.load(keys.at(i));
            QVERIFY2(loaded.isOk(), qPrintable(loaded.error().toString()));
            QCOMPARE(loaded.value(), "value " + QByteArray::number(i));
        }
        QStringList expectedKeys = keys;
        expectedKeys.sort();
        QCOMPARE(reader.keys().value(), expectedKeys);

        // Nothing outside the directory, nothing in a sub-directory, one file per key.
        QCOMPARE(
            QDir(tmp.path())
                .entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot),
            QStringList{QStringLiteral("store")});
        const QStringList entries = listRecursively(dir);
        QSet<QString> names;
        QSet<QString> foldedNames;
        for (const QString &key : keys) {
            const QString name = reader.fileNameForKey(key);
            QVERIFY2(!name.isEmpty() && name != QLatin1String(".") && name != QLatin1String(".."),
                     qPrintable(name));
            QVERIFY2(!name.contains(QLatin1Char('/')) && !name.contains(QLatin1Char('\\'))
                         && !name.contains(QChar(0)) && !name.contains(QLatin1Char(':')),
                     qPrintable(name));
            QVERIFY2(QFile::encodeName(name).size() <= 255, qPrintable(name.left(40)));
            QVERIFY2(entries.contains(name), qPrintable(name.left(40)));
            names.insert(name);
            foldedNames.insert(name.toLower()); // distinct even on a case-insensitive file system
        }
        QCOMPARE(names.size(), keys.size());
        QCOMPARE(foldedNames.size(), keys.size());
        for (const QString &entry : entries) {
            QVERIFY2(!entry.contains(QLatin1Char('/')), qPrintable(entry));
            QVERIFY2(QFileInfo(dir + QLatin1Char('/') + entry).isFile(), qPrintable(entry));
            QVERIFY2(names.contains(entry) || entry == QLatin1String(".lock"), qPrintable(entry));
        }
    }

    void permissionsOfNewFilesAndFolders()
    {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath(QStringLiteral("a/b/store"));
        FileStorage storage(dir);
        VERIFY_OK(storage.save(QStringLiteral("secret"), "v", std::nullopt));
        const auto batch =
            storage.saveBatch({{QStringLiteral("batch"), QByteArray("v"), std::nullopt, true}});
        QCOMPARE(batch.size(), 1);
        QVERIFY2(!batch.at(0).isError(), qPrintable(batch.at(0).toString()));
        for (const QString &folder :
             {tmp.filePath(QStringLiteral("a")), tmp.filePath(QStringLiteral("a/b")), dir})
            QVERIFY2(
                modeOf(folder) == DirMode,
                qPrintable(QStringLiteral("%1: %2").arg(folder).arg(int(modeOf(folder)), 0, 16)));
        for (const QString &key : {QStringLiteral("secret"), QStringLiteral("batch")}) {
            const QString path = dir + QLatin1Char('/') + storage.fileNameForKey(key);
            QVERIFY2(modeOf(path) == FileMode,
                     qPrintable(QStringLiteral("%1: %2").arg(path).arg(int(modeOf(path)), 0, 16)));
        }
        // A replaced value keeps the mode.
        VERIFY_OK(storage.save(QStringLiteral("secret"), "w", QByteArray("v")));
        QCOMPARE(modeOf(dir + QLatin1Char('/') + storage.fileNameForKey(QStringLiteral("secret"))),
                 FileMode);
    }

    void corruptFile_data()
    {
        QTest::addColumn<int>("keep"); // bytes of the file kept; negative: replaced by garbage
        QTest::newRow("value truncated") << -1;
        QTest::newRow("header truncated") << 6;
        QTest::newRow("empty file") << 0;
        QTest::newRow("garbage") << -2;
    }
    void corruptFile()
    {
        QFETCH(int, keep);
        QTemporaryDir tmp;
        const QString key = QStringLiteral("volume");
        QString path;
        {
            FileStorage storage(tmp.path());
            VERIFY_OK(storage.save(
                key, PersistVar::encode(QStringLiteral("a value of some length")), std::nullopt));
            path = tmp.filePath(storage.fileNameForKey(key));
        }
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadWrite));
        const qint64 size = file.size();
        if (keep == -2) {
            QVERIFY(file.resize(0));
            file.write("\x01\xff garbage \x00\x01", 14);
        } else {
            QVERIFY(file.resize(keep == -1 ? size - 3 : keep));
        }
        file.close();
        QFile reread(path);
        QVERIFY(reread.open(QIODevice::ReadOnly));
        const QByteArray corrupt = reread.readAll();
        reread.close();

        // The store hands the bytes up (never "not found"); the codec refuses them.
        const auto loaded = FileStorage(tmp.path()).load(key);
        VERIFY_OK(loaded);
        QString decoded;
        QVERIFY(!PersistVar::decode(loaded.value(), &decoded));
        {
            PersistVar::VarManager manager(std::make_unique<FileStorage>(tmp.path()));
            auto var = manager.var<QString>(key, QStringLiteral("default"));
            QCOMPARE(var.errorCode(), ErrorCode::DecodeFailed);
            QCOMPARE(var.value()->get(), QStringLiteral("default"));
            VERIFY_OK(manager.close());
        }
        QFile after(path);
        QVERIFY(after.open(QIODevice::ReadOnly));
        QCOMPARE(after.readAll(), corrupt); // untouched until the application writes
        after.close();
        PersistVar::VarManager manager(std::make_unique<FileStorage>(tmp.path()));
        VERIFY_OK(manager.var<QString>(key).value()->set(QStringLiteral("new")));
        QCOMPARE(FileStorage(tmp.path()).load(key).value(),
                 PersistVar::encode(QStringLiteral("new")));
    }

    void directoryIsAFile()
    {
        QTemporaryDir tmp;
        const QString path = tmp.filePath(QStringLiteral("plain-file"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("x");
        file.close();
        FileStorage storage(path);
        QCOMPARE(storage.save(QStringLiteral("k"), "v", std::nullopt).errorCode(),
                 ErrorCode::StorageFailed);
        QCOMPARE(storage.load(QStringLiteral("k")).errorCode(), ErrorCode::StorageFailed);
    }

    void readOnlyDirectory()
    {
        QTemporaryDir tmp;
        const QString base = tmp.path();
        const QString dir = base + QStringLiteral("/store");
        {
            FileStorage storage(dir);
            VERIFY_OK(storage.save(QStringLiteral("present"), PersistVar::encode(5), std::nullopt));
            VERIFY_OK(storage.save(QStringLiteral("secret"), PersistVar::encode(6), std::nullopt));
            QVERIFY(QFile::setPermissions(dir + QLatin1Char('/')
                                              + storage.fileNameForKey(QStringLiteral("secret")),
                                          QFileDevice::Permissions()));
        }
        if (::geteuid() != 0) {
            QVERIFY(QFile::setPermissions(dir, QFileDevice::ReadOwner | QFileDevice::ExeOwner));
            checkReadOnlyDirectory(dir);
            QFile::setPermissions(dir, DirMode);
            return;
        }
        // Root ignores file permissions: run the same checks as user nobody, in a child process.
        const struct passwd *nobody = ::getpwnam("nobody");
        const QString runuser = QStandardPaths::findExecutable(QStringLiteral("runuser"));
        if (!nobody || runuser.isEmpty())
            QSKIP("root ignores file permissions, and there is no user nobody or no runuser to "
                  "drop them");
        QVERIFY(QFile::setPermissions(base,
                                      DirMode | QFileDevice::ReadOther | QFileDevice::ExeOther
                                          | QFileDevice::ReadGroup | QFileDevice::ExeGroup));
        for (const QString &entry : QDir(dir).entryList(QDir::Files | QDir::Hidden))
            QCOMPARE(::chown(QFile::encodeName(dir + QLatin1Char('/') + entry).constData(),
                             nobody->pw_uid, nobody->pw_gid),
                     0);
        QCOMPARE(::chown(QFile::encodeName(dir).constData(), nobody->pw_uid, nobody->pw_gid), 0);
        QVERIFY(QFile::setPermissions(dir, QFileDevice::ReadOwner | QFileDevice::ExeOwner));

        QProcess child;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(ReadOnlyDirVariable, dir);
        env.insert(QStringLiteral("HOME"), base);
        child.setProcessEnvironment(env);
        child.setProcessChannelMode(QProcess::MergedChannels);
        child.start(runuser,
                    {QStringLiteral("-u"), QStringLiteral("nobody"), QStringLiteral("--"),
                     QCoreApplication::applicationFilePath(),
                     QStringLiteral("readOnlyDirectoryChild")});
        QVERIFY(child.waitForFinished(60000));
        const QString output = QString::fromLocal8Bit(child.readAll());
        if (child.exitCode() == 126 || child.exitCode() == 127
            || output.contains(QLatin1String("error while loading shared libraries")))
            QSKIP(qPrintable(
                QStringLiteral("root ignores file permissions, and user nobody cannot run "
                               "this test binary to check them: ")
                + output.left(300)));
        QVERIFY2(child.exitCode() == 0
                     && output.contains(
                         QLatin1String("PASS   : TestFileStorage::readOnlyDirectoryChild()")),
                 qPrintable(output));
    }

    void readOnlyDirectoryChild()
    {
        const QString dir = qEnvironmentVariable(qPrintable(ReadOnlyDirVariable));
        if (dir.isEmpty())
            QSKIP("runs as user nobody in a child process of readOnlyDirectory()");
        QVERIFY2(::geteuid() != 0, "the child must not run as root");
        checkReadOnlyDirectory(dir);
    }

private:
    // dir holds "present" (5, readable) and "secret" (6, mode 0000); dir itself is read-only.
    void checkReadOnlyDirectory(const QString &dir)
    {
        QElapsedTimer timer;
        timer.start();
        FileStorage storage(dir);
        const QByteArray five = PersistVar::encode(5);
        QCOMPARE(storage.load(QStringLiteral("present")).value(), five);
        const auto secret = storage.load(QStringLiteral("secret"));
        QCOMPARE(secret.errorCode(), ErrorCode::StorageFailed); // unreadable is never "not found"
        QCOMPARE(secret.error().key(), QStringLiteral("secret"));
        const auto saved = storage.save(QStringLiteral("present"), PersistVar::encode(7), five);
        QCOMPARE(saved.errorCode(), ErrorCode::StorageFailed);
        QCOMPARE(saved.error().key(), QStringLiteral("present"));
        QCOMPARE(storage.save(QStringLiteral("new"), five, std::nullopt).errorCode(),
                 ErrorCode::StorageFailed);
        QCOMPARE(storage.saveUnconditionally(QStringLiteral("present"), five + "x").errorCode(),
                 ErrorCode::StorageFailed);
        QCOMPARE(storage.remove(QStringLiteral("present")).errorCode(), ErrorCode::StorageFailed);
        const auto errors =
            storage.saveBatch({{QStringLiteral("present"), PersistVar::encode(8), five, true},
                               {QStringLiteral("other"), five, std::nullopt, true}});
        QCOMPARE(errors.size(), 2);
        QCOMPARE(errors.at(0).code(), ErrorCode::StorageFailed);
        QCOMPARE(errors.at(1).code(), ErrorCode::StorageFailed);
        QCOMPARE(FileStorage(dir).load(QStringLiteral("present")).value(), five);
        QCOMPARE(FileStorage(dir).load(QStringLiteral("new")).errorCode(), ErrorCode::NotFound);

        PersistVar::VarManager manager(std::make_unique<FileStorage>(dir));
        auto present = manager.var<int>(QStringLiteral("present"), 0);
        VERIFY_OK(present);
        QCOMPARE(present.value()->get(), 5);
        QCOMPARE(present.value()->set(9).errorCode(), ErrorCode::StorageFailed);
        QCOMPARE(manager.var<int>(QStringLiteral("secret"), 0).errorCode(),
                 ErrorCode::StorageFailed);
        // The final sync fails: reported (nobody listens, so logged), then close() says so.
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("^StorageFailed: key \"present\"")));
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("^closing:.*present")));
        QCOMPARE(manager.close().errorCode(), ErrorCode::StorageFailed);
        QCOMPARE(FileStorage(dir).load(QStringLiteral("present")).value(), five);
        QVERIFY2(timer.elapsed() < 5000,
                 "a read-only directory must fail fast, not wait for a lock");
    }
};

QTEST_GUILESS_MAIN(TestFileStorage)
#include "tst_filestorage.moc"
