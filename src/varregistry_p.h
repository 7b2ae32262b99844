// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/storage.h>
#include <persistvar/var.h>

#include <QtCore/QAnyStringView>
#include <QtCore/QByteArrayView>
#include <QtCore/QHashFunctions>
#include <QtCore/QList>
#include <QtCore/QStringView>
#include <QtCore/QtEndian>

#include "storage_p.h"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace PersistVar {

namespace Private {
// Bytes mapped directly as huge pages (see ZeroedBlock), which malloc statistics do not see;
// for bench_memory.
PERSISTVAR_EXPORT size_t mappedArenaBytes();

// Zeroed memory for a large table or block.
class ZeroedBlock
{
public:
    static constexpr size_t HugePageSize = 2 * 1024 * 1024;

    enum class Use {
        // All of it will be written: from HugePageSize on it is whole huge pages
        // (MADV_HUGEPAGE) where the system offers them. Filling memory of 4 KiB pages costs a
        // page fault for each (about 2.5 us here, against 0.1 us to zero the page), and a table
        // read at random positions a TLB miss on nearly every access. Smaller ones come from
        // calloc().
        Dense,
        // Little of it will be touched: from 64 KiB on it is mapped directly, so that only the
        // pages touched ever exist. calloc() could take it from the heap, and then clear all
        // of it first (glibc serves even large blocks from the heap once as large a one was
        // freed): 4 MiB cost 4 ms.
        Sparse,
    };

    ZeroedBlock() = default;
    // Throws std::bad_alloc, like new, when no memory is to be had.
    explicit ZeroedBlock(size_t bytes, Use use = Use::Dense);
    ZeroedBlock(ZeroedBlock &&other) noexcept { swap(other); }
    ZeroedBlock &operator=(ZeroedBlock &&other) noexcept
    {
        ZeroedBlock(std::move(other)).swap(*this);
        return *this;
    }
    ~ZeroedBlock();
    void swap(ZeroedBlock &other) noexcept
    {
        std::swap(m_memory, other.m_memory);
        std::swap(m_size, other.m_size);
        std::swap(m_isMapped, other.m_isMapped);
        std::swap(m_isSparse, other.m_isSparse);
    }

    char *data() const { return m_memory; }
    template<typename T>
    T *as() const
    {
        return reinterpret_cast<T *>(m_memory);
    }
    size_t size() const { return m_size; }

private:
    char *m_memory = nullptr;
    size_t m_size = 0;
    bool m_isMapped = false;
    bool m_isSparse = false;
};
} // namespace Private

// The manager's variables by key. Each variable holds its own key (VarBase::keyView()), so the
// table holds only a pointer and 31 bits of the key's hash per slot: a QHash<QString, VarBase *>
// would keep a second handle to the key and a 32-byte node per variable. Open addressing with
// linear probing; a probe compares the hash bits before it touches a variable, and growing
// never touches the variables (which would mean a cache miss for each). Variables are never
// removed, only all deleted with the manager. Not thread-safe: the manager guards it with its
// registry mutex.
class VarRegistry
{
    friend class StoreSnapshot; // shares the hash and widenFour()

public:
    VarRegistry() = default;
    Q_DISABLE_COPY_MOVE(VarRegistry)

    // The hash both tables use, so that one computation serves a lookup in each and an insert.
    static size_t hashOf(QStringView key) { return hashUnits(key.utf16(), key.size()); }
    // The same hash of a key held in Latin-1: equal to hashOf() of the same characters.
    static size_t hashOf(QLatin1StringView key)
    {
        return hashUnits(reinterpret_cast<const uchar *>(key.data()), key.size());
    }

    VarBase *find(QStringView key) const { return find(key, hashOf(key)); }
    // Brings the slot a lookup of \a hash starts at into the cache, so that the lookup, which
    // follows a little later, does not wait for memory.
    void prefetch(size_t hash) const
    {
#if defined(__GNUC__) || defined(__clang__)
        if (m_capacity != 0)
            __builtin_prefetch(&table()[markOf(hash) & (m_capacity - 1)]);
#else
        Q_UNUSED(hash)
#endif
    }
    VarBase *find(QStringView key, size_t hash) const;
    // \a var's key must not be in the registry yet; \a hash is hashOf(var->keyView()), of which
    // only the low 32 bits count (all that the start-up snapshot keeps).
    void insert(VarBase *var, size_t hash);
    void reserve(qsizetype count);
    qsizetype size() const
    {
        return m_size;
    }
    bool isEmpty() const
    {
        return m_size == 0;
    }
    QList<VarBase *> values() const;
    // Calls \a function for every variable. The table's order is the hashes', which visits the
    // variables' memory at random: each one is fetched into the cache a few calls ahead.
    template<typename Function>
    void forEach(Function function) const
    {
        constexpr int Ahead = 8;
        const_iterator ahead = begin();
        for (int i = 0; i < Ahead && ahead != end(); ++i, ++ahead)
            prefetchObject(*ahead);
        for (const_iterator it = begin(); it != end(); ++it) {
            if (ahead != end()) {
                prefetchObject(*ahead);
                ++ahead;
            }
            function(*it);
        }
    }

private:
    static void prefetchObject(const VarBase *var)
    {
#if defined(__GNUC__) || defined(__clang__)
        // A Var<int> takes 72 bytes, whose destructor reads the last ones: two cache lines.
        __builtin_prefetch(var);
        __builtin_prefetch(reinterpret_cast<const char *>(var) + 64);
#else
        Q_UNUSED(var)
#endif
    }

