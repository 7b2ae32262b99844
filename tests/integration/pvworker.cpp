// SPDX-License-Identifier: MIT
// A second process for integration tests.
//
//   pvworker STORE increment KEY COUNT    COUNT update() increments of an int variable
//   pvworker STORE get KEY                prints the int value
//   pvworker STORE set KEY VALUE          set() an int value
//
// Prints "ok" on success; exits non-zero with the error on failure.
#include <persistvar/varmanager.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QTextStream>

#include <utility>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = QCoreApplication::arguments();
    QTextStream out(stdout);
    QTextStream err(stderr);
    if (args.size() < 4) {
        err << "usage: pvworker STORE increment|get|set KEY [N]\n";
        return 2;
    }
    auto manager = PersistVar::VarManager::open(args.at(1));
    if (!manager.isOk()) {
        err << manager.error().toString() << '\n';
        return 1;
    }
    auto var = manager.value()->var<int>(args.at(3), 0);
    if (!var.isOk()) {
        err << var.error().toString() << '\n';
        return 1;
    }
    const QString command = args.at(2);
    if (command == QLatin1String("increment")) {
        const int count = args.value(4).toInt();
        for (int i = 0; i < count; ++i) {
            const auto r = var.value()->update([](int n) { return std::pair(n + 1, true); });
            if (!r.isOk()) {
                err << "increment " << i << ": " << r.error().toString() << '\n';
                return 1;
            }
        }
    } else if (command == QLatin1String("get")) {
        out << var.value()->get() << '\n';
    } else if (command == QLatin1String("set")) {
        const auto r = var.value()->set(args.value(4).toInt());
        if (!r.isOk()) {
            err << r.error().toString() << '\n';
            return 1;
        }
    } else {
        err << "unknown command " << command << '\n';
        return 2;
    }
    const auto closed = manager.value()->close();
    if (!closed.isOk()) {
        err << closed.error().toString() << '\n';
        return 1;
    }
    out << "ok\n";
    return 0;
}
