// SPDX-License-Identifier: MIT
// SqlStorage on SQLite and PostgreSQL: round trips seen by a second storage, compare-and-swap in
// the database, batches as one transaction, connections confined to their threads, hostile keys
// and table names, and stores that are not ours, not writable or not reachable.
#include "messagecapture.h"
#include "testbackends.h"

#include <persistvar/sqlstorage.h>
#include <persistvar/varmanager.h>

#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QProcess>
#include <QtCore/QRandomGenerator>
#include <QtCore/QRegularExpression>
#include <QtCore/QScopeGuard>
#include <QtCore/QSemaphore>
#include <QtCore/QStandardPaths>
#include <QtCore/QTemporaryDir>
#include <QtCore/QThread>
#include <QtCore/QUrl>
#include <QtCore/QUrlQuery>
#include <QtCore/QUuid>
#include <QtSql/QSqlDatabase>
#include <QtSql/QSqlError>
#include <QtSql/QSqlQuery>
#include <QtTest/QTest>

#include <algorithm>
#include <memory>

#include <unistd.h>

using namespace PersistVar;

namespace {

const char ReadOnlyChildFlag[] = "--read-only-child";

QByteArray bytes(const char *text)
{
    return QByteArray(text);
}

QString uniqueName(const QString &prefix)
{
    return prefix + QUuid::createUuid().toString(QUuid::Id128).left(10);
}

QString sqlitePath(const TestBackends::Store &store)
{
    return store.name().mid(int(qstrlen("sqlite:")));
}

// The table a store uses: the ?table= of PostgreSQL test stores, else the default.
QString tableOf(const TestBackends::Store &store)
{
    const QString table = QUrlQuery(QUrl(store.name())).queryItemValue(QStringLiteral("table"));
    return table.isEmpty() ? SqlStorage::Options().table : table;
}

// Opens the store's database directly as a SqlStorage, on \a table when given.
Result<std::unique_ptr<SqlStorage>> openSql(const TestBackends::Store &store,
                                            const QString &table = QString(),
                                            SqlStorage::Options options = SqlStorage::Options())
{
    options.table = table.isEmpty() ? tableOf(store) : table;
    if (store.backend() == QLatin1String("sqlite"))
        return SqlStorage::openSqlite(sqlitePath(store), options);
    QUrl url(store.name());
    url.setQuery(QStringLiteral("table=") + options.table);
    return SqlStorage::openPostgreSql(url.toString(), options);
}

int persistVarConnections()
{
    int count = 0;
    const QStringList names = QSqlDatabase::connectionNames();
    for (const QString &name : names)
        count += name.startsWith(QLatin1String("persistvar-")) ? 1 : 0;
    return count;
}

// The application's own Qt SQL connection to a store's database, for acting beside PersistVar.
// Use it only on the thread that created it.
class AppConnection
{
public:
    explicit AppConnection(const TestBackends::Store &store)
        : name(uniqueName(QStringLiteral("app-")))
        , table(tableOf(store))
        , sqlite(store.backend() == QLatin1String("sqlite"))
    {
        if (sqlite) {
            db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
            db.setDatabaseName(sqlitePath(store));
        } else {
            const QUrl url(store.name());
            db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), name);
            db.setHostName(url.host());
            db.setPort(url.port(5432));
            db.setUserName(url.userName());
            db.setPassword(url.password());
            db.setDatabaseName(url.path().mid(1));
        }
        if (!db.open())
            qWarning() << "app connection:" << db.lastError().text();
        else if (!sqlite)
            exec(QStringLiteral("SET client_min_messages TO WARNING")); // no NOTICEs on stderr
    }
    ~AppConnection()
    {
        db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(name);
    }
    Q_DISABLE_COPY_MOVE(AppConnection)

    bool exec(const QString &sql, const QVariantList &values = {})
    {
        // PostgreSQL cannot prepare DDL: statements without values run directly.
        QSqlQuery query(db);
        bool ok = false;
        if (values.isEmpty()) {
            ok = query.exec(sql);
        } else {
            query.prepare(sql);
            for (qsizetype i = 0; i < values.size(); ++i)
                query.bindValue(int(i), values.at(i));
            ok = query.exec();
        }
        if (ok)
            return true;
        qWarning().noquote() << "app SQL failed:" << sql << query.lastError().text();
        return false;
    }

    QVariantList column(const QString &sql, const QVariantList &values = {})
    {
        QSqlQuery query(db);
        bool ok = false;
        if (values.isEmpty()) {
            ok = query.exec(sql);
        } else {
            query.prepare(sql);
            for (qsizetype i = 0; i < values.size(); ++i)
                query.bindValue(int(i), values.at(i));
            ok = query.exec();
        }
        QVariantList result;
        if (!ok)
            qWarning().noquote() << "app SQL failed:" << sql << query.lastError().text();
        while (query.next())
            result.append(query.value(0));
        return result;
    }

    QStringList columnsOf(const QString &tableName)
    {
        const QVariantList names = column(
            sqlite ? QStringLiteral("SELECT name FROM pragma_table_info(?)")
                   : QStringLiteral("SELECT column_name FROM information_schema.columns WHERE "
                                    "table_schema = current_schema() AND table_name = ? "
                                    "ORDER BY ordinal_position"),
            {tableName});
        QStringList result;
        for (const QVariant &v : names)
            result.append(v.toString());
        return result;
    }

    // A trigger that makes the database itself refuse the key "poison".
    bool refusePoison()
    {
        if (sqlite)
            return exec(QStringLiteral("CREATE TRIGGER refuse_poison BEFORE INSERT ON \"%1\" "
                                       "WHEN NEW.\"key\" = 'poison' "
                                       "BEGIN SELECT RAISE(ABORT, 'poison refused'); END")
                            .arg(table));
        return exec(QStringLiteral("CREATE FUNCTION refuse_poison_%1() RETURNS trigger "
                                   "LANGUAGE plpgsql AS $$ BEGIN IF NEW.key = 'poison' THEN "
                                   "RAISE EXCEPTION 'poison refused'; END IF; RETURN NEW; END $$")
                        .arg(table))
            && exec(QStringLiteral("CREATE TRIGGER refuse_poison BEFORE INSERT ON \"%1\" "
                                   "FOR EACH ROW EXECUTE FUNCTION refuse_poison_%1()")
                        .arg(table));
    }

    bool allowPoison()
    {
        if (sqlite)
            return exec(QStringLiteral("DROP TRIGGER refuse_poison"));
        return exec(QStringLiteral("DROP TRIGGER refuse_poison ON \"%1\"").arg(table));
    }

    QString name;
    QString table;
    bool sqlite;
    QSqlDatabase db;
};

// Holds a write lock on a store's database from its own thread and connection, as another
// process would, until released or for at most \a holdMs.
class LockHolder
{
public:
    LockHolder(const TestBackends::Store &store, const QString &key, int holdMs)
    {
        const QString name = uniqueName(QStringLiteral("lock-"));
        const bool sqlite = store.backend() == QLatin1String("sqlite");
        const QString path = sqlite ? sqlitePath(store) : QString();
        const QUrl url(store.name());
        const QString table = tableOf(store);
        m_thread.reset(QThread::create([=, this] {
            {
                QSqlDatabase db = QSqlDatabase::addDatabase(
                    sqlite ? QStringLiteral("QSQLITE") : QStringLiteral("QPSQL"), name);
                if (sqlite) {
                    db.setDatabaseName(path);
                } else {
                    db.setHostName(url.host());
                    db.setPort(url.port(5432));
                    db.setUserName(url.userName());
                    db.setDatabaseName(url.path().mid(1));
                }
                QSqlQuery query(db);
                const bool locked = db.open()
                    && query.exec(sqlite ? QStringLiteral("BEGIN IMMEDIATE")
                                         : QStringLiteral("BEGIN"))
                    && (sqlite
                        || (query.prepare(QStringLiteral("SELECT 1 FROM \"%1\" WHERE \"key\" = ? "
                                                         "FOR UPDATE")
                                              .arg(table))
                            && (query.addBindValue(key), query.exec())));
                if (!locked)
                    qWarning() << "could not take the lock:" << query.lastError().text();
                m_held.release();
                m_release.tryAcquire(1, holdMs);
                query.exec(QStringLiteral("COMMIT"));
                query = QSqlQuery();
                db.close();
            }
            QSqlDatabase::removeDatabase(name);
        }));
        m_thread->start();
        m_held.acquire();
    }
    ~LockHolder()
    {
        m_release.release();
        m_thread->wait();
    }
    Q_DISABLE_COPY_MOVE(LockHolder)

private:
    std::unique_ptr<QThread> m_thread;
    QSemaphore m_held;
    QSemaphore m_release;
};

