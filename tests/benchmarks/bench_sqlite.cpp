// SPDX-License-Identifier: MIT
// PersistVar on SQLite against raw sqlite3 doing the same work, in one process, repetitions
// interleaved (PersistVar, then raw sqlite3) so machine noise hits both alike.
//
// Figures:
//   sync10_of_100_sqlite_ms, sync10_of_100k_sqlite_ms: VarManager::sync() after setLazy() of 10
//     variables, in a store of 100 and of 100,000 stored variables.
//   raw_sqlite_sync10_ms: raw sqlite3 upserting the same 10 rows of a 100,000-row table in one
//     transaction.
//   sync_all_100k_sqlite_ms, raw_sqlite_all_100k_ms: every one of 100,000 stored variables changed
//     and synced; raw sqlite3 upserting the same 100,000 rows in one transaction.
//   open_100k_sqlite_ms: opening a manager on the 100,000-variable store and creating every
//     variable (each reads its stored value).
//   select_all_100k_ms: one SELECT of every key and value of that table, on a fresh connection.
//
// Fairness: the raw sqlite3 side works on a table that PersistVar itself created (same schema),
// in a file in the same folder, with the same durability as PersistVar's default
// (journal_mode=WAL, synchronous=FULL, checked below), with one prepared statement reused and
// the values already encoded before the clock starts. PersistVar's figures include encoding,
// its compare-and-swap and its bookkeeping; setLazy() itself is outside the clock (it is
// setlazy_ns). Raw sqlite3 gets SQLITE_OPEN_NOMUTEX, like Qt's driver. The order of the sides
// alternates between repetitions, so neither always pays for the other's WAL checkpoint.
#include "benchutil.h"

#include <persistvar/codec.h>
#include <persistvar/sqlstorage.h>
#include <persistvar/varmanager.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QHash>
#include <QtCore/QList>

#include <sqlite3.h>

#include <functional>
#include <string>

using namespace PersistVar;

namespace {

constexpr int bigCount = 100'000;
constexpr int smallCount = 100;
constexpr int changedCount = 10;

// The value variable i holds after round r: never the default (0), different in every round,
// of the same encoded size in every round.
int valueFor(int round, int i)
{
    return 1'000'000 + round * 200'000 + i;
}

class RawSqlite
{
public:
    RawSqlite(const QString &path, const QString &table)
    {
        const QByteArray file = path.toUtf8();
        if (sqlite3_open_v2(file.constData(), &m_db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                            nullptr)
            != SQLITE_OK)
            fail("open");
        exec("PRAGMA journal_mode=WAL");
        exec("PRAGMA synchronous=FULL");
        exec("PRAGMA busy_timeout=10000");
        const std::string upsert = "INSERT INTO " + table.toStdString()
            + "(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value";
        if (sqlite3_prepare_v3(m_db, upsert.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &m_upsert,
                               nullptr)
            != SQLITE_OK)
            fail("prepare");
    }
    ~RawSqlite()
    {
        sqlite3_finalize(m_upsert);
        sqlite3_close(m_db);
    }
    Q_DISABLE_COPY_MOVE(RawSqlite)

