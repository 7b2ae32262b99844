// SPDX-License-Identifier: MIT
// Start two (or more) of these at once: each increments a shared counter now and then and prints
// every change it sees, its own and the other instances', as they happen.
//
//   shared-counter [STORE] [--increments N] [--interval MS] [--linger MS]
//
// STORE defaults to the embedded SQLite store; give postgresql://user@host/db to share the
// counter between machines.
#include <persistvar/varmanager.h>

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QTextStream>
#include <QtCore/QTimer>

#include <utility>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("PersistVar"));
    QCoreApplication::setApplicationName(QStringLiteral("shared-counter"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("A counter shared live between processes."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("store"), QStringLiteral("Store name (optional)."));
    const QCommandLineOption increments(QStringLiteral("increments"),
                                        QStringLiteral("How often to increment (default 5)."),
                                        QStringLiteral("n"), QStringLiteral("5"));
    const QCommandLineOption interval(QStringLiteral("interval"),
                                      QStringLiteral("Milliseconds between increments."),
                                      QStringLiteral("ms"), QStringLiteral("1000"));
    const QCommandLineOption linger(QStringLiteral("linger"),
                                    QStringLiteral("Milliseconds to keep watching at the end."),
                                    QStringLiteral("ms"), QStringLiteral("3000"));
    parser.addOptions({increments, interval, linger});
    parser.process(app);

    QTextStream out(stdout);
    QTextStream err(stderr);
    auto manager = PersistVar::VarManager::open(parser.positionalArguments().value(0));
    if (!manager.isOk()) {
        err << "shared-counter: " << manager.error().toString() << Qt::endl;
        return 1;
    }
    PersistVar::Var<int> *counter =
        manager.value()->var<int>(QStringLiteral("shared-counter"), 0).value();

    // Observing the variable is all it takes to follow other processes' changes.
    int ownWrites = 0;
    counter->onChanged(&app, [&](int value) { out << "counter = " << value << Qt::endl; });
    if (const auto watching = manager.value()->startWatching(); !watching.isOk())
        err << "shared-counter: not watching: " << watching.error().toString() << Qt::endl;
    out << "counter = " << counter->get() << " (start)" << Qt::endl;

    QTimer ticker;
    ticker.setInterval(parser.value(interval).toInt());
    const int total = parser.value(increments).toInt();
    QObject::connect(&ticker, &QTimer::timeout, &app, [&] {
        const auto r = counter->update([](int n) { return std::pair(n + 1, true); });
        if (!r.isOk())
            err << "shared-counter: " << r.error().toString() << Qt::endl;
        if (++ownWrites >= total) {
            ticker.stop();
            QTimer::singleShot(parser.value(linger).toInt(), &app, &QCoreApplication::quit);
        }
    });
    ticker.start();
    const int status = app.exec();
    out << "done: " << ownWrites << " increments of mine, counter = " << counter->get() << Qt::endl;
    return status;
}