// What a user without write permission sees on the SQLite store at \a path, one line per step:
// "open|load|save|batch <code name> <message or value>".
QStringList readOnlyObservations(const QString &path)
{
    QStringList lines;
    auto opened = SqlStorage::openSqlite(path);
    if (!opened.isOk()) {
        lines << QStringLiteral("open %1 %2")
                     .arg(errorCodeName(opened.errorCode()), opened.error().message());
        return lines;
    }
    lines << QStringLiteral("open NoError");
    auto storage = std::move(opened).value();
    const Result<QByteArray> loaded = storage->load(QStringLiteral("kept"));
    lines << QStringLiteral("load %1 %2")
                 .arg(errorCodeName(loaded.errorCode()),
                      loaded.isOk() ? QString::fromUtf8(loaded.value()) : loaded.error().message());
    const Result<void> saved =
        storage->save(QStringLiteral("kept"), bytes("changed"), loaded.valueOr(QByteArray()));
    lines << QStringLiteral("save %1 %2")
                 .arg(errorCodeName(saved.errorCode()), saved.error().message());
    const QList<Error> batch = storage->saveBatch(
        {StorageWrite{QStringLiteral("new"), bytes("x"), std::nullopt, true},
         StorageWrite{QStringLiteral("kept"), std::nullopt, std::nullopt, false}});
    lines << QStringLiteral("batch %1 %2")
                 .arg(errorCodeName(batch.at(0).code()), batch.at(1).message());
    return lines;
}

// Child mode: the read-only check run as an unprivileged user.
int readOnlyChild(const QString &path)
{
    const QStringList lines = readOnlyObservations(path);
    QFile out;
    if (!out.open(stdout, QIODevice::WriteOnly))
        return 2;
    out.write(lines.join(QLatin1Char('\n')).toUtf8() + '\n');
    return 0;
}

void addSqlRows()
{
    QTest::addColumn<QString>("backend");
    TestBackends::forEach([](const QString &b) { QTest::newRow(qPrintable(b)) << b; },
                          {QStringLiteral("sqlite"), QStringLiteral("postgresql")});
}

} // namespace