    QString pragma(const char *name)
    {
        sqlite3_stmt *statement = nullptr;
        const std::string sql = std::string("PRAGMA ") + name;
        QString value;
        if (sqlite3_prepare_v2(m_db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK
            && sqlite3_step(statement) == SQLITE_ROW)
            value = QString::fromUtf8(
                reinterpret_cast<const char *>(sqlite3_column_text(statement, 0)));
        sqlite3_finalize(statement);
        return value;
    }

    // The rows' keys (UTF-8) and values (already encoded), upserted in one transaction.
    void upsert(const std::vector<QByteArray> &keys, const std::vector<QByteArray> &values,
                const std::vector<int> &rows)
    {
        exec("BEGIN");
        for (int row : rows) {
            sqlite3_bind_text(m_upsert, 1, keys[row].constData(), int(keys[row].size()),
                              SQLITE_STATIC);
            sqlite3_bind_blob(m_upsert, 2, values[row].constData(), int(values[row].size()),
                              SQLITE_STATIC);
            if (sqlite3_step(m_upsert) != SQLITE_DONE)
                fail("upsert");
            sqlite3_reset(m_upsert);
        }
        exec("COMMIT");
    }

    // Reads every key and value; returns a checksum so nothing can be skipped.
    long long selectAll(const QString &table, int *rowCount)
    {
        const std::string sql = "SELECT key, value FROM " + table.toStdString();
        sqlite3_stmt *statement = nullptr;
        if (sqlite3_prepare_v2(m_db, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK)
            fail("prepare select");
        long long checksum = 0;
        int rows = 0;
        int rc;
        while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
            const unsigned char *key = sqlite3_column_text(statement, 0);
            const int keyBytes = sqlite3_column_bytes(statement, 0);
            const auto *value =
                static_cast<const unsigned char *>(sqlite3_column_blob(statement, 1));
            const int valueBytes = sqlite3_column_bytes(statement, 1);
            checksum += keyBytes + valueBytes + key[keyBytes - 1] + value[valueBytes - 1];
            ++rows;
        }
        if (rc != SQLITE_DONE)
            fail("select");
        sqlite3_finalize(statement);
        *rowCount = rows;
        return checksum;
    }

    // The least any library can do to make every stored value reachable by its key: the same
    // SELECT, each key turned into a QString and each value decoded into a hash. A floor for
    // open_100k_sqlite_ms, which also creates an object per variable (info only).
    qsizetype selectIntoHash(const QString &table)
    {
        const std::string sql = "SELECT key, value FROM " + table.toStdString();
        sqlite3_stmt *statement = nullptr;
        if (sqlite3_prepare_v2(m_db, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK)
            fail("prepare select");
        QHash<QString, qint64> values;
        int rc;
        while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
            const auto *key = reinterpret_cast<const char *>(sqlite3_column_text(statement, 0));
            const int keyBytes = sqlite3_column_bytes(statement, 0);
            const auto *value = static_cast<const char *>(sqlite3_column_blob(statement, 1));
            const int valueBytes = sqlite3_column_bytes(statement, 1);
            qint64 decoded = 0;
            PersistVar::Private::decodeInteger(QByteArray::fromRawData(value, valueBytes),
                                               &decoded);
            values.insert(QString::fromUtf8(key, keyBytes), decoded);
        }
        if (rc != SQLITE_DONE)
            fail("select");
        sqlite3_finalize(statement);
        return values.size();
    }

private:
    void exec(const char *sql)
    {
        if (sqlite3_exec(m_db, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
            fail(sql);
    }
    [[noreturn]] void fail(const char *what)
    {
        Bench::fail(QStringLiteral("sqlite3 %1: %2")
                        .arg(QString::fromUtf8(what), QString::fromUtf8(sqlite3_errmsg(m_db))));
    }

    sqlite3 *m_db = nullptr;
    sqlite3_stmt *m_upsert = nullptr;
};

std::unique_ptr<VarManager> openManager(const QString &path)
{
    auto opened = VarManager::open(QStringLiteral("sqlite:") + path);
    if (!opened.isOk())
        Bench::fail(opened.error().toString());
    return std::move(opened).value();
}

std::vector<Var<int> *> createVars(VarManager *manager, const QList<QString> &keys, int count)
{
    std::vector<Var<int> *> vars;
    vars.reserve(count);
    for (int i = 0; i < count; ++i) {
        auto var = manager->var<int>(keys.at(i), 0);
        if (!var.isOk())
            Bench::fail(var.error().toString());
        vars.push_back(var.value());
    }
    return vars;
}

void setAll(const std::vector<Var<int> *> &vars, const std::vector<int> &rows, int round)
{
    for (int row : rows)
        vars[row]->setLazy(valueFor(round, row));
}

double timedSync(VarManager *manager)
{
    const Bench::Clock::time_point start = Bench::Clock::now();
    const Result<void> r = manager->sync();
    const double ms = Bench::msSince(start);
    if (!r.isOk())
        Bench::fail(r.error().toString());
    if (manager->hasPendingChanges())
        Bench::fail(QStringLiteral("sync left pending changes"));
    return ms;
}

// Encoded values of round \a round, indexed by row; only \a rows are filled.
std::vector<QByteArray> encodedRound(int round, int count, const std::vector<int> &rows)
{
    std::vector<QByteArray> values(count);
    for (int row : rows)
        values[row] = encode(valueFor(round, row));
    return values;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    Bench::ScratchDir scratch;
    const QString bigPath = scratch.filePath(QStringLiteral("persistvar-100k.db"));
    const QString smallPath = scratch.filePath(QStringLiteral("persistvar-100.db"));
    const QString rawPath = scratch.filePath(QStringLiteral("raw-100k.db"));

    QList<QString> keys;
    std::vector<QByteArray> rawKeys;
    for (int i = 0; i < bigCount; ++i) {
        keys.append(Bench::key16(i));
        rawKeys.push_back(keys.last().toUtf8());
    }
    std::vector<int> allRows(bigCount);
    for (int i = 0; i < bigCount; ++i)
        allRows[i] = i;
    // Ten rows spread over the table, so neither side enjoys one hot page.
    std::vector<int> bigChanged, smallChanged;
    for (int k = 0; k < changedCount; ++k) {
        bigChanged.push_back(k * (bigCount / changedCount) + 7 * k + 3);
        smallChanged.push_back(k * (smallCount / changedCount) + k % 3);
    }

    // The raw table is made by PersistVar, so both sides have the very same schema.
    QString table;
    {
        auto storage = SqlStorage::openSqlite(rawPath);
        if (!storage.isOk())
            Bench::fail(storage.error().toString());
        table = storage.value()->table();
        storage.value()->close();
    }
    RawSqlite raw(rawPath, table);
    Bench::progress("sqlite: raw sqlite3 journal_mode=%s",
                    raw.pragma("journal_mode") + QStringLiteral(", synchronous=")
                        + raw.pragma("synchronous") + QStringLiteral(" (2 = FULL)"));

    std::unique_ptr<VarManager> big = openManager(bigPath);
    std::unique_ptr<VarManager> small = openManager(smallPath);
    std::vector<Var<int> *> bigVars = createVars(big.get(), keys, bigCount);
    std::vector<Var<int> *> smallVars = createVars(small.get(), keys, smallCount);

    // Round 0 fills the tables (inserts); the timed rounds then change stored rows, as in use.
    Bench::progress("sqlite: filling 100,000 rows on both sides");
    setAll(bigVars, allRows, 0);
    Bench::info("first_sync_insert_100k_ms", timedSync(big.get()));
    {
        const Bench::Clock::time_point start = Bench::Clock::now();
        raw.upsert(rawKeys, encodedRound(0, bigCount, allRows), allRows);
        Bench::info("raw_first_insert_100k_ms", Bench::msSince(start));
    }
    setAll(smallVars, std::vector<int>(allRows.begin(), allRows.begin() + smallCount), 0);
    timedSync(small.get());

    std::vector<double> syncAll, rawAll;
    const int allReps = Bench::repetitions(11);
    Bench::progress("sqlite: %s rounds of 100,000 changed variables", QString::number(allReps));
    for (int rep = 1; rep <= allReps; ++rep) {
        const auto persistvarRound = [&] {
            setAll(bigVars, allRows, rep);
            syncAll.push_back(timedSync(big.get()));
        };
        const auto rawRound = [&] {
            const std::vector<QByteArray> values = encodedRound(rep, bigCount, allRows);
            const Bench::Clock::time_point start = Bench::Clock::now();
            raw.upsert(rawKeys, values, allRows);
            rawAll.push_back(Bench::msSince(start));
        };
        // Alternate who goes first, so neither always meets the other's checkpoint or cache.
        if (rep % 2) {
            persistvarRound();
            rawRound();
        } else {
            rawRound();
            persistvarRound();
        }
    }

    std::vector<double> sync10Big, sync10Small, raw10;
    const int tenReps = Bench::repetitions(21);
    Bench::progress("sqlite: %s rounds of 10 changed variables", QString::number(tenReps));
    for (int rep = 0; rep < tenReps; ++rep) {
        const int round = 100 + rep;
        const std::function<void()> parts[] = {
            [&] {
                setAll(bigVars, bigChanged, round);
                sync10Big.push_back(timedSync(big.get()));
            },
            [&] {
                setAll(smallVars, smallChanged, round);
                sync10Small.push_back(timedSync(small.get()));
            },
            [&] {
                const std::vector<QByteArray> values = encodedRound(round, bigCount, bigChanged);
                const Bench::Clock::time_point start = Bench::Clock::now();
                raw.upsert(rawKeys, values, bigChanged);
                raw10.push_back(Bench::msSince(start));
            },
        };
        // Rotate the order: a commit's fsync can be slower right after another file's.
        for (int part = 0; part < 3; ++part)
            parts[(rep + part) % 3]();
    }
    const int expected = valueFor(100 + tenReps - 1, bigChanged.back());
    big.reset(); // closes the store: what it wrote is on disk
    small.reset();

    std::vector<double> open, select, selectHash;
    const int openReps = Bench::repetitions(11);
    Bench::progress("sqlite: %s rounds of opening 100,000 variables", QString::number(openReps));
    for (int rep = 0; rep < openReps; ++rep) {
        {
            const Bench::Clock::time_point start = Bench::Clock::now();
            std::unique_ptr<VarManager> manager = openManager(bigPath);
            std::vector<Var<int> *> vars = createVars(manager.get(), keys, bigCount);
            open.push_back(Bench::msSince(start));
            if (vars[bigChanged.back()]->get() != expected)
                Bench::fail(QStringLiteral("reopened store has wrong values"));
        }
        {
            // A fresh connection each time: PersistVar's cache starts cold too.
            RawSqlite reader(bigPath, table);
            int rows = 0;
            const Bench::Clock::time_point start = Bench::Clock::now();
            Bench::doNotOptimize(reader.selectAll(table, &rows));
            select.push_back(Bench::msSince(start));
            if (rows != bigCount)
                Bench::fail(QStringLiteral("SELECT returned %1 rows").arg(rows));
        }
        {
            RawSqlite reader(bigPath, table);
            const Bench::Clock::time_point start = Bench::Clock::now();
            const qsizetype rows = reader.selectIntoHash(table);
            selectHash.push_back(Bench::msSince(start));
            if (rows != bigCount)
                Bench::fail(QStringLiteral("SELECT into a hash kept %1 rows").arg(rows));
        }
    }

    Bench::result("sync10_of_100_sqlite_ms", sync10Small);
    Bench::result("sync10_of_100k_sqlite_ms", sync10Big);
    Bench::result("raw_sqlite_sync10_ms", raw10);
    Bench::result("sync_all_100k_sqlite_ms", syncAll);
    Bench::result("raw_sqlite_all_100k_ms", rawAll);
    Bench::result("open_100k_sqlite_ms", open);
    Bench::result("select_all_100k_ms", select);
    Bench::info("select_into_hash_100k_ms", Bench::median(selectHash));
    return 0;
}
