// SPDX-License-Identifier: MIT
// Increments a persisted counter and prints it: run it twice and it prints 1, then 2.
//
//   counter               the embedded default store (SQLite in the app data folder)
//   counter STORE         any store name, e.g. sqlite:/tmp/c.db, ini:/tmp/c.ini, memory:
#include <persistvar/varmanager.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QTextStream>

#include <cstdio>
#include <utility>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("PersistVar"));
    QCoreApplication::setApplicationName(QStringLiteral("counter"));

    const QStringList args = QCoreApplication::arguments();
    const QString storeName = args.size() > 1 ? args.at(1) : QString();

    auto manager = PersistVar::VarManager::open(storeName);
    if (!manager.isOk()) {
        std::fprintf(stderr, "counter: %s\n", qPrintable(manager.error().toString()));
        return 1;
    }
    auto counter = manager.value()->var<int>(QStringLiteral("counter"), 0);
    if (!counter.isOk()) {
        std::fprintf(stderr, "counter: %s\n", qPrintable(counter.error().toString()));
        return 1;
    }

    // update() is a compare-and-swap: two counters running at once never lose an increment.
    const auto written = counter.value()->update([](int n) { return std::pair(n + 1, true); });
    if (!written.isOk()) {
        std::fprintf(stderr, "counter: %s\n", qPrintable(written.error().toString()));
        return 1;
    }
    QTextStream(stdout) << counter.value()->get() << Qt::endl;
    return manager.value()->close().isOk() ? 0 : 1;
}
