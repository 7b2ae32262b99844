// SPDX-License-Identifier: MIT
// gui_stall_max_ms: how long autoSync blocks the manager's thread while it writes 10,000 dirty
// variables to SQLite.
//
// The manager lives in the main thread, which runs a QCoreApplication event loop, as a GUI
// thread would. A 1 ms Qt::PreciseTimer in that loop records the largest gap between two ticks
// from just before autoSync starts until 50 ms after the manager reports the write (synced()),
// so the whole write is covered. The figure is that largest gap, including the timer's own 1 ms
// (a loop that never blocks shows about 1 ms); the median over the repetitions. The values are
// set before the probe starts: setLazy() is its own figure. For context the program also reports
// the largest gap of the same loop with nothing to sync (the machine's noise floor), and, from
// the kernel's scheduler statistics (/proc/thread-self/schedstat), how much of the worst gap the
// thread spent runnable but waiting for a CPU: on a loaded machine that part is the machine's,
// not PersistVar's; the rest is time the thread ran or was blocked (on a lock, say).
#include "benchutil.h"

#include <persistvar/varmanager.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QEventLoop>
#include <QtCore/QTimer>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

using namespace PersistVar;

namespace {

constexpr int count = 10'000;
constexpr std::chrono::milliseconds autoSyncInterval{20};
constexpr std::chrono::milliseconds margin{50};

// The calling thread's time on a CPU and time runnable but waiting for one, in ns (Linux).
struct SchedStat
{
    double runningNs = 0;
    double waitingNs = 0;
};

class GapProbe
{
public:
    GapProbe() : m_schedstat(::open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC))
    {
        m_timer.setTimerType(Qt::PreciseTimer);
        m_timer.setInterval(1);
        QObject::connect(&m_timer, &QTimer::timeout, [this] {
            const Bench::Clock::time_point now = Bench::Clock::now();
            const SchedStat stat = schedStat();
            if (m_ticked) {
                const double gap = std::chrono::duration<double, std::milli>(now - m_last).count();
                if (gap > m_maxGap) {
                    m_maxGap = gap;
                    m_maxGapWaitingMs = (stat.waitingNs - m_lastStat.waitingNs) / 1e6;
                }
            }
            m_ticked = true;
            m_last = now;
            m_lastStat = stat;
        });
    }
    ~GapProbe()
    {
        if (m_schedstat >= 0)
            ::close(m_schedstat);
    }
    Q_DISABLE_COPY_MOVE(GapProbe)

    void start()
    {
        m_ticked = false;
        m_maxGap = 0;
        m_maxGapWaitingMs = 0;
        m_timer.start();
    }
    double stop()
    {
        m_timer.stop();
        return m_maxGap;
    }
    // Of the largest gap, the time the thread was runnable but had no CPU (0 if unknown).
    double maxGapWaitingForCpuMs() const { return m_maxGapWaitingMs; }

private:
    SchedStat schedStat() const
    {
        SchedStat stat;
        char buffer[128];
        if (m_schedstat < 0)
            return stat;
        const ssize_t n = ::pread(m_schedstat, buffer, sizeof buffer - 1, 0);
        if (n <= 0)
            return stat;
        buffer[n] = 0;
        std::sscanf(buffer, "%lf %lf", &stat.runningNs, &stat.waitingNs);
        return stat;
    }

    QTimer m_timer;
    const int m_schedstat;
    Bench::Clock::time_point m_last;
    SchedStat m_lastStat;
    bool m_ticked = false;
    double m_maxGap = 0;
    double m_maxGapWaitingMs = 0;
};

void spin(std::chrono::milliseconds duration)
{
    QEventLoop loop;
    QTimer::singleShot(duration, Qt::PreciseTimer, &loop, &QEventLoop::quit);
    loop.exec();
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    Bench::ScratchDir scratch;
    auto opened = VarManager::open(QStringLiteral("sqlite:")
                                   + scratch.filePath(QStringLiteral("autosync.db")));
    if (!opened.isOk())
        Bench::fail(opened.error().toString());
    std::unique_ptr<VarManager> manager = std::move(opened).value();
    QObject::connect(manager.get(), &VarManager::errorOccurred,
                     [](const Error &error) { Bench::fail(error.toString()); });

    std::vector<Var<int> *> vars;
    for (int i = 0; i < count; ++i)
        vars.push_back(manager->var<int>(Bench::key16(i), 0).value());
    for (int i = 0; i < count; ++i)
        vars[i]->setLazy(1'000'000 + i);
    if (!manager->sync().isOk())
        Bench::fail(QStringLiteral("initial sync failed"));

    GapProbe probe;
    probe.start();
    spin(std::chrono::milliseconds(300));
    Bench::info("probe_idle_max_gap_ms", probe.stop());
    Bench::info("probe_idle_minus_cpu_wait_ms", probe.stop() - probe.maxGapWaitingForCpuMs());

    const int reps = Bench::repetitions(15);
    Bench::progress("autosync: %s rounds of 10,000 dirty variables", QString::number(reps));
    std::vector<double> stalls, writes, stallsWithoutCpuWait;
    for (int rep = 1; rep <= reps; ++rep) {
        for (int i = 0; i < count; ++i)
            vars[i]->setLazy(1'000'000 + rep * 100'000 + i);

        QEventLoop loop;
        Bench::Clock::time_point started;
        double writeMs = -1;
        const QMetaObject::Connection connection =
            QObject::connect(manager.get(), &VarManager::synced, &loop, [&](int) {
                if (writeMs < 0 && !manager->hasPendingChanges()) {
                    writeMs = Bench::msSince(started);
                    QTimer::singleShot(margin, Qt::PreciseTimer, &loop, &QEventLoop::quit);
                }
            });
        QTimer timeout;
        timeout.setSingleShot(true);
        QObject::connect(&timeout, &QTimer::timeout, &loop, &QEventLoop::quit);
        timeout.start(std::chrono::seconds(30));

        probe.start();
        spin(std::chrono::milliseconds(10)); // the probe is ticking before autoSync starts
        started = Bench::Clock::now();
        manager->autoSync(autoSyncInterval);
        loop.exec();
        stalls.push_back(probe.stop());
        stallsWithoutCpuWait.push_back(stalls.back() - probe.maxGapWaitingForCpuMs());
        manager->stopAutoSync();
        QObject::disconnect(connection);
        if (writeMs < 0 || manager->hasPendingChanges())
            Bench::fail(QStringLiteral("autoSync did not write the values within 30 s"));
        writes.push_back(writeMs - double(autoSyncInterval.count()));
    }

    Bench::info("autosync_write_10k_ms", Bench::median(writes));
    Bench::info("gui_stall_minus_cpu_wait_ms", Bench::median(stallsWithoutCpuWait));
    Bench::result("gui_stall_max_ms", stalls);
    return 0;
}