    struct Slot
    {
        // 0: empty; else markOf(hash). The low 31 bits place the slot (the capacity stays below
        // 2^31).
        quint32 mark;
        VarBase *var;
    };

public:
    class const_iterator
    {
    public:
        const_iterator(const Slot *slot, const Slot *end) : m_slot(slot), m_end(end)
        {
            skipEmpty();
        }
        VarBase *operator*() const { return m_slot->var; }
        const_iterator &operator++()
        {
            ++m_slot;
            skipEmpty();
            return *this;
        }
        bool operator!=(const const_iterator &other) const { return m_slot != other.m_slot; }

    private:
        void skipEmpty()
        {
            while (m_slot != m_end && !m_slot->var)
                ++m_slot;
        }
        const Slot *m_slot;
        const Slot *m_end;
    };
    const_iterator begin() const
    {
        return {table(), table() + m_capacity};
    }
    const_iterator end() const
    {
        return {table() + m_capacity, table() + m_capacity};
    }

private:
    // A hash of the UTF-16 code units, whichever width holds them: the snapshot's Latin-1 keys
    // and the application's QStrings hash alike without widening a copy. qHash() has no such
    // pair (in Qt 6.4), and costs twice as much for a short key. Four units at a time; seeded
    // with Qt's per-process seed, as keys may come from outside (a store, QML).
    static size_t hashUnits(const char16_t *units, qsizetype count)
    {
        return hashUnits(units, count, [](const char16_t *four) {
            quint64 word;
            std::memcpy(&word, four, sizeof word);
            return qFromLittleEndian(word);
        });
    }
    static size_t hashUnits(const uchar *units, qsizetype count)
    {
        return hashUnits(units, count, widenFour);
    }
    // Four Latin-1 characters as the little-endian word their UTF-16 units make.
    static quint64 widenFour(const uchar *four)
    {
        quint32 bytes;
        std::memcpy(&bytes, four, sizeof bytes);
        quint64 word = qFromLittleEndian(bytes);
        word = (word | word << 16) & 0x0000ffff0000ffffull;
        return (word | word << 8) & 0x00ff00ff00ff00ffull;
    }
    template<typename Unit, typename LoadFour>
    static size_t hashUnits(const Unit *units, qsizetype count, LoadFour loadFour)
    {
        constexpr quint64 M1 = 0x9e3779b97f4a7c15ull;
        constexpr quint64 M2 = 0xbf58476d1ce4e5b9ull;
        constexpr quint64 M3 = 0x94d049bb133111ebull;
        quint64 h = quint64(processSeed()) ^ (quint64(count) * M1);
        if (count >= 4) {
            for (qsizetype i = 0; i + 4 < count; i += 4) {
                h = (h ^ loadFour(units + i)) * M2;
                h ^= h >> 31;
            }
            // The last four units, overlapping the word before unless the count is a multiple
            // of four: one more word instead of up to three single units.
            h = (h ^ loadFour(units + count - 4)) * M2;
            h ^= h >> 31;
        } else {
            for (qsizetype i = 0; i < count; ++i) {
                h = (h ^ quint64(units[i])) * M3;
                h ^= h >> 29;
            }
        }
        // The finalizer of splitmix64: every bit of the input reaches the low bits that pick
        // a slot.
        h ^= h >> 30;
        h *= M2;
        h ^= h >> 27;
        h *= M3;
        h ^= h >> 31;
        // Never 0 in the low 32 bits: a snapshot record's hash of 0 means not computed yet.
        h |= quint64(quint32(h) == 0);
        return size_t(h);
    }
    static size_t processSeed()
    {
        static const size_t seed = QHashSeed::globalSeed();
        return seed;
    }

    static quint32 markOf(size_t hash)
    {
        return quint32(hash) | 0x80000000u;
    }
    void rehash(size_t capacity);
    void place(VarBase *var, quint32 mark);

    Slot *table() const
    {
        return m_slots.as<Slot>();
    }

