// SPDX-License-Identifier: MIT
// The hot paths: Var<int>::get() and setLazy() against QSettings::value() and a mutex-guarded
// int, measured in one process, repetitions interleaved so machine noise hits all alike.
//
// Figures: get_ns, mutex_read_ns, qsettings_value_ns, setlazy_ns (median of the repetitions of
// the mean cost of one call in a loop of many).
#include "benchutil.h"

#include <persistvar/varmanager.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QMutex>
#include <QtCore/QSettings>

using namespace PersistVar;

namespace {

// What a careful application writes instead of PersistVar: an int behind an uncontended mutex.
struct GuardedInt
{
    QMutex mutex;
    int value = 0;
};

template<typename Fn>
double nsPerCall(int iterations, Fn &&fn)
{
    const Bench::Clock::time_point start = Bench::Clock::now();
    for (int i = 0; i < iterations; ++i)
        fn(i);
    return Bench::nsSince(start) / iterations;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    Bench::ScratchDir scratch;

    // get() and setLazy() never touch storage, so the store does not matter: memory: keeps the
    // figure free of I/O noise.
    auto opened = VarManager::open(QStringLiteral("memory:"));
    if (!opened.isOk())
        Bench::fail(opened.error().toString());
    std::unique_ptr<VarManager> manager = std::move(opened).value();
    Var<int> *readVar = manager->var<int>(Bench::key16(1), 0).value();
    readVar->setLazy(42);
    Var<int> *writeVar = manager->var<int>(Bench::key16(2), 0).value();

    auto *guarded = new GuardedInt;
    guarded->value = 42;
    Bench::doNotOptimize(guarded); // the compiler must not see through the pointer

    // QSettings as applications use it: an INI file with a few hundred keys, the int read by a
    // key held in a QString (cheaper than the usual string literal, so the rival is favoured).
    const QString iniPath = scratch.filePath(QStringLiteral("hotpath.ini"));
    {
        QSettings settings(iniPath, QSettings::IniFormat);
        for (int i = 0; i < 300; ++i)
            settings.setValue(Bench::key16(i), i);
        settings.setValue(Bench::key16(1), 42);
        settings.sync();
    }
    QSettings settings(iniPath, QSettings::IniFormat);
    const QString settingsKey = Bench::key16(1);
    if (settings.value(settingsKey).toInt() != 42 || readVar->get() != 42)
        Bench::fail(QStringLiteral("set-up values are wrong"));

    const int reps = Bench::repetitions(11);
    const int fastIterations = 2'000'000;
    const int settingsIterations = 200'000;
    std::vector<double> get, mutexRead, setLazy, settingsValue;
    Bench::progress("hotpath: %s repetitions", QString::number(reps));
    for (int rep = 0; rep < reps; ++rep) {
        long long sum = 0;
        get.push_back(nsPerCall(fastIterations, [&](int) { sum += readVar->get(); }));
        mutexRead.push_back(nsPerCall(fastIterations, [&](int) {
            QMutexLocker lock(&guarded->mutex);
            sum += guarded->value;
        }));
        // Each call is a real change (1, 2, 1, ...), as on a slider move: the equality check,
        // the dirty bookkeeping and the dirty-list check all run. The variable is unobserved.
        bool ok = true;
        setLazy.push_back(
            nsPerCall(fastIterations, [&](int i) { ok &= writeVar->setLazy(1 + (i & 1)).isOk(); }));
        settingsValue.push_back(nsPerCall(
            settingsIterations, [&](int) { sum += settings.value(settingsKey).toInt(); }));
        Bench::doNotOptimize(sum);
        if (!ok)
            Bench::fail(QStringLiteral("setLazy failed"));
    }

    Bench::result("get_ns", get);
    Bench::result("mutex_read_ns", mutexRead);
    Bench::result("qsettings_value_ns", settingsValue);
    Bench::result("setlazy_ns", setLazy);
    delete guarded;
    return 0;
}