class TestSqlStorage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { TestBackends::initHermetic(); }

    void roundTripThroughSecondStorage_data() { addSqlRows(); }
    void roundTripThroughSecondStorage()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        auto writer = openSql(store);
        QVERIFY2(writer.isOk(), qPrintable(writer.error().toString()));
        auto reader = openSql(store);
        QVERIFY2(reader.isOk(), qPrintable(reader.error().toString()));
        Storage &a = *writer.value();
        Storage &b = *reader.value();

        QCOMPARE(a.load(QStringLiteral("missing")).errorCode(), ErrorCode::NotFound);
        QVERIFY(a.save(QStringLiteral("volume"), bytes("0.5"), std::nullopt).isOk());
        QCOMPARE(b.load(QStringLiteral("volume")).value(), bytes("0.5"));
        QVERIFY(a.saveUnconditionally(QStringLiteral("volume"), bytes("0.7")).isOk());
        QCOMPARE(b.load(QStringLiteral("volume")).value(), bytes("0.7"));
        QVERIFY(a.remove(QStringLiteral("volume")).isOk());
        QCOMPARE(b.load(QStringLiteral("volume")).errorCode(), ErrorCode::NotFound);
        QVERIFY(a.remove(QStringLiteral("volume")).isOk()); // removing a missing key succeeds

        // Empty and binary values come back byte for byte.
        QByteArray everyByte;
        for (int i = 0; i < 256; ++i)
            everyByte.append(char(i));
        QVERIFY(a.save(QStringLiteral("empty"), QByteArray(), std::nullopt).isOk());
        QVERIFY(a.save(QStringLiteral("binary"), everyByte, std::nullopt).isOk());
        const Result<QByteArray> empty = b.load(QStringLiteral("empty"));
        QVERIFY(empty.isOk());
        QCOMPARE(empty.value().size(), 0);
        QCOMPARE(b.load(QStringLiteral("binary")).value(), everyByte);

        if (backend == QLatin1String("sqlite"))
            QCOMPARE(a.description(), QStringLiteral("sqlite:") + sqlitePath(store));
        else
            QVERIFY2(a.description().startsWith(QLatin1String("postgresql://"))
                         && a.description().endsWith(QStringLiteral("?table=") + tableOf(store)),
                     qPrintable(a.description()));
        QCOMPARE(writer.value()->table(), tableOf(store));

        // After close() every call reports Closed; closing twice is harmless.
        QVERIFY(a.close().isOk());
        QCOMPARE(a.load(QStringLiteral("empty")).errorCode(), ErrorCode::Closed);
        QCOMPARE(a.save(QStringLiteral("x"), bytes("1"), std::nullopt).errorCode(),
                 ErrorCode::Closed);
        QCOMPARE(a.remove(QStringLiteral("x")).errorCode(), ErrorCode::Closed);
        QCOMPARE(a.loadAll().errorCode(), ErrorCode::Closed);
        QCOMPARE(a.keys().errorCode(), ErrorCode::Closed);
        const QList<Error> batch =
            a.saveBatch({StorageWrite{QStringLiteral("x"), bytes("1"), std::nullopt, true}});
        QCOMPARE(batch.size(), 1);
        QCOMPARE(batch.at(0).code(), ErrorCode::Closed);
        QCOMPARE(batch.at(0).key(), QStringLiteral("x"));
        QVERIFY(a.close().isOk());
        QCOMPARE(b.load(QStringLiteral("binary")).value(), everyByte);
    }

    void compareAndSwapBetweenStorages_data() { addSqlRows(); }
    void compareAndSwapBetweenStorages()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        auto first = openSql(store);
        auto second = openSql(store);
        QVERIFY2(first.isOk() && second.isOk(), qPrintable(first.error().toString()));
        Storage &a = *first.value();
        Storage &b = *second.value();
        const QString n = QStringLiteral("n");

        QVERIFY(a.save(n, bytes("1"), std::nullopt).isOk());
        // b believes the key is absent: refused.
        const Result<void> stale = b.save(n, bytes("1b"), std::nullopt);
        QCOMPARE(stale.errorCode(), ErrorCode::Conflict);
        QCOMPARE(stale.error().key(), n);
        QVERIFY(b.save(n, bytes("2"), bytes("1")).isOk());
        // a still believes "1": refused, and b's value stays.
        QCOMPARE(a.save(n, bytes("3"), bytes("1")).errorCode(), ErrorCode::Conflict);
        QCOMPARE(b.load(n).value(), bytes("2"));
        // Even when the stored value equals a's new value: two increments from 1 to 2 must not
        // both succeed.
        QCOMPARE(a.save(n, bytes("2"), bytes("1")).errorCode(), ErrorCode::Conflict);
        // new == old skips the write, but never hides a changed store.
        QVERIFY(a.save(n, bytes("2"), bytes("2")).isOk());
        QCOMPARE(a.save(n, bytes("9"), bytes("9")).errorCode(), ErrorCode::Conflict);

        // Removal is compare-and-swap too.
        QList<Error> errors = a.saveBatch({StorageWrite{n, std::nullopt, bytes("wrong"), true}});
        QCOMPARE(errors.at(0).code(), ErrorCode::Conflict);
        QCOMPARE(b.load(n).value(), bytes("2"));
        errors = a.saveBatch({StorageWrite{n, std::nullopt, bytes("2"), true}});
        QVERIFY2(!errors.at(0).isError(), qPrintable(errors.at(0).toString()));
        QCOMPARE(b.load(n).errorCode(), ErrorCode::NotFound);
        // b still believes "2": its removal of what is already gone is a conflict too.
        errors = b.saveBatch({StorageWrite{n, std::nullopt, bytes("2"), true}});
        QCOMPARE(errors.at(0).code(), ErrorCode::Conflict);
        QCOMPARE(a.save(n, bytes("4"), bytes("2")).errorCode(), ErrorCode::Conflict);
        // Believing the key absent, with nothing to write, is confirmed.
        errors = b.saveBatch({StorageWrite{n, std::nullopt, std::nullopt, true}});
        QVERIFY(!errors.at(0).isError());
    }

    void batchIsOneTransaction_data() { addSqlRows(); }
    void batchIsOneTransaction()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        auto first = openSql(store);
        auto second = openSql(store);
        QVERIFY2(first.isOk() && second.isOk(), qPrintable(first.error().toString()));
        Storage &a = *first.value();
        Storage &b = *second.value();

        // A conflict is reported for its entry; the others are committed.
        QVERIFY(b.save(QStringLiteral("c"), bytes("theirs"), std::nullopt).isOk());
        QList<Error> errors = a.saveBatch({
            StorageWrite{QStringLiteral("a"), bytes("1"), std::nullopt, true},
            StorageWrite{QStringLiteral("c"), bytes("mine"), std::nullopt, true},
            StorageWrite{QStringLiteral("d"), bytes("4"), std::nullopt, false},
            StorageWrite{QString(), bytes("no key"), std::nullopt, true},
        });
        QCOMPARE(errors.size(), 4);
        QVERIFY(!errors.at(0).isError());
        QCOMPARE(errors.at(1).code(), ErrorCode::Conflict);
        QCOMPARE(errors.at(1).key(), QStringLiteral("c"));
        QVERIFY(!errors.at(2).isError());
        QCOMPARE(errors.at(3).code(), ErrorCode::InvalidKey);
        QCOMPARE(b.load(QStringLiteral("a")).value(), bytes("1"));
        QCOMPARE(b.load(QStringLiteral("c")).value(), bytes("theirs"));
        QCOMPARE(b.load(QStringLiteral("d")).value(), bytes("4"));

        // The database itself refuses one row (a trigger of the application): the transaction
        // is rolled back, nothing of the batch is stored and every entry reports the failure.
        AppConnection app(store);
        QVERIFY(app.db.isOpen());
        QVERIFY(app.refusePoison());
        const QList<StorageWrite> batch{
            StorageWrite{QStringLiteral("x1"), bytes("1"), std::nullopt, true},
            StorageWrite{QStringLiteral("a"), bytes("2"), bytes("1"), true},
            StorageWrite{QStringLiteral("poison"), bytes("3"), std::nullopt, true},
            StorageWrite{QStringLiteral("d"), std::nullopt, std::nullopt, false},
            StorageWrite{QStringLiteral("x2"), bytes("5"), std::nullopt, false},
        };
        errors = a.saveBatch(batch);
        QCOMPARE(errors.size(), batch.size());
        for (qsizetype i = 0; i < batch.size(); ++i) {
            QCOMPARE(errors.at(i).code(), ErrorCode::StorageFailed);
            QCOMPARE(errors.at(i).key(), batch.at(i).key);
            QVERIFY2(errors.at(i).message().contains(QLatin1String("poison refused")),
                     qPrintable(errors.at(i).toString()));
        }
        QCOMPARE(b.load(QStringLiteral("x1")).errorCode(), ErrorCode::NotFound);
        QCOMPARE(b.load(QStringLiteral("a")).value(), bytes("1"));
        QCOMPARE(b.load(QStringLiteral("poison")).errorCode(), ErrorCode::NotFound);
        QCOMPARE(b.load(QStringLiteral("d")).value(), bytes("4"));
        QCOMPARE(b.load(QStringLiteral("x2")).errorCode(), ErrorCode::NotFound);

        // The same batch again, once the database accepts it: everything is stored.
        QVERIFY(app.allowPoison());
        errors = a.saveBatch(batch);
        for (const Error &e : std::as_const(errors))
            QVERIFY2(!e.isError(), qPrintable(e.toString()));
        QCOMPARE(b.load(QStringLiteral("x1")).value(), bytes("1"));
        QCOMPARE(b.load(QStringLiteral("a")).value(), bytes("2"));
        QCOMPARE(b.load(QStringLiteral("poison")).value(), bytes("3"));
        QCOMPARE(b.load(QStringLiteral("d")).errorCode(), ErrorCode::NotFound);
        QCOMPARE(b.load(QStringLiteral("x2")).value(), bytes("5"));

        // A key named twice is written in order.
        errors = a.saveBatch({StorageWrite{QStringLiteral("twice"), bytes("1"), std::nullopt, true},
                              StorageWrite{QStringLiteral("twice"), bytes("2"), bytes("1"), true}});
        QVERIFY(!errors.at(0).isError() && !errors.at(1).isError());
        QCOMPARE(b.load(QStringLiteral("twice")).value(), bytes("2"));
    }

    void largeBatch_data() { addSqlRows(); }
    void largeBatch()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        auto first = openSql(store);
        auto second = openSql(store);
        QVERIFY2(first.isOk() && second.isOk(), qPrintable(first.error().toString()));
        Storage &a = *first.value();
        Storage &b = *second.value();
        constexpr int Rows = 10000;

        QList<StorageWrite> writes;
        QStringList expectedKeys;
        for (int i = 0; i < Rows; ++i) {
            const QString key = QStringLiteral("bulk/%1").arg(i, 5, 10, QLatin1Char('0'));
            expectedKeys.append(key);
            writes.append(StorageWrite{key, QByteArray::number(i), std::nullopt, true});
        }
        QElapsedTimer timer;
        timer.start();
        QList<Error> errors = a.saveBatch(writes);
        qDebug().noquote() << backend << "inserted" << Rows << "rows in one batch in"
                           << timer.elapsed() << "ms";
        QCOMPARE(errors.size(), Rows);
        for (const Error &e : std::as_const(errors))
            QVERIFY2(!e.isError(), qPrintable(e.toString()));

        const Result<QHash<QString, QByteArray>> all = b.loadAll();
        QVERIFY2(all.isOk(), qPrintable(all.error().toString()));
        QCOMPARE(all.value().size(), Rows);
        for (int i = 0; i < Rows; i += 997)
            QCOMPARE(all.value().value(expectedKeys.at(i)), QByteArray::number(i));
        const Result<QStringList> keys = b.keys();
        QVERIFY(keys.isOk());
        QCOMPARE(keys.value(), expectedKeys);

        // Compare-and-swap of every row, after another writer changed three of them: exactly
        // those three conflict.
        const QList<int> changed{10, 5000, Rows - 1};
        for (int i : changed)
            QVERIFY(b.saveUnconditionally(expectedKeys.at(i), bytes("theirs")).isOk());
        for (int i = 0; i < Rows; ++i) {
            writes[i].oldValue = writes.at(i).newValue;
            writes[i].newValue = QByteArray::number(i) + "+";
        }
        timer.restart();
        errors = a.saveBatch(writes);
        qDebug().noquote() << backend << "updated" << Rows
                           << "rows with compare-and-swap in one batch in" << timer.elapsed()
                           << "ms";
        for (int i = 0; i < Rows; ++i) {
            if (changed.contains(i)) {
                QCOMPARE(errors.at(i).code(), ErrorCode::Conflict);
                QCOMPARE(errors.at(i).key(), expectedKeys.at(i));
            } else {
                QVERIFY2(!errors.at(i).isError(), qPrintable(errors.at(i).toString()));
            }
        }
        QCOMPARE(b.load(expectedKeys.at(10)).value(), bytes("theirs"));
        QCOMPARE(b.load(expectedKeys.at(11)).value(), bytes("11+"));

        // And all removed in one batch.
        QList<StorageWrite> removals;
        for (const QString &key : std::as_const(expectedKeys))
            removals.append(StorageWrite{key, std::nullopt, std::nullopt, false});
        errors = a.saveBatch(removals);
        QVERIFY(std::none_of(errors.cbegin(), errors.cend(),
                             [](const Error &e) { return e.isError(); }));
        QCOMPARE(b.loadAll().value().size(), 0);
    }

    void loadAllAndKeys_data() { addSqlRows(); }
    void loadAllAndKeys()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        auto opened = openSql(store);
        QVERIFY2(opened.isOk(), qPrintable(opened.error().toString()));
        Storage &storage = *opened.value();
        QCOMPARE(storage.loadAll().value().size(), 0);
        QCOMPARE(storage.keys().value(), QStringList());
        QVERIFY(storage.save(QStringLiteral("b"), bytes("2"), std::nullopt).isOk());
        QVERIFY(storage.save(QStringLiteral("a"), bytes("1"), std::nullopt).isOk());
        QVERIFY(storage.save(QStringLiteral("c/d"), bytes("3"), std::nullopt).isOk());
        const QHash<QString, QByteArray> expected{{QStringLiteral("a"), bytes("1")},
                                                  {QStringLiteral("b"), bytes("2")},
                                                  {QStringLiteral("c/d"), bytes("3")}};
        QCOMPARE(storage.loadAll().value(), expected);
        QCOMPARE(storage.keys().value(),
                 QStringList({QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c/d")}));
    }

    // loadEach() hands out views of the database's own rows (SQLite: UTF-8 keys straight from
    // sqlite3): every key and value must arrive exactly once, byte for byte, from a real file.
    void loadEachVisitsEveryRowExactly_data() { addSqlRows(); }
    void loadEachVisitsEveryRowExactly()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        QByteArray everyByte;
        for (int b = 0; b < 256; ++b)
            everyByte.append(char(b));
        QHash<QString, QByteArray> expected{
            {QStringLiteral("plain"), bytes("1")},
            {QStringLiteral("\u00fcn\u00efc\u00f6d\u00e9 \u65e5\u672c \U0001F389"),
             QStringLiteral("\u00e9").toUtf8()},
            {QStringLiteral("it's \"quoted\" \\ back"), bytes("'\"")},
            {QStringLiteral("empty value"), QByteArray("")},
            {QStringLiteral("another empty"), QByteArray()},
            {QStringLiteral("binary"), everyByte},
            {QStringLiteral("nul in value"), QByteArray("a\0b\0", 4)},
            {QString(10000, QChar(0x00e4)) + QStringLiteral("end"), QByteArray(100000, 'v')},
        };
        if (backend == QLatin1String("sqlite"))
            expected.insert(QStringLiteral("nul") + QChar(0) + QStringLiteral("inside") + QChar(0),
                            bytes("nul key"));
        {
            auto writer = openSql(store);
            QVERIFY2(writer.isOk(), qPrintable(writer.error().toString()));
            QList<StorageWrite> writes;
            for (auto it = expected.cbegin(); it != expected.cend(); ++it)
                writes.append(StorageWrite{it.key(), it.value(), std::nullopt, true});
            const QList<Error> errors = writer.value()->saveBatch(writes);
            for (const Error &e : errors)
                QVERIFY2(!e.isError(), qPrintable(e.toString()));
            // Compare-and-swap on an empty value: it is a value, not an absence.
            QCOMPARE(writer.value()
                         ->save(QStringLiteral("empty value"), bytes("x"), std::nullopt)
                         .errorCode(),
                     ErrorCode::Conflict);
            QVERIFY(
                writer.value()->save(QStringLiteral("empty value"), bytes("x"), bytes("")).isOk());
            QVERIFY(
                writer.value()->save(QStringLiteral("empty value"), bytes(""), bytes("x")).isOk());
            QVERIFY(writer.value()->close().isOk()); // SQLite: everything is in the file now
        }

        auto reader = openSql(store);
        QVERIFY2(reader.isOk(), qPrintable(reader.error().toString()));
        QHash<QString, QByteArray> seen;
        int visits = 0;
        const Result<void> r =
            reader.value()->loadEach([&](QAnyStringView key, QByteArrayView value) {
                ++visits;
                seen.insert(key.toString(), value.toByteArray());
            });
        QVERIFY2(r.isOk(), qPrintable(r.error().toString()));
        QCOMPARE(visits, expected.size());
        QCOMPARE(seen.size(), expected.size());
        for (auto it = expected.cbegin(); it != expected.cend(); ++it) {
            QVERIFY2(seen.contains(it.key()), qPrintable(it.key().left(40)));
            QCOMPARE(seen.value(it.key()).size(), it.value().size());
            QCOMPARE(seen.value(it.key()), it.value());
        }
        QCOMPARE(reader.value()->loadAll().value(), expected);
        for (auto it = expected.cbegin(); it != expected.cend(); ++it)
            QCOMPARE(reader.value()->load(it.key()).value(), it.value());

        // A visitor that reads nothing, and a store that is closed.
        QVERIFY(reader.value()->loadEach([](QAnyStringView, QByteArrayView) {}).isOk());
        QVERIFY(reader.value()->close().isOk());
        QCOMPARE(reader.value()->loadEach([](QAnyStringView, QByteArrayView) {}).errorCode(),
                 ErrorCode::Closed);
    }

    // A damaged table is a clear store failure naming the file, never a short or empty read.
    void loadEachReportsADamagedFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("damaged.db"));
        {
            auto opened = SqlStorage::openSqlite(path);
            QVERIFY2(opened.isOk(), qPrintable(opened.error().toString()));
            QList<StorageWrite> writes;
            for (int i = 0; i < 2000; ++i)
                writes.append(StorageWrite{QStringLiteral("key/%1").arg(i),
                                           QByteArray(200, char('a' + i % 26)), std::nullopt,
                                           true});
            for (const Error &e : opened.value()->saveBatch(writes))
                QVERIFY2(!e.isError(), qPrintable(e.toString()));
        } // the last connection checkpoints the WAL into the file
        QVERIFY(!QFileInfo::exists(path + QStringLiteral("-wal")));
        int lastRoot = 0;
        {
            const QString name = uniqueName(QStringLiteral("probe-"));
            {
                QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
                db.setDatabaseName(path);
                QVERIFY(db.open());
                QSqlQuery query(db);
                QVERIFY(query.exec(QStringLiteral("SELECT max(rootpage) FROM sqlite_master")));
                QVERIFY(query.next());
                lastRoot = query.value(0).toInt();
                query = QSqlQuery();
                db.close();
            }
            QSqlDatabase::removeDatabase(name);
        }
        QVERIFY(lastRoot > 1);
        // Garbage over every page after the roots: the schema and the schema version stay
        // readable, so opening works, but the table's rows are gone.
        {
            QFile file(path);
            QVERIFY(file.open(QIODevice::ReadWrite));
            const QByteArray header = file.read(100);
            const int pageSize = (uchar(header.at(16)) << 8) | uchar(header.at(17));
            QVERIFY(pageSize >= 512);
            QVERIFY(file.size() > qint64(lastRoot + 2) * pageSize);
            QVERIFY(file.seek(qint64(lastRoot) * pageSize));
            file.write(QByteArray(int(file.size() - file.pos()), char(0xff)));
        }

        auto opened = SqlStorage::openSqlite(path);
        QVERIFY2(opened.isOk(), qPrintable(opened.error().toString()));
        int visits = 0;
        const Result<void> r =
            opened.value()->loadEach([&](QAnyStringView, QByteArrayView) { ++visits; });
        QCOMPARE(r.errorCode(), ErrorCode::StorageFailed);
        QVERIFY2(r.error().message().contains(QLatin1String("cannot read from"))
                     && r.error().message().contains(path)
                     && r.error().message().contains(QLatin1String("damaged")),
                 qPrintable(r.error().toString()));
        const auto all = opened.value()->loadAll();
        QCOMPARE(all.errorCode(), ErrorCode::StorageFailed);
        QVERIFY2(all.error().message().contains(QLatin1String("damaged")),
                 qPrintable(all.error().toString()));
    }

    // Which way SQLite rows go is decided once per storage and logged; PERSISTVAR_SQLITE_NATIVE=0
    // (the second registration of this test in CMake) forces QtSql.
    void sqliteRowPathIsAsConfigured()
    {
        QTemporaryDir dir;
        QStringList decisions;
        {
            MessageCapture log(QStringLiteral("persistvar.*=true\nqt.sql.*=true"),
                               MessageCapture::Passing::Keep);
            auto opened = SqlStorage::openSqlite(dir.filePath(QStringLiteral("path.db")));
            QVERIFY2(opened.isOk(), qPrintable(opened.error().toString()));
            QVERIFY(opened.value()->save(QStringLiteral("k"), bytes("v"), std::nullopt).isOk());
            const QStringList messages = log.messages();
            for (const QString &message : messages) {
                if (message.contains(QLatin1String("reads and writes rows")))
                    decisions.append(message);
            }
        }
        qInfo().noquote() << decisions;
#if PERSISTVAR_TEST_SQLITE_NATIVE
        QCOMPARE(decisions.size(), 1);
        const bool native = decisions.first().contains(QLatin1String("native sqlite3 API"));
        if (qEnvironmentVariable("PERSISTVAR_SQLITE_NATIVE") == QLatin1String("0")) {
            QVERIFY(!native);
            QVERIFY(decisions.first().contains(QLatin1String("PERSISTVAR_SQLITE_NATIVE=0")));
        } else if (!native) {
            // A Qt with its own SQLite (Qt's installers): the fallback, for the right reason.
            QVERIFY2(decisions.first().contains(QLatin1String("does not use PersistVar's")),
                     qPrintable(decisions.first()));
            qWarning("The native SQLite path is not covered by this run");
        }
#else
        QCOMPARE(decisions.size(), 0);
#endif
    }

    void connectionPerThread_data()
    {
        addSqlRows();
    }
    void connectionPerThread()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        // Qt warns when a connection is used, or removed while in use, across threads.
        QTest::failOnWarning(QRegularExpression(QStringLiteral(".*")));
        const int before = persistVarConnections();
        auto opened = openSql(store);
        QVERIFY2(opened.isOk(), qPrintable(opened.error().toString()));
        SqlStorage &storage = *opened.value();
        QCOMPARE(persistVarConnections(), before + 1);
        QVERIFY(storage.save(QStringLiteral("main"), bytes("from main"), std::nullopt).isOk());

        Result<QByteArray> seenByWorker = Error();
        Result<void> workerSave;
        std::unique_ptr<QThread> worker(QThread::create([&] {
            seenByWorker = storage.load(QStringLiteral("main"));
            workerSave = storage.save(QStringLiteral("worker"), bytes("from worker"), std::nullopt);
        }));
        worker->start();
        QVERIFY(worker->wait(60000));
        QCOMPARE(seenByWorker.value(), bytes("from main"));
        QVERIFY2(workerSave.isOk(), qPrintable(workerSave.error().toString()));
        QCOMPARE(storage.load(QStringLiteral("worker")).value(), bytes("from worker"));
        // The worker's connection went with its thread (its thread-local clean-up may run just
        // after wait() returned).
        QTRY_COMPARE(persistVarConnections(), before + 1);

        // close() from this thread also closes the connection of a thread that still runs.
        QSemaphore used;
        QSemaphore closed;
        Result<QByteArray> afterClose = bytes("unset");
        std::unique_ptr<QThread> running(QThread::create([&] {
            const Result<QByteArray> r = storage.load(QStringLiteral("worker"));
            Q_UNUSED(r)
            used.release();
            closed.acquire();
            afterClose = storage.load(QStringLiteral("worker"));
        }));
        running->start();
        used.acquire();
        QCOMPARE(persistVarConnections(), before + 2);
        QVERIFY(storage.close().isOk());
        QCOMPARE(persistVarConnections(), before);
        closed.release();
        QVERIFY(running->wait(60000));
        QCOMPARE(afterClose.errorCode(), ErrorCode::Closed);
    }

    void fromApplicationConnection_data()
    {
        addSqlRows();
    }
    void fromApplicationConnection()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        QTest::failOnWarning(QRegularExpression(QStringLiteral(".*")));
        AppConnection app(store);
        QVERIFY(app.db.isOpen());
        SqlStorage::Options options;
        options.table = app.table;
        auto opened = SqlStorage::fromConnection(app.name, options);
        QVERIFY2(opened.isOk(), qPrintable(opened.error().toString()));
        SqlStorage &storage = *opened.value();
        QVERIFY(storage.description().contains(app.name));

        // On the application's thread the storage uses the application's connection...
        const int before = persistVarConnections();
        QVERIFY(storage.save(QStringLiteral("here"), bytes("1"), std::nullopt).isOk());
        QCOMPARE(persistVarConnections(), before);
        // ...and a copy of it on other threads.
        Result<void> fromThread;
        std::unique_ptr<QThread> worker(QThread::create(
            [&] { fromThread = storage.save(QStringLiteral("there"), bytes("2"), std::nullopt); }));
        worker->start();
        QVERIFY(worker->wait(60000));
        QVERIFY2(fromThread.isOk(), qPrintable(fromThread.error().toString()));

        // The application's own SQL and the storage share the table side by side.
        const QString select =
            QStringLiteral("SELECT \"value\" FROM \"%1\" WHERE \"key\" = ?").arg(app.table);
        QCOMPARE(app.column(select, {QStringLiteral("there")}).value(0).toByteArray(), bytes("2"));
        QVERIFY(app.exec(
            QStringLiteral("INSERT INTO \"%1\" (\"key\", \"value\") VALUES (?, ?)").arg(app.table),
            {QStringLiteral("by app"), bytes("3")}));
        QCOMPARE(storage.load(QStringLiteral("by app")).value(), bytes("3"));

        // Closing the storage leaves the application's connection open and usable.
        QVERIFY(storage.close().isOk());
        QVERIFY(app.db.isOpen());
        QCOMPARE(app.column(select, {QStringLiteral("here")}).value(0).toByteArray(), bytes("1"));
    }

    // PostgreSQL plans a prepared statement for its parameters' values only in its first five
    // runs; later it may use one generic plan, which does not know the arrays' sizes. The batch
    // statement must stay linear under it: it once ran its conflict check as a nested loop,
    // 11.8 s for 10,000 rows instead of 0.23 s, from the sixth large sync on a connection.
    // The application's connection makes the server use the generic plan from the first run,
    // and gives up on a statement after 20 s (the old plan needs about 100 s for these rows).
    void postgresBatchIsLinearUnderAGenericPlan()
    {
        TestBackends::Store store(QStringLiteral("postgresql"));
        PERSISTVAR_REQUIRE_STORE(store);
        AppConnection app(store);
        QVERIFY(app.db.isOpen());
        QVERIFY(app.exec(QStringLiteral("SET plan_cache_mode = force_generic_plan")));
        QVERIFY(app.exec(QStringLiteral("SET statement_timeout = '20s'")));
        SqlStorage::Options options;
        options.table = app.table;
        auto opened = SqlStorage::fromConnection(app.name, options);
        QVERIFY2(opened.isOk(), qPrintable(opened.error().toString()));
        SqlStorage &storage = *opened.value();
        auto other = openSql(store);
        QVERIFY2(other.isOk(), qPrintable(other.error().toString()));

        constexpr int Rows = 30000;
        QList<StorageWrite> writes;
        for (int i = 0; i < Rows; ++i)
            writes.append(StorageWrite{QStringLiteral("generic/%1").arg(i), QByteArray::number(i),
                                       std::nullopt, true});
        const auto noErrors = [](const QList<Error> &errors) {
            for (const Error &e : errors)
                if (e.isError())
                    return e.toString();
            return QString();
        };
        // Inserts, then compare-and-swap of every row with one changed meanwhile, then plain
        // overwrites: each part of the statement under the generic plan.
        QList<Error> errors = storage.saveBatch(writes);
        QCOMPARE(errors.size(), Rows);
        QCOMPARE(noErrors(errors), QString());
        QVERIFY(other.value()
                    ->saveUnconditionally(QStringLiteral("generic/7"), bytes("theirs"))
                    .isOk());
        for (StorageWrite &w : writes) {
            w.oldValue = w.newValue;
            w.newValue = *w.newValue + "+";
        }
        errors = storage.saveBatch(writes);
        QCOMPARE(errors.size(), Rows);
        QCOMPARE(errors.at(7).code(), ErrorCode::Conflict);
        errors.removeAt(7);
        QCOMPARE(noErrors(errors), QString());
        for (StorageWrite &w : writes) {
            w.newValue = *w.newValue + "!";
            w.compareOldValue = false;
        }
        QCOMPARE(noErrors(storage.saveBatch(writes)), QString());

        const Result<QHash<QString, QByteArray>> all = other.value()->loadAll();
        QVERIFY2(all.isOk(), qPrintable(all.error().toString()));
        QCOMPARE(all.value().size(), Rows);
        QCOMPARE(all.value().value(QStringLiteral("generic/7")), bytes("7+!"));
        QCOMPARE(all.value().value(QStringLiteral("generic/8")), bytes("8+!"));
        QCOMPARE(all.value().value(QStringLiteral("generic/29999")), bytes("29999+!"));
        QVERIFY(storage.close().isOk());
    }

    void fromConnectionRefusesWhatItCannotUse()
    {
        QCOMPARE(SqlStorage::fromConnection(QStringLiteral("no such connection")).errorCode(),
                 ErrorCode::InvalidArgument);

        const QString name = uniqueName(QStringLiteral("elsewhere-"));
        QTemporaryDir dir;
        std::unique_ptr<QThread> owner(QThread::create([&] {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
            db.setDatabaseName(dir.filePath(QStringLiteral("other.db")));
        }));
        owner->start();
        QVERIFY(owner->wait(60000));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("does not belong")));
        const auto wrongThread = SqlStorage::fromConnection(name);
        QCOMPARE(wrongThread.errorCode(), ErrorCode::InvalidArgument);
        QVERIFY2(wrongThread.error().message().contains(QLatin1String("thread")),
                 qPrintable(wrongThread.error().toString()));
        QSqlDatabase::removeDatabase(name);
    }

    void tableNameIsValidated_data()
    {
        QTest::addColumn<QString>("backend");
        QTest::addColumn<QString>("table");
        const QStringList bad{
            QStringLiteral("x; DROP TABLE y"),
            QStringLiteral("persistvar\"; DROP TABLE persistvar; --"),
            QStringLiteral("t' OR '1'='1"),
            QStringLiteral("a-b"),
            QStringLiteral("a b"),
            QStringLiteral("trailing\n"),
            QStringLiteral("main.persistvar"),
            QStringLiteral("1abc"),
            QStringLiteral("t\u00e4ble"),
            QString(64, QLatin1Char('t')),
            QStringLiteral("persistvar_meta"),
            QStringLiteral("sqlite_master"),
        };
        for (const QString &backend : {QStringLiteral("sqlite"), QStringLiteral("postgresql")})
            for (const QString &table : bad)
                QTest::addRow(
                    "%s %s", qPrintable(backend),
                    qPrintable(QString(table).replace(QLatin1Char('\n'), QLatin1String("\\n"))))
                    << backend << table;
    }
    void tableNameIsValidated()
    {
        QFETCH(QString, backend);
        QFETCH(QString, table);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("app.db"));
        SqlStorage::Options options;
        options.table = table;
        // PostgreSQL names are refused before any connection is attempted: no server needed.
        const auto opened = backend == QLatin1String("sqlite")
            ? SqlStorage::openSqlite(path, options)
            : SqlStorage::openPostgreSql(QStringLiteral("postgresql://nobody@127.0.0.1:1/db"),
                                         options);
        QCOMPARE(opened.errorCode(), ErrorCode::InvalidArgument);
        QVERIFY(!QFileInfo::exists(path));
        // Through a store name as well (which trims white space).
        if (table.trimmed() != table)
            return;
        const QString name = backend == QLatin1String("sqlite")
            ? QStringLiteral("sqlite:%1?table=%2").arg(path, table)
            : QStringLiteral("postgresql://nobody@127.0.0.1:1/db?table=%1")
                  .arg(QString::fromUtf8(QUrl::toPercentEncoding(table)));
        QCOMPARE(openStorage(name).errorCode(), ErrorCode::InvalidArgument);
        QVERIFY(!QFileInfo::exists(path));
    }

    void awkwardKeysAreStoredLiterally_data()
    {
        addSqlRows();
    }
    void awkwardKeysAreStoredLiterally()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        // A reserved word as table name works because identifiers are quoted. On a shared
        // PostgreSQL server, start from a clean table.
        {
            AppConnection app(store);
            QVERIFY(app.db.isOpen());
            if (backend == QLatin1String("postgresql")) {
                QVERIFY(app.exec(QStringLiteral("DROP TABLE IF EXISTS \"select\"")));
                if (!app.columnsOf(QStringLiteral("persistvar_meta")).isEmpty())
                    QVERIFY(app.exec(QStringLiteral("DELETE FROM persistvar_meta WHERE "
                                                    "table_name = 'select'")));
            }
        }
        auto first = openSql(store, QStringLiteral("select"));
        auto second = openSql(store, QStringLiteral("select"));
        QVERIFY2(first.isOk() && second.isOk(), qPrintable(first.error().toString()));
        Storage &a = *first.value();
        Storage &b = *second.value();

        QStringList keys{
            QStringLiteral("it's"),
            QStringLiteral("double\"quote"),
            QStringLiteral("semi;colon"),
            QStringLiteral("-- comment"),
            QStringLiteral("'; DROP TABLE \"select\"; --"),
            QStringLiteral("back\\slash\\"),
            QStringLiteral("100% _wild_"),
            QStringLiteral("?"),
            QStringLiteral(":name"),
            QStringLiteral("$1"),
            QStringLiteral(" padded "),
            QStringLiteral("new\nline\ttab"),
            QStringLiteral("\u00fcn\u00efc\u00f6d\u00e9 \U0001F389"),
            QString(10000, QLatin1Char('k')) + QStringLiteral("end"),
        };
        // 10,000 characters that do not compress: PostgreSQL's index entries could not hold
        // them whole.
        QString incompressible;
        QRandomGenerator random(42);
        while (incompressible.size() < 10000)
            incompressible.append(QChar(char16_t(random.bounded(0x21, 0x2FFF))));
        keys.append(incompressible);
        const QString withNul = QStringLiteral("nul") + QChar(0) + QStringLiteral("inside");
        if (backend == QLatin1String("sqlite"))
            keys.append(withNul);

        for (const QString &key : std::as_const(keys)) {
            const Result<void> r = a.save(key, key.toUtf8() + '!', std::nullopt);
            QVERIFY2(r.isOk(), qPrintable(r.error().toString()));
        }
        for (const QString &key : std::as_const(keys))
            QCOMPARE(b.load(key).value(), key.toUtf8() + '!');
        QStringList listed = b.keys().value();
        listed.sort();
        QStringList expected = keys;
        expected.sort();
        QCOMPARE(listed, expected);
        const QHash<QString, QByteArray> all = b.loadAll().value();
        QCOMPARE(all.size(), keys.size());
        for (const QString &key : std::as_const(keys))
            QCOMPARE(all.value(key), key.toUtf8() + '!');
        // Nothing was executed: the other table is still there.
        QCOMPARE(b.load(QStringLiteral("it's")).value(), bytes("it's!"));

        if (backend == QLatin1String("postgresql")) {
            // PostgreSQL text cannot hold NUL: a clear refusal instead of a cut key.
            const Result<void> r = a.save(withNul, bytes("x"), std::nullopt);
            QCOMPARE(r.errorCode(), ErrorCode::InvalidKey);
            QCOMPARE(b.load(withNul).errorCode(), ErrorCode::InvalidKey);
        }
        const QString unpaired = QStringLiteral("half") + QChar(0xD800);
        QCOMPARE(a.save(unpaired, bytes("x"), std::nullopt).errorCode(), ErrorCode::InvalidKey);
        QCOMPARE(a.save(QString(), bytes("x"), std::nullopt).errorCode(), ErrorCode::InvalidKey);
        QCOMPARE(a.load(QString()).errorCode(), ErrorCode::InvalidKey);
    }

    void schemaIsCreatedAndVersioned_data()
    {
        addSqlRows();
    }
    void schemaIsCreatedAndVersioned()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        SqlStorage::Options options;
        options.durability = SqlStorage::Durability::Normal;
        auto opened = openSql(store, QString(), options);
        QVERIFY2(opened.isOk(), qPrintable(opened.error().toString()));
        AppConnection app(store);
        QCOMPARE(app.columnsOf(app.table),
                 QStringList({QStringLiteral("key"), QStringLiteral("value")}));
        QCOMPARE(app.column(QStringLiteral("SELECT schema_version FROM persistvar_meta WHERE "
                                           "table_name = ?"),
                            {app.table})
                     .value(0)
                     .toInt(),
                 1);
        if (backend == QLatin1String("sqlite")) {
            QCOMPARE(app.column(QStringLiteral("PRAGMA journal_mode")).value(0).toString(),
                     QStringLiteral("wal"));
            // New files are private to their owner.
            QCOMPARE(
                QFileInfo(sqlitePath(store)).permissions()
                    & (QFile::ReadGroup | QFile::WriteGroup | QFile::ReadOther | QFile::WriteOther),
                QFile::Permissions());
        }
        // A second open finds the schema and changes nothing.
        auto again = openSql(store);
        QVERIFY2(again.isOk(), qPrintable(again.error().toString()));
        QCOMPARE(app.column(QStringLiteral("SELECT count(*) FROM persistvar_meta WHERE "
                                           "table_name = ?"),
                            {app.table})
                     .value(0)
                     .toInt(),
                 1);
    }

    void busyDatabaseIsWaitedFor_data()
    {
        addSqlRows();
    }
    void busyDatabaseIsWaitedFor()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        SqlStorage::Options quick;
        quick.busyTimeout = std::chrono::milliseconds(200);
        auto impatient = openSql(store, QString(), quick);
        auto patient = openSql(store);
        QVERIFY2(impatient.isOk() && patient.isOk(), qPrintable(impatient.error().toString()));
        const QString key = QStringLiteral("contested");
        QVERIFY(patient.value()->save(key, bytes("0"), std::nullopt).isOk());

        // Another connection holds the write lock for 2 s, as another process would.
        LockHolder holder(store, key, 2000);
        const Result<void> refused = impatient.value()->save(key, bytes("1"), bytes("0"));
        QCOMPARE(refused.errorCode(), ErrorCode::StorageFailed);
        QVERIFY2(refused.error().message().contains(QLatin1String("busy timeout of 200 ms")),
                 qPrintable(refused.error().toString()));
        // With the default timeout the write waits for the lock and then succeeds.
        const Result<void> waited = patient.value()->save(key, bytes("2"), bytes("0"));
        QVERIFY2(waited.isOk(), qPrintable(waited.error().toString()));
        QCOMPARE(impatient.value()->load(key).value(), bytes("2"));
    }

    void notADatabaseIsLeftUntouched()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("notes.db"));
        QByteArray content;
        while (content.size() < 8192)
            content += "These are my notes, not an SQLite database.\n";
        {
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(content);
        }
        const auto opened = SqlStorage::openSqlite(path);
        QCOMPARE(opened.errorCode(), ErrorCode::StorageFailed);
        QVERIFY2(opened.error().message().contains(path)
                     && opened.error().message().contains(QLatin1String("not a database")),
                 qPrintable(opened.error().toString()));
        QCOMPARE(VarManager::open(QStringLiteral("sqlite:") + path).errorCode(),
                 ErrorCode::StorageFailed);

        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), content);
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{QStringLiteral("notes.db")});
    }

    void foreignSchemaIsLeftUntouched_data()
    {
        addSqlRows();
    }
    void foreignSchemaIsLeftUntouched()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        AppConnection app(store);
        QVERIFY(app.db.isOpen());
        const QString table = uniqueName(QStringLiteral("foreign_")).toLower();
        QVERIFY(app.exec(
            QStringLiteral("CREATE TABLE %1 (id INTEGER PRIMARY KEY, name TEXT)").arg(table)));
        QVERIFY(app.exec(QStringLiteral("INSERT INTO %1 (id, name) VALUES (?, ?)").arg(table),
                         {7, QStringLiteral("Ada")}));

        const auto opened = openSql(store, table);
        QCOMPARE(opened.errorCode(), ErrorCode::StorageFailed);
        QVERIFY2(opened.error().message().contains(table)
                     && opened.error().message().contains(QLatin1String("foreign schema")),
                 qPrintable(opened.error().toString()));

        QCOMPARE(app.columnsOf(table), QStringList({QStringLiteral("id"), QStringLiteral("name")}));
        QCOMPARE(app.column(QStringLiteral("SELECT name FROM %1 WHERE id = 7").arg(table)),
                 QVariantList({QStringLiteral("Ada")}));
        QCOMPARE(app.column(QStringLiteral("SELECT count(*) FROM %1").arg(table)).value(0).toInt(),
                 1);
        if (!app.columnsOf(QStringLiteral("persistvar_meta")).isEmpty())
            QCOMPARE(app.column(QStringLiteral("SELECT count(*) FROM persistvar_meta WHERE "
                                               "table_name = ?"),
                                {table})
                         .value(0)
                         .toInt(),
                     0);
    }

    void readOnlyStore_data()
    {
        QTest::addColumn<bool>("readOnlyFolder");
        QTest::newRow("read-only file") << false;
        QTest::newRow("read-only folder") << true;
    }
    void readOnlyStore()
    {
        QFETCH(bool, readOnlyFolder);
        QTemporaryDir dir;
        const QString folder = dir.filePath(QStringLiteral("store"));
        const QString path = folder + QStringLiteral("/app.db");
        {
            auto storage = SqlStorage::openSqlite(path);
            QVERIFY2(storage.isOk(), qPrintable(storage.error().toString()));
            QVERIFY(
                storage.value()->save(QStringLiteral("kept"), bytes("safe"), std::nullopt).isOk());
        } // closed: SQLite removes its -wal and -shm files

        using P = QFile::Permission;
        const QFile::Permissions readOnlyFile = P::ReadOwner | P::ReadGroup | P::ReadOther;
        const QFile::Permissions everything = readOnlyFile | P::WriteOwner | P::WriteGroup
            | P::WriteOther | P::ExeOwner | P::ExeGroup | P::ExeOther;
        const QFile::Permissions readOnlyDir =
            readOnlyFile | P::ExeOwner | P::ExeGroup | P::ExeOther;
        QVERIFY(QFile::setPermissions(dir.path(), readOnlyDir));
        QVERIFY(QFile::setPermissions(folder, readOnlyFolder ? readOnlyDir : everything));
        QVERIFY(QFile::setPermissions(path,
                                      readOnlyFolder
                                          ? everything & ~(P::ExeOwner | P::ExeGroup | P::ExeOther)
                                          : readOnlyFile));
        const auto restorePermissions = [&] {
            QFile::setPermissions(folder, P::ReadOwner | P::WriteOwner | P::ExeOwner);
            QFile::setPermissions(dir.path(), P::ReadOwner | P::WriteOwner | P::ExeOwner);
            QFile::setPermissions(path, P::ReadOwner | P::WriteOwner);
        };
        const auto restoreOnFailure = qScopeGuard(restorePermissions);

        QStringList lines;
        if (::geteuid() == 0) {
            // Root ignores file permissions: observe as the unprivileged user nobody.
            const QString runuser = QStandardPaths::findExecutable(QStringLiteral("runuser"));
            if (runuser.isEmpty())
                QSKIP("root ignores file permissions, and runuser is missing to check as nobody");
            QProcess child;
            child.start(runuser,
                        {QStringLiteral("-u"), QStringLiteral("nobody"), QStringLiteral("--"),
                         QCoreApplication::applicationFilePath(),
                         QString::fromLatin1(ReadOnlyChildFlag), path});
            QVERIFY(child.waitForFinished(60000));
            const QByteArray errors = child.readAllStandardError();
            if (child.exitCode() == 126 || child.exitCode() == 127)
                QSKIP(qPrintable(QStringLiteral("root ignores file permissions, and user nobody "
                                                "cannot run %1: %2")
                                     .arg(QCoreApplication::applicationFilePath(),
                                          QString::fromLocal8Bit(errors))));
            QVERIFY2(child.exitStatus() == QProcess::NormalExit && child.exitCode() == 0,
                     errors.constData());
            lines =
                QString::fromUtf8(child.readAllStandardOutput()).trimmed().split(QLatin1Char('\n'));
        } else {
            lines = readOnlyObservations(path);
        }
        qDebug().noquote() << "as an unprivileged user:" << lines.join(QStringLiteral(" | "));

        // Either the store cannot be opened at all, with a clear error, or it reads and refuses
        // every write with a clear error.
        QVERIFY(!lines.isEmpty());
        if (lines.at(0) != QLatin1String("open NoError")) {
            QVERIFY2(lines.at(0).startsWith(QLatin1String("open StorageFailed"))
                         && lines.at(0).contains(path),
                     qPrintable(lines.at(0)));
        } else {
            QCOMPARE(lines.size(), 4);
            QCOMPARE(lines.at(1), QStringLiteral("load NoError safe"));
            QVERIFY2(lines.at(2).startsWith(QLatin1String("save StorageFailed"))
                         && lines.at(2).contains(QLatin1String("read-only")),
                     qPrintable(lines.at(2)));
            QVERIFY2(lines.at(3).startsWith(QLatin1String("batch StorageFailed")),
                     qPrintable(lines.at(3)));
        }

        // Nothing was lost or changed.
        restorePermissions();
        auto storage = SqlStorage::openSqlite(path);
        QVERIFY2(storage.isOk(), qPrintable(storage.error().toString()));
        QCOMPARE(storage.value()->load(QStringLiteral("kept")).value(), bytes("safe"));
        QCOMPARE(storage.value()->load(QStringLiteral("new")).errorCode(), ErrorCode::NotFound);
    }

    void postgresUrlsAreChecked_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("unknown option")
            << QStringLiteral("postgresql://ada:s3cretPw@db.example/app?tabel=x")
            << QStringLiteral("tabel");
        QTest::newRow("no database")
            << QStringLiteral("postgresql://ada:s3cretPw@db.example") << QStringLiteral("database");
        QTest::newRow("no host") << QStringLiteral("postgresql://ada:s3cretPw@/app")
                                 << QStringLiteral("host");
        QTest::newRow("bad port") << QStringLiteral(
            "postgresql://ada:s3cretPw@db.example:99999/app")
                                  << QStringLiteral("malformed");
        QTest::newRow("space") << QStringLiteral("postgresql://ada:s3cretPw@db example/app")
                               << QStringLiteral("malformed");
        QTest::newRow("table twice")
            << QStringLiteral("postgres://ada:s3cretPw@db.example/app?table=a&table=b")
            << QStringLiteral("twice");
        QTest::newRow("bad sslmode")
            << QStringLiteral("postgresql://ada:s3cretPw@db.example/app?sslmode=sure")
            << QStringLiteral("sslmode");
        QTest::newRow("option injection") << QStringLiteral(
            "postgresql://ada:s3cretPw@db.example/app?application_name=x%20host%3Devil")
                                          << QStringLiteral("application_name");
    }
    void postgresUrlsAreChecked()
    {
        QFETCH(QString, url);
        QFETCH(QString, mentions);
        const auto opened = SqlStorage::openPostgreSql(url);
        QCOMPARE(opened.errorCode(), ErrorCode::InvalidArgument);
        QVERIFY2(opened.error().message().contains(mentions),
                 qPrintable(opened.error().toString()));
        QVERIFY2(!opened.error().toString().contains(QLatin1String("s3cretPw")),
                 qPrintable(opened.error().toString()));
        QVERIFY(!openStorage(url).error().toString().contains(QLatin1String("s3cretPw")));
    }

    void postgresRefusalsAreClearAndKeepThePassword_data()
    {
        QTest::addColumn<QString>("what");
        QTest::newRow("server down") << QStringLiteral("server down");
        QTest::newRow("unknown database") << QStringLiteral("unknown database");
        QTest::newRow("unknown role") << QStringLiteral("unknown role");
    }
    void postgresRefusalsAreClearAndKeepThePassword()
    {
        QFETCH(QString, what);
        const QString password = QStringLiteral("Pa55-w0rd/with@odd:chars");
        const QString encoded = QString::fromUtf8(QUrl::toPercentEncoding(password));
        QString url;
        QStringList mentions;
        if (what == QLatin1String("server down")) {
            // Nothing listens on port 1 of the loopback interface: connection refused.
            url = QStringLiteral("postgresql://ada:%1@127.0.0.1:1/appdb").arg(encoded);
            mentions = QStringList{QStringLiteral("127.0.0.1"), QStringLiteral(":1/"),
                                   QStringLiteral("appdb"), QStringLiteral("ada@"),
                                   QStringLiteral("refused")};
        } else {
            const QString server = TestBackends::postgresUrl();
            if (server.isEmpty())
                QSKIP("no PostgreSQL server: set PERSISTVAR_TEST_POSTGRES_URL or run scripts/test, "
                      "which starts one");
            QUrl target(server);
            target.setPassword(password);
            if (what == QLatin1String("unknown database")) {
                target.setPath(QStringLiteral("/no_such_database"));
                mentions = QStringList{QStringLiteral("no_such_database"),
                                       QStringLiteral("does not exist")};
            } else {
                target.setUserName(QStringLiteral("no_such_role"));
                mentions =
                    QStringList{QStringLiteral("no_such_role"), QStringLiteral("does not exist")};
            }
            mentions << target.host() << QString::number(target.port(5432));
            url = target.toString();
        }
        MessageCapture log(QStringLiteral("persistvar.*=true\nqt.sql.*=true"),
                           MessageCapture::Passing::Keep);
        QElapsedTimer timer;
        timer.start();
        const auto opened = SqlStorage::openPostgreSql(url);
        QCOMPARE(opened.errorCode(), ErrorCode::StorageFailed);
        const QString text = opened.error().toString();
        for (const QString &part : std::as_const(mentions))
            QVERIFY2(text.contains(part),
                     qPrintable(QStringLiteral("%1 lacks %2").arg(text, part)));
        QVERIFY2(!text.contains(password) && !text.contains(encoded), qPrintable(text));
        // Also through a store name and a manager, and in nothing that was logged.
        QVERIFY(!VarManager::open(url).error().toString().contains(password));
        for (const QString &message : log.messages())
            QVERIFY2(!message.contains(password) && !message.contains(encoded),
                     qPrintable(message));
        qDebug().noquote() << what << "reported after" << timer.elapsed() << "ms:" << text;
    }

    void watchingReportsOtherWriters_data()
    {
        addSqlRows();
    }
    void watchingReportsOtherWriters()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        auto watched = openSql(store);
        auto other = openSql(store);
        QVERIFY2(watched.isOk() && other.isOk(), qPrintable(watched.error().toString()));
        SqlStorage &a = *watched.value();
        SqlStorage &b = *other.value();
        QVERIFY(b.save(QStringLiteral("before"), bytes("0"), std::nullopt).isOk());

        QObject context;
        QStringList reported;
        QVERIFY(
            a.startWatching(&context, [&](const QStringList &keys) { reported += keys; }).isOk());
        QVERIFY(b.save(QStringLiteral("k"), bytes("1"), std::nullopt).isOk());
        QTRY_VERIFY_WITH_TIMEOUT(reported.contains(QStringLiteral("k")), 10000);
        QVERIFY(!reported.contains(QStringLiteral("before"))); // what was there is no change

        reported.clear();
        const QList<Error> errors =
            b.saveBatch({StorageWrite{QStringLiteral("k"), std::nullopt, bytes("1"), true},
                         StorageWrite{QStringLiteral("m"), bytes("2"), std::nullopt, true}});
        QVERIFY(!errors.at(0).isError() && !errors.at(1).isError());
        QTRY_VERIFY_WITH_TIMEOUT(reported.contains(QStringLiteral("k"))
                                     && reported.contains(QStringLiteral("m")),
                                 10000);

        if (backend == QLatin1String("sqlite")) {
            // The application's own SQL on another connection is seen as well.
            reported.clear();
            AppConnection app(store);
            QVERIFY(app.exec(
                QStringLiteral("UPDATE \"%1\" SET \"value\" = ? WHERE \"key\" = ?").arg(app.table),
                {bytes("by app"), QStringLiteral("m")}));
            QTRY_COMPARE_WITH_TIMEOUT(reported, QStringList{QStringLiteral("m")}, 10000);
        }

        // Watching needs the context's thread.
        Result<void> fromElsewhere;
        std::unique_ptr<QThread> elsewhere(QThread::create(
            [&] { fromElsewhere = a.startWatching(&context, [](const QStringList &) {}); }));
        elsewhere->start();
        QVERIFY(elsewhere->wait(60000));
        QCOMPARE(fromElsewhere.errorCode(), ErrorCode::InvalidArgument);

        // Nothing is reported after stopWatching(), nor after close().
        a.stopWatching();
        reported.clear();
        QVERIFY(b.save(QStringLiteral("after"), bytes("3"), std::nullopt).isOk());
        QTest::qWait(700);
        QCOMPARE(reported, QStringList());
        QVERIFY(
            a.startWatching(&context, [&](const QStringList &keys) { reported += keys; }).isOk());
        QVERIFY(a.close().isOk());
        QVERIFY(b.save(QStringLiteral("closed"), bytes("4"), std::nullopt).isOk());
        QTest::qWait(700);
        QCOMPARE(reported, QStringList());
        QCOMPARE(a.startWatching(&context, [](const QStringList &) {}).errorCode(),
                 ErrorCode::Closed);
    }

    void managerEndToEnd_data()
    {
        addSqlRows();
    }
    void managerEndToEnd()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        // SQLite: in folders that do not exist yet.
        const QString name = backend == QLatin1String("sqlite")
            ? QStringLiteral("sqlite:%1/x/y/app.db").arg(store.directory())
            : store.name();
        {
            auto opened = VarManager::open(name);
            QVERIFY2(opened.isOk(), qPrintable(opened.error().toString()));
            Var<int> *launches = opened.value()->var<int>(QStringLiteral("launches"), 0).value();
            QVERIFY(launches);
            QCOMPARE(launches->get(), 0);
            QVERIFY(launches->set(42).isOk());
        }
        {
            auto opened = VarManager::open(name);
            QVERIFY2(opened.isOk(), qPrintable(opened.error().toString()));
            QCOMPARE(opened.value()->var<int>(QStringLiteral("launches"), 0).value()->get(), 42);
        }
        if (backend == QLatin1String("sqlite")) {
            const QFile::Permissions ownerOnly =
                QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner;
            for (const QString &folder : {QStringLiteral("/x"), QStringLiteral("/x/y")})
                QCOMPARE(QFileInfo(store.directory() + folder).permissions()
                             & ~(QFile::ReadUser | QFile::WriteUser | QFile::ExeUser),
                         ownerOnly);
            QCOMPARE(QFileInfo(store.directory() + QStringLiteral("/x/y/app.db")).permissions()
                         & ~(QFile::ReadUser | QFile::WriteUser | QFile::ExeUser),
                     QFile::ReadOwner | QFile::WriteOwner);
        }
    }
};

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    // Child mode for readOnlyStore(): root ignores file permissions, so that check runs this
    // program again as an unprivileged user.
    if (argc == 3 && qstrcmp(argv[1], ReadOnlyChildFlag) == 0)
        return readOnlyChild(QString::fromLocal8Bit(argv[2]));
    TestSqlStorage test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_sqlstorage.moc"
