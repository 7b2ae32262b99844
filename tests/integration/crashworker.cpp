// SPDX-License-Identifier: MIT
// The child process of tst_crash: it writes batches to a store until it is killed.
//
//   crashworker STORE FIRST_GENERATION
//
// Opens STORE, prints "ready", then loops forever over generations n = FIRST_GENERATION, n+1, ...:
// sets every key of the batch lazily to the value of generation n, prints "begin n", calls
// VarManager::sync() and prints "acked n" when it returned success ("failed n REASON" when not).
// Every line is flushed before the next step, so the harness knows, after a SIGKILL, which
// batches were acknowledged and which one may have been in flight.
//
// The value of key K in generation n (tst_crash.cpp parses it; keep the two in step):
//   "gen:<n>:<K>:<padding>:<crc>"
// padding is (n % 997) times the letter 'a' + n % 26, so consecutive generations differ in
// length and a torn or mixed write is visible; crc is qChecksum() of everything before ":<crc>"
// (UTF-8), four hex digits. Keys k0..k2 hold it as a QString, k3 as the UTF-8 QByteArray, so
// two codec paths are exercised.
#include <persistvar/varmanager.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QStringList>

#include <cstdio>

namespace {

QByteArray valueFor(qint64 generation, const QString &key)
{
    const QByteArray body = "gen:" + QByteArray::number(generation) + ':' + key.toUtf8() + ':'
        + QByteArray(int(generation % 997), char('a' + generation % 26));
    const quint16 crc = qChecksum(QByteArrayView(body));
    return body + ':' + QByteArray::number(crc, 16).rightJustified(4, '0');
}

void say(const QByteArray &line)
{
    std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = QCoreApplication::arguments();
    bool ok = false;
    const qint64 first = args.value(2).toLongLong(&ok);
    if (args.size() != 3 || !ok) {
        std::fprintf(stderr, "usage: crashworker STORE FIRST_GENERATION\n");
        return 2;
    }
    auto opened = PersistVar::VarManager::open(args.at(1));
    if (!opened.isOk()) {
        std::fprintf(stderr, "%s\n", qPrintable(opened.error().toString()));
        return 1;
    }
    PersistVar::VarManager *manager = opened.value().get();

    QList<PersistVar::Var<QString> *> strings;
    for (const char *key : {"k0", "k1", "k2"}) {
        auto var = manager->var<QString>(QString::fromLatin1(key));
        if (!var.isOk()) {
            std::fprintf(stderr, "%s\n", qPrintable(var.error().toString()));
            return 1;
        }
        strings.append(var.value());
    }
    auto bytes = manager->var<QByteArray>(QStringLiteral("k3"));
    if (!bytes.isOk()) {
        std::fprintf(stderr, "%s\n", qPrintable(bytes.error().toString()));
        return 1;
    }
    say("ready");

    for (qint64 n = first;; ++n) {
        for (PersistVar::Var<QString> *var : std::as_const(strings))
            var->setLazy(QString::fromUtf8(valueFor(n, var->key())));
        bytes.value()->setLazy(valueFor(n, bytes.value()->key()));
        say("begin " + QByteArray::number(n));
        const PersistVar::Result<void> synced = manager->sync();
        if (synced.isOk())
            say("acked " + QByteArray::number(n));
        else
            say("failed " + QByteArray::number(n) + ' ' + synced.error().toString().toUtf8());
    }
}