    // One array, not one of marks and one of pointers: a lookup and the insert after it touch
    // one cache line, not two. Huge pages from 2 MiB (about 110,000 variables) on.
    Private::ZeroedBlock m_slots;
    size_t m_capacity = 0; // a power of two
    qsizetype m_size = 0;
};

// Memory for a manager's variables, which all live exactly as long as it does: bump allocation
// from large blocks, released together. One malloc() per variable would cost more than the rest
// of creating it, and a header per block. Not thread-safe: the manager's registry lock guards it.
class VarArena
{
public:
    VarArena() = default;
    Q_DISABLE_COPY_MOVE(VarArena)

    void *allocate(size_t bytes, size_t alignment);
    // About \a bytes more will be allocated soon: blocks grow to match at once.
    void expect(size_t bytes);

private:
    static constexpr size_t FirstBlockSize = 16 * 1024;
    static constexpr size_t HugePageSize = Private::ZeroedBlock::HugePageSize;
    std::vector<Private::ZeroedBlock> m_blocks;
    size_t m_nextSize = FirstBlockSize;
    char *m_next = nullptr;
    size_t m_left = 0;
};

// What the store held when the manager first needed a value: every key and its bytes, read in
// one pass. Each entry is one record (key characters, then value bytes) in large chunks; filling
// it copies each byte once, where a hash of QString and QByteArray copies would cost two
// allocations per key and growing flat vectors would copy everything again at each doubling.
//
// Lookups try the entry after the one found last before anything else: applications create
// their variables in much the same order every time they start, and a store returns its rows
// in a stable order (SQLite: the order they were first written). The hash index is built only
// when that guess fails, so a start-up that follows the store's order never builds it.
//
// loadInBackground() fills it on a thread of its own while find() already answers: a lookup
// waits only until its key has been read, so reading the store and creating the variables
// overlap instead of adding up.
//
// Serves the variables an application creates while it starts; the manager drops it when its
// event loop first runs. find(), peek(), take() and size() may run in any thread, one at a time
// (the manager holds its registry lock); load(), loadInBackground() and clear() in the owner's.
class StoreSnapshot
{
public:
    StoreSnapshot() = default;
    ~StoreSnapshot() { clear(); }
    Q_DISABLE_COPY_MOVE(StoreSnapshot)

    // Replaces the content with everything \a storage holds, read in this thread. On failure
    // the snapshot is empty.
    Result<void> load(Storage *storage);
    // Replaces the content with everything \a reader reads, in a thread of its own; false when
    // no thread could be started.
    bool loadInBackground(Private::BackgroundReader reader);

    enum class Lookup {
        Found, // *value holds the stored bytes, valid until clear()
        NotStored, // the store did not hold the key
        Unknown, // reading the store failed (or nothing was loaded): ask the store itself
    };
    // Looks \a key up (\a hash is VarRegistry::hashOf(key)), waiting for a background load
    // to read it or to end. Each key is looked up at most once: the caller keeps what it
    // found, and a lookup may take for granted that earlier answers were kept.
    Lookup find(QStringView key, size_t hash, QByteArrayView *value);

    // The entry a lookup tries first, when it holds the key peek() was asked about.
    struct Candidate
    {
        size_t entry;
        const void *record;
        size_t hash; // of the key
        // Every entry before it was taken, in order, and it was not: no lookup has asked for
        // this key yet.
        bool isFirstLookup;
        // The hash of the entry a few places further on, or 0 when it is not read yet: the
        // key the application will likely ask for soon, whose registry slot can be fetched
        // into the cache now.
        quint32 aheadHash;
    };
    // The entry a lookup tries first (see above), if it holds \a key, with the key's hash
    // (kept in the entry for the hash index, should one be built); take() then finds the entry
    // without comparing again.
    std::optional<Candidate> peek(QStringView key);
    // What find() of the key \a candidate came from would find, when nothing was looked up
    // since peek() returned it.
    QByteArrayView take(const Candidate &candidate);
    // The number of entries read so far.
    qsizetype size() const { return qsizetype(m_published.load(std::memory_order_acquire)); }
    // About how many entries a load will read: waits for a background load's estimate.
    qsizetype expectedSize() const;
    // Stops a background load and frees the memory.
    void clear();

private:
    struct Record
    {
        static constexpr quint32 Wide = 0x80000000u;
        // Characters, or'ed with Wide for UTF-16; else Latin-1, one byte each (nearly every
        // key is ASCII: half the memory to fill, and the kernel's page faults are what
        // filling costs most).
        quint32 keyLength;
        quint32 valueLength; // bytes
        // The low 32 bits of VarRegistry::hashOf(key), all that either table uses; 0 until a
        // lookup needs it (see hashOf()).
        quint32 hash;
        // char16_t or char key[keyLength]; char value[valueLength];
    };
    // A record's place in memory: chunk << ChunkShift | offset / 4, plus one.
    using Reference = quint32;
    struct Slot
    {
        quint32 hash; // the low 32 bits of the key's hash
        quint32 entry; // 0: empty; else the entry's index, plus one
    };
    enum class State { Empty, Loading, Complete, Failed };
    static constexpr int ChunkShift = 19; // offsets in 4-byte units: chunks up to 2 MiB
    static constexpr size_t ChunkSize = size_t(4) << ChunkShift; // a huge page
    static constexpr size_t SmallChunkSize = 128 * 1024;
    static_assert(ChunkSize == Private::ZeroedBlock::HugePageSize);
    static constexpr size_t MaxChunks = (size_t(1) << (32 - ChunkShift)) - 1;
    static constexpr int OrderShift = 12; // entries per block of m_order
    static constexpr size_t MaxEntries = size_t(1) << 31;
    static constexpr size_t MaxOrderBlocks = MaxEntries >> OrderShift;

