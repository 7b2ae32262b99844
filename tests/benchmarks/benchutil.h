// SPDX-License-Identifier: MIT
// Shared helpers of the benchmark programs (not API): timing, medians, result lines, keys.
//
// Every program prints its figures on standard output as lines "RESULT <key> <number>" (the keys
// of bench-results.json) and "INFO <key> <number>" (context for the table, not in the JSON);
// progress and details go to standard error. scripts/bench collects the lines.
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QString>
#include <QtCore/QTemporaryDir>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

namespace Bench {

using Clock = std::chrono::steady_clock;

// Keeps the compiler from optimizing a value (and the work producing it) away.
template<typename T>
inline void doNotOptimize(const T &value)
{
    asm volatile("" : : "r,m"(value) : "memory");
}

inline double msSince(Clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

inline double nsSince(Clock::time_point start)
{
    return std::chrono::duration<double, std::nano>(Clock::now() - start).count();
}

inline double median(std::vector<double> samples)
{
    if (samples.empty())
        return 0;
    std::sort(samples.begin(), samples.end());
    const size_t n = samples.size();
    return n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
}

inline double minimum(const std::vector<double> &samples)
{
    return samples.empty() ? 0 : *std::min_element(samples.begin(), samples.end());
}

inline double maximum(const std::vector<double> &samples)
{
    return samples.empty() ? 0 : *std::max_element(samples.begin(), samples.end());
}

// PERSISTVAR_BENCH_QUICK=1 runs fewer repetitions: for trying the programs out, not for figures.
inline bool quick()
{
    const char *value = std::getenv("PERSISTVAR_BENCH_QUICK");
    return value && *value && *value != '0';
}

inline int repetitions(int normal)
{
    return quick() ? std::max(1, normal / 3) : normal;
}

// A figure for bench-results.json: the median of the samples, with the spread on stderr.
inline void result(const char *key, const std::vector<double> &samples)
{
    const double value = median(samples);
    std::fprintf(stderr, "  %-28s median %12.4f  min %12.4f  max %12.4f  (n=%zu)\n", key, value,
                 minimum(samples), maximum(samples), samples.size());
    std::printf("RESULT %s %.6g\n", key, value);
    std::fflush(stdout);
}

inline void result(const char *key, double value)
{
    std::fprintf(stderr, "  %-28s %12.4f\n", key, value);
    std::printf("RESULT %s %.6g\n", key, value);
    std::fflush(stdout);
}

// Context printed in the table but kept out of the JSON, whose keys are fixed by the issue.
inline void info(const char *key, double value)
{
    std::fprintf(stderr, "  %-28s %12.4f  (info)\n", key, value);
    std::printf("INFO %s %.6g\n", key, value);
    std::fflush(stdout);
}

inline void progress(const char *format, const QString &argument = QString())
{
    std::fprintf(stderr, format, qPrintable(argument));
    std::fputc('\n', stderr);
    std::fflush(stderr);
}

[[noreturn]] inline void fail(const QString &message)
{
    std::fprintf(stderr, "benchmark failed: %s\n", qPrintable(message));
    std::exit(1);
}

// A key of exactly 16 characters ("bench/k000000042"), allocated with no spare capacity.
inline QString key16(int i)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "bench/k%09d", i);
    return QString::fromLatin1(buffer, 16);
}

// Where benchmark files go: PERSISTVAR_BENCH_DIR, else the system temp folder. Either way a real
// file system (the same one as the build on this machine), never tmpfs-only assumptions.
inline QString scratchRoot()
{
    const QByteArray dir = qgetenv("PERSISTVAR_BENCH_DIR");
    return dir.isEmpty() ? QString() : QString::fromLocal8Bit(dir);
}

class ScratchDir
{
public:
    ScratchDir()
        : m_dir(scratchRoot().isEmpty() ? std::make_unique<QTemporaryDir>()
                                        : std::make_unique<QTemporaryDir>(
                                            scratchRoot() + QStringLiteral("/pvbench-XXXXXX")))
    {
        if (!m_dir->isValid())
            fail(QStringLiteral("cannot create a temporary folder: %1").arg(m_dir->errorString()));
    }
    QString filePath(const QString &name) const { return m_dir->filePath(name); }
    QString path() const { return m_dir->path(); }

private:
    std::unique_ptr<QTemporaryDir> m_dir;
};

} // namespace Bench
