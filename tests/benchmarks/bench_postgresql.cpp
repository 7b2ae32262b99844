// SPDX-License-Identifier: MIT
// PersistVar on PostgreSQL against one hand-written server-side statement, in one process,
// repetitions interleaved. The server is named by PERSISTVAR_BENCH_POSTGRES_URL (scripts/bench
// starts a throwaway one); without it the program reports nothing and exits with status 77.
//
// Figures:
//   sync_all_10k_pg_ms: VarManager::sync() of 10,000 changed, stored variables (setLazy() is
//     outside the clock).
//   pg_one_statement_10k_ms: libpq sending the same 10,000 rows as one statement,
//     INSERT ... SELECT FROM unnest($1::text[], $2::bytea[]) ON CONFLICT (md5(key)) DO UPDATE (the
//     table's unique index: keys of any length), in one
//     round trip. The clock includes building the two array parameters from keys and values that
//     were encoded beforehand; that is part of doing it by hand, and is about 1 ms of the figure.
//   notify_p50_ms (only when live changes work on PostgreSQL: VarManager::startWatching() is not
//     NotSupported): from calling set() in one manager to valueChanged() of the same variable in
//     another manager on its own connection; the median.
// Both sides write a table that PersistVar created (same schema), over TCP loopback to the same
// server, so the server's settings (a throwaway server runs with fsync=off) apply to both alike.
#include "benchutil.h"

#include <persistvar/sqlstorage.h>
#include <persistvar/varmanager.h>
#include <persistvar/varnotifier.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QEventLoop>
#include <QtCore/QTimer>
#include <QtCore/QUrl>

#include <libpq-fe.h>

#include <string>

using namespace PersistVar;

namespace {

constexpr int count = 10'000;

int valueFor(int round, int i)
{
    return 1'000'000 + round * 200'000 + i;
}

class RawPostgres
{
public:
    explicit RawPostgres(const QString &url)
    {
        m_connection = PQconnectdb(url.toUtf8().constData());
        if (PQstatus(m_connection) != CONNECTION_OK)
            Bench::fail(
                QStringLiteral("libpq: %1").arg(QString::fromUtf8(PQerrorMessage(m_connection))));
    }
    ~RawPostgres() { PQfinish(m_connection); }
    Q_DISABLE_COPY_MOVE(RawPostgres)

    void exec(const std::string &sql)
    {
        PGresult *result = PQexec(m_connection, sql.c_str());
        const ExecStatusType status = PQresultStatus(result);
        PQclear(result);
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
            Bench::fail(
                QStringLiteral("libpq: %1").arg(QString::fromUtf8(PQerrorMessage(m_connection))));
    }

