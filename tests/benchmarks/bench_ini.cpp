// SPDX-License-Identifier: MIT
// PersistVar's INI store against QSettings used directly: 10 changed values among 10,000.
//
// Figures: sync10_of_10k_ini_ms (VarManager::sync() after setLazy() of 10 variables; setLazy()
// is outside the clock) and qsettings_sync10_of_10k_ms (10 QSettings::setValue() calls and
// QSettings::sync(), the work PersistVar's sync does through its own QSettings). Both files have
// the same 10,000 keys and sit in the same folder; repetitions are interleaved, each side going
// first in every other one.
#include "benchutil.h"

#include <persistvar/varmanager.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QSettings>

using namespace PersistVar;

namespace {

constexpr int count = 10'000;
constexpr int changedCount = 10;

int valueFor(int round, int i)
{
    return 1'000'000 + round * 200'000 + i;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    Bench::ScratchDir scratch;

    std::vector<QString> keys;
    for (int i = 0; i < count; ++i)
        keys.push_back(Bench::key16(i));
    std::vector<int> changed;
    for (int k = 0; k < changedCount; ++k)
        changed.push_back(k * (count / changedCount) + 7 * k + 3);

    auto opened = VarManager::open(QStringLiteral("ini:")
                                   + scratch.filePath(QStringLiteral("persistvar.ini")));
    if (!opened.isOk())
        Bench::fail(opened.error().toString());
    std::unique_ptr<VarManager> manager = std::move(opened).value();
    std::vector<Var<int> *> vars;
    for (int i = 0; i < count; ++i) {
        auto var = manager->var<int>(keys[i], 0);
        if (!var.isOk())
            Bench::fail(var.error().toString());
        vars.push_back(var.value());
        vars.back()->setLazy(valueFor(0, i));
    }
    if (Result<void> r = manager->sync(); !r.isOk())
        Bench::fail(r.error().toString());

    QSettings settings(scratch.filePath(QStringLiteral("qsettings.ini")), QSettings::IniFormat);
    for (int i = 0; i < count; ++i)
        settings.setValue(keys[i], valueFor(0, i));
    settings.sync();
    if (settings.status() != QSettings::NoError)
        Bench::fail(QStringLiteral("QSettings could not write its file"));

    // One write of this file took anywhere from 20 to 48 ms on the test machine, on both sides
    // alike: enough rounds that the two medians do not depend on where a few slow ones fell.
    const int reps = Bench::repetitions(31);
    Bench::progress("ini: %s rounds of 10 changed values among 10,000", QString::number(reps));
    std::vector<double> persistvar, qsettings;
    for (int rep = 1; rep <= reps; ++rep) {
        const auto viaPersistVar = [&] {
            for (int row : changed)
                vars[row]->setLazy(valueFor(rep, row));
            const Bench::Clock::time_point start = Bench::Clock::now();
            const Result<void> r = manager->sync();
            persistvar.push_back(Bench::msSince(start));
            if (!r.isOk())
                Bench::fail(r.error().toString());
        };
        const auto viaQSettings = [&] {
            const Bench::Clock::time_point start = Bench::Clock::now();
            for (int row : changed)
                settings.setValue(keys[row], valueFor(rep, row));
            settings.sync();
            qsettings.push_back(Bench::msSince(start));
            if (settings.status() != QSettings::NoError)
                Bench::fail(QStringLiteral("QSettings could not write its file"));
        };
        // Alternate which goes first: a write right after another one (its journal commit,
        // the other file's rename in the same folder) can be slower, and that must not always
        // fall on the same side.
        if (rep % 2 == 0) {
            viaPersistVar();
            viaQSettings();
        } else {
            viaQSettings();
            viaPersistVar();
        }
    }

    Bench::result("sync10_of_10k_ini_ms", persistvar);
    Bench::result("qsettings_sync10_of_10k_ms", qsettings);
    return 0;
}