    // The writer's side: load(), or the background thread.
    void append(QAnyStringView key, QByteArrayView value);
    void appendUtf8(QUtf8StringView key, QByteArrayView value);
    void appendAscii(QUtf8StringView key, QByteArrayView value);
    void appendRecord(QLatin1StringView key, QByteArrayView value);
    void appendRecord(QStringView key, QByteArrayView value);
    // Reserves a record and its place in the order; returns where the key goes.
    char *allocateRecord(qsizetype keyLength, bool wide, QByteArrayView value);
    // Copies the key (unless \a key is null: already there) and the value, and counts the entry.
    void finishRecord(char *characters, const void *key, size_t keyBytes, QByteArrayView value);
    static bool keyEquals(const Record *record, QStringView key);
    static quint32 hashOf(const Record *record);
    static QByteArrayView valueOf(const Record *record);
    char *allocate(size_t bytes, Reference *reference);
    void publish();
    void start();
    void finishLoading(const Result<void> &result);

    // Readable without the lock for entries below m_published: written before it was raised,
    // and never moved (blocks and chunks are fixed once allocated).
    Reference order(size_t entry) const
    {
        return m_orderBlocks[entry >> OrderShift][entry & ((size_t(1) << OrderShift) - 1)];
    }
    const Record *record(Reference reference) const;
    bool matches(size_t entry, QStringView key, quint32 hash, QByteArrayView *value);
    // With m_mutex held.
    void indexUpTo(size_t count);
    bool probe(QStringView key, quint32 hash, QByteArrayView *value);
    void place(Slot slot);
    void grow();

    // The writer's, the readers' and the shared members each have cache lines of their own:
    // the writer changes its own for every entry and a reader its own for every lookup, and
    // sharing a line would make the two threads' cores pass it back and forth each time.
    static constexpr size_t CacheLine = 64;

    // Set before a load starts, and read by every lookup: apart from the writer's counters
    // below, which change with every entry. (What they point to is written by the writer and
    // published through m_published.)
    alignas(CacheLine) char **m_chunks = nullptr; // MaxChunks entries
    Reference **m_orderBlocks = nullptr; // the entries in read order
    // The writer's own.
    alignas(CacheLine) size_t m_written = 0; // entries appended, published or not
    size_t m_chunkCount = 0;
    size_t m_current = 0; // the chunk small records go to; m_chunkCount when none
    char *m_currentBase = nullptr; // its memory
    size_t m_currentSize = 0; // its size
    size_t m_used = 0; // bytes of it
    size_t m_expectedBytes = 0; // what a background load estimates the records will take
    std::vector<Private::ZeroedBlock> m_chunkBlocks; // owns what m_chunks points to
    Private::ZeroedBlock m_chunkTable; // owns m_chunks
    Private::ZeroedBlock m_orderTable; // owns m_orderBlocks
    bool m_overflow = false; // more than the references can address: the load fails

    // The readers' own (find() runs one at a time).
    alignas(CacheLine) size_t m_cursor = 0; // the entry after the one found last
    bool m_inOrder = true; // every entry below m_cursor was found, in order

    alignas(CacheLine) std::atomic<size_t> m_published{0}; // entries readers may use
    mutable std::mutex m_mutex; // guards what follows
    mutable std::condition_variable m_changed; // an estimate, or the end of loading
    State m_state = State::Empty;
    qsizetype m_expected = -1; // a background load's estimate; -1: not known yet
    Private::ZeroedBlock m_slots; // the hash index of the first m_indexed entries
    size_t m_mask = 0; // capacity - 1
    size_t m_indexed = 0;

    alignas(CacheLine) std::atomic<bool> m_cancelled{false};
    std::thread m_thread;
};

} // namespace PersistVar