    // One statement upserting every row; the array literals are built here, on the clock.
    void upsertAll(const std::string &table, const std::vector<QByteArray> &keys,
                   const std::vector<QByteArray> &values)
    {
        static const char hex[] = "0123456789abcdef";
        std::string keyArray = "{";
        std::string valueArray = "{";
        keyArray.reserve(keys.size() * 24);
        valueArray.reserve(values.size() * 24);
        for (size_t i = 0; i < keys.size(); ++i) {
            if (i) {
                keyArray += ',';
                valueArray += ',';
            }
            keyArray += '"';
            for (char c : keys[i]) {
                if (c == '"' || c == '\\')
                    keyArray += '\\';
                keyArray += c;
            }
            keyArray += '"';
            valueArray += "\"\\\\x"; // "\\x...": bytea hex input, its backslash escaped
            for (unsigned char c : values[i]) {
                valueArray += hex[c >> 4];
                valueArray += hex[c & 15];
            }
            valueArray += '"';
        }
        keyArray += '}';
        valueArray += '}';
        const std::string sql = "INSERT INTO " + table
            + "(key, value) SELECT * FROM unnest($1::text[], $2::bytea[]) "
              "ON CONFLICT ((md5(key))) DO UPDATE SET value = EXCLUDED.value";
        const char *params[2] = {keyArray.c_str(), valueArray.c_str()};
        PGresult *result =
            PQexecParams(m_connection, sql.c_str(), 2, nullptr, params, nullptr, nullptr, 0);
        const ExecStatusType status = PQresultStatus(result);
        const std::string rows = PQcmdTuples(result);
        PQclear(result);
        if (status != PGRES_COMMAND_OK)
            Bench::fail(QStringLiteral("libpq upsert: %1")
                            .arg(QString::fromUtf8(PQerrorMessage(m_connection))));
        if (rows != std::to_string(keys.size()))
            Bench::fail(
                QStringLiteral("libpq upsert wrote %1 rows").arg(QString::fromStdString(rows)));
    }

private:
    PGconn *m_connection = nullptr;
};

std::unique_ptr<VarManager> openManager(const QString &url)
{
    auto opened = VarManager::open(url);
    if (!opened.isOk())
        Bench::fail(opened.error().toString());
    return std::move(opened).value();
}

QString withTable(const QString &url, const QString &table)
{
    return url
        + (url.contains(QLatin1Char('?')) ? QStringLiteral("&table=") : QStringLiteral("?table="))
        + table;
}

void measureNotify(const QString &storeName)
{
    std::unique_ptr<VarManager> writer = openManager(storeName);
    std::unique_ptr<VarManager> reader = openManager(storeName);
    const Result<void> watching = reader->startWatching();
    if (watching.errorCode() == ErrorCode::NotSupported) {
        Bench::progress("postgresql: live changes are not supported (%s): notify_p50_ms omitted",
                        watching.error().message());
        return;
    }
    if (!watching.isOk())
        Bench::fail(watching.error().toString());

    const QString key = QStringLiteral("bench/notify0001");
    Var<int> *source = writer->var<int>(key, 0).value();
    Var<int> *target = reader->var<int>(key, 0).value();
    Bench::Clock::time_point changed;
    int expected = 0;
    double latency = -1;
    QEventLoop loop;
    QObject::connect(target->notifier(), &VarNotifier::valueChanged, &loop, [&] {
        if (latency < 0 && target->get() == expected) {
            latency = Bench::msSince(changed);
            loop.quit();
        }
    });
    // Let the reader's watch settle before the first change.
    QTimer::singleShot(100, &loop, &QEventLoop::quit);
    loop.exec();

    const int reps = Bench::repetitions(21);
    std::vector<double> latencies;
    for (int rep = 1; rep <= reps; ++rep) {
        expected = 5'000 + rep;
        latency = -1;
        QTimer timeout;
        timeout.setSingleShot(true);
        QObject::connect(&timeout, &QTimer::timeout, &loop, &QEventLoop::quit);
        timeout.start(std::chrono::seconds(5));
        changed = Bench::Clock::now();
        if (Result<void> r = source->set(expected); !r.isOk())
            Bench::fail(r.error().toString());
        if (latency < 0)
            loop.exec();
        if (latency < 0)
            Bench::fail(QStringLiteral("no change signal within 5 s"));
        latencies.push_back(latency);
    }
    Bench::result("notify_p50_ms", latencies);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QString url = qEnvironmentVariable("PERSISTVAR_BENCH_POSTGRES_URL");
    if (url.isEmpty()) {
        Bench::progress("postgresql: PERSISTVAR_BENCH_POSTGRES_URL is not set: skipped");
        return 77;
    }
    // Tables of this run only, dropped at the end, so a reused server never skews a run.
    const QString suffix = QString::number(QCoreApplication::applicationPid());
    const QString table = QStringLiteral("persistvar_bench_") + suffix;
    const QString rawTable = QStringLiteral("persistvar_bench_raw_") + suffix;
    const QString libpqUrl = url.section(QLatin1Char('?'), 0, 0);

    std::vector<QString> keys;
    std::vector<QByteArray> rawKeys;
    for (int i = 0; i < count; ++i) {
        keys.push_back(Bench::key16(i));
        rawKeys.push_back(keys.back().toUtf8());
    }

    // The raw table is made by PersistVar, so both sides have the very same schema and indexes.
    {
        auto storage = SqlStorage::openPostgreSql(withTable(url, rawTable));
        if (!storage.isOk())
            Bench::fail(storage.error().toString());
        storage.value()->close();
    }
    RawPostgres raw(libpqUrl);

    std::unique_ptr<VarManager> manager = openManager(withTable(url, table));
    std::vector<Var<int> *> vars;
    for (int i = 0; i < count; ++i) {
        auto var = manager->var<int>(keys[i], 0);
        if (!var.isOk())
            Bench::fail(var.error().toString());
        vars.push_back(var.value());
    }
    auto encodedRound = [&](int round) {
        std::vector<QByteArray> values;
        values.reserve(count);
        for (int i = 0; i < count; ++i)
            values.push_back(encode(valueFor(round, i)));
        return values;
    };
    auto timedSync = [&] {
        const Bench::Clock::time_point start = Bench::Clock::now();
        const Result<void> r = manager->sync();
        const double ms = Bench::msSince(start);
        if (!r.isOk())
            Bench::fail(r.error().toString());
        return ms;
    };

    // Round 0 inserts; the timed rounds change stored rows.
    Bench::progress("postgresql: filling 10,000 rows on both sides");
    for (int i = 0; i < count; ++i)
        vars[i]->setLazy(valueFor(0, i));
    Bench::info("pg_first_sync_insert_10k_ms", timedSync());
    raw.upsertAll(rawTable.toStdString(), rawKeys, encodedRound(0));

    const int reps = Bench::repetitions(11);
    Bench::progress("postgresql: %s rounds of 10,000 changed variables", QString::number(reps));
    std::vector<double> syncAll, oneStatement;
    for (int rep = 1; rep <= reps; ++rep) {
        const auto viaPersistVar = [&] {
            for (int i = 0; i < count; ++i)
                vars[i]->setLazy(valueFor(rep, i));
            syncAll.push_back(timedSync());
        };
        const auto viaOneStatement = [&] {
            const std::vector<QByteArray> values = encodedRound(rep);
            const Bench::Clock::time_point start = Bench::Clock::now();
            raw.upsertAll(rawTable.toStdString(), rawKeys, values);
            oneStatement.push_back(Bench::msSince(start));
        };
        // Alternate which goes first, so that the server's work left over from the other
        // side's write (its dead rows, its background writer) does not always fall on the same
        // side. The rounds go past the server's switch to a generic plan for a prepared
        // statement (from the sixth run), which once made PersistVar's rounds take seconds.
        if (rep % 2 == 0) {
            viaPersistVar();
            viaOneStatement();
        } else {
            viaOneStatement();
            viaPersistVar();
        }
    }
    manager.reset();

    Bench::result("sync_all_10k_pg_ms", syncAll);
    Bench::result("pg_one_statement_10k_ms", oneStatement);

    measureNotify(withTable(url, table));

    raw.exec("DROP TABLE IF EXISTS " + table.toStdString());
    raw.exec("DROP TABLE IF EXISTS " + rawTable.toStdString());
    return 0;
}
