// SPDX-License-Identifier: MIT
// bytes_per_var: the heap one unobserved Var<int> costs, with 100,000 variables of 16-character
// keys.
//
// Method: glibc's mallinfo2() before and after, summed over every arena. uordblks counts the
// chunks in use, so the figure includes the allocator's overhead (the chunk header and the
// rounding to 16 bytes), not only the bytes asked for; hblkhd adds blocks that were mmap()ed
// (large hash tables), and the library reports the blocks it maps itself as huge pages (the
// variables' arena, the registry's table).
// Counted: everything the manager holds per variable after creating it, the Var object, its share
// of the registry hash, and its copy of the key. The benchmark builds the keys itself (QString of
// 16 characters, no spare capacity) and drops its own list afterwards, so a key's characters count
// only when the manager keeps them alive; the list's array, the benchmark's own temporary
// allocation, is freed before the second reading. A memory: store: nothing is stored (every
// variable serves its default), so the store itself holds nothing per variable. Global operator new
// is counted as well, to show how many separate allocations a variable costs (Qt allocates string
// data with malloc, which this cannot see).
#include "benchutil.h"

#include <persistvar/varmanager.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QList>

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<long long> newCalls{0};
}

void *operator new(std::size_t size)
{
    newCalls.fetch_add(1, std::memory_order_relaxed);
    if (void *p = std::malloc(size ? size : 1))
        return p;
    throw std::bad_alloc();
}

void *operator new[](std::size_t size)
{
    newCalls.fetch_add(1, std::memory_order_relaxed);
    if (void *p = std::malloc(size ? size : 1))
        return p;
    throw std::bad_alloc();
}

void *operator new(std::size_t size, const std::nothrow_t &) noexcept
{
    newCalls.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(size ? size : 1);
}

void *operator new[](std::size_t size, const std::nothrow_t &) noexcept
{
    newCalls.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(size ? size : 1);
}

void operator delete(void *p) noexcept
{
    std::free(p);
}
void operator delete[](void *p) noexcept
{
    std::free(p);
}
void operator delete(void *p, std::size_t) noexcept
{
    std::free(p);
}
void operator delete[](void *p, std::size_t) noexcept
{
    std::free(p);
}
void operator delete(void *p, const std::nothrow_t &) noexcept
{
    std::free(p);
}
void operator delete[](void *p, const std::nothrow_t &) noexcept
{
    std::free(p);
}

namespace PersistVar::Private {
// Blocks the library maps directly as huge pages (the variables' arena, the registry's table):
// not in mallinfo2().
size_t mappedArenaBytes();
} // namespace PersistVar::Private

using namespace PersistVar;

namespace {

size_t heapInUse()
{
    const struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd + PersistVar::Private::mappedArenaBytes();
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    constexpr int count = 100'000;

    auto opened = VarManager::open(QStringLiteral("memory:"));
    if (!opened.isOk())
        Bench::fail(opened.error().toString());
    std::unique_ptr<VarManager> manager = std::move(opened).value();
    // One-time costs (the first load, lazily built internals) stay out of the figure.
    if (!manager->var<int>(QStringLiteral("warm-up"), 0).isOk())
        Bench::fail(QStringLiteral("cannot create a variable"));

    // For context: what the benchmark's own 100,000 keys cost while it holds them.
    size_t keysOnly = 0;
    {
        const size_t start = heapInUse();
        QList<QString> keys;
        keys.reserve(count);
        for (int i = 0; i < count; ++i)
            keys.append(Bench::key16(i + 1'000'000));
        keysOnly = heapInUse() - start;
    }

    const size_t before = heapInUse();
    const long long newBefore = newCalls.load();
    {
        QList<QString> keys;
        keys.reserve(count);
        for (int i = 0; i < count; ++i)
            keys.append(Bench::key16(i));
        for (int i = 0; i < count; ++i) {
            if (!manager->var<int>(keys.at(i), 0).isOk())
                Bench::fail(QStringLiteral("cannot create variable %1").arg(keys.at(i)));
        }
    } // the benchmark's list goes; key data the manager shares stays allocated, and counts
    const size_t after = heapInUse();
    const long long newAfter = newCalls.load();

    // QString and QList allocate with malloc, not operator new: every operator new counted
    // here is the manager's.
    const double perVar = double(after - before) / count;
    Bench::progress("memory: heap in use grew by %s bytes for 100,000 variables",
                    QString::number(qlonglong(after - before)));
    Bench::result("bytes_per_var", perVar);
    Bench::info("key_list_bytes_per_key", double(keysOnly) / count);
    Bench::info("new_calls_per_var", double(newAfter - newBefore) / count);
    Bench::info("sizeof_var_int", double(sizeof(Var<int>)));

    // Sanity: the variables are there and cheap to read.
    if (manager->find(Bench::key16(count - 1)) == nullptr)
        Bench::fail(QStringLiteral("a variable is missing"));
    return 0;
}
