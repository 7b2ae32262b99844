// SPDX-License-Identifier: MIT
// Builds against the installed headers as C++17 and round-trips a value through a file store.
#include <persistvar/filestorage.h>
#include <persistvar/memorystorage.h>
#include <persistvar/varmanager.h>
#include <persistvar/version.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QTemporaryDir>

#include <cstdio>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    static_assert(PERSISTVAR_VERSION >= PERSISTVAR_VERSION_CHECK(0, 1, 0));
    QTemporaryDir dir;
    const QString store = QStringLiteral("file:") + dir.path();
    {
        auto manager = PersistVar::VarManager::open(store);
        if (!manager.isOk())
            return 1;
        auto volume = manager.value()->var<double>(QStringLiteral("audio/volume"), 0.5);
        if (!volume.isOk() || !volume.value()->set(0.8).isOk())
            return 2;
    }
    auto manager = PersistVar::VarManager::open(store);
    const double volume =
        manager.value()->var<double>(QStringLiteral("audio/volume"), 0.5).value()->get();
    std::printf("volume=%g\n", volume);
    return volume == 0.8 ? 0 : 3;
}
