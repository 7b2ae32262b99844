// SPDX-License-Identifier: MIT
#include "varregistry_p.h"

#include "logging_p.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QHashFunctions>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <span>

#if __has_include(<sys/mman.h>)
#include <sys/mman.h>
#endif

namespace PersistVar {

namespace {

// Linear probing stays short up to 7/8 full when probes compare hash bits, not keys.
size_t capacityFor(qsizetype count)
{
    return std::bit_ceil(std::max<size_t>(16, size_t(count) + size_t(count) / 7 + 1));
}

} // namespace

VarBase *VarRegistry::find(QStringView key, size_t hash) const
{
    if (m_size == 0)
        return nullptr;
    const quint32 mark = markOf(hash);
    const size_t mask = m_capacity - 1;
    for (size_t i = mark & mask;; i = (i + 1) & mask) {
        const Slot &slot = table()[i];
        if (slot.mark == 0)
            return nullptr;
        if (slot.mark == mark && slot.var->keyView() == key)
            return slot.var;
    }
}

void VarRegistry::place(VarBase *var, quint32 mark)
{
    const size_t mask = m_capacity - 1;
    size_t i = mark & mask;
    Slot *const entries = table();
    while (entries[i].mark != 0)
        i = (i + 1) & mask;
    entries[i] = Slot{mark, var};
}

void VarRegistry::rehash(size_t capacity)
{
    Q_ASSERT(capacity <= size_t(1) << 31);
    const Private::ZeroedBlock old =
        std::exchange(m_slots, Private::ZeroedBlock(capacity * sizeof(Slot)));
    const size_t oldCapacity = m_capacity;
    m_capacity = capacity;
    for (const Slot &slot : std::span(old.as<Slot>(), oldCapacity)) {
        if (slot.mark != 0)
            place(slot.var, slot.mark);
    }
}

void VarRegistry::insert(VarBase *var, size_t hash)
{
    Q_ASSERT(quint32(hash) == quint32(hashOf(var->keyView()))); // the bits the table uses
    if (size_t(m_size + 1) * 8 > m_capacity * 7)
        rehash(std::max(capacityFor(m_size + 1), m_capacity * 2));
    place(var, markOf(hash));
    ++m_size;
}

void VarRegistry::reserve(qsizetype count)
{
    const size_t capacity = capacityFor(count);
    if (capacity > m_capacity)
        rehash(capacity);
}

QList<VarBase *> VarRegistry::values() const
{
    QList<VarBase *> result;
    result.reserve(m_size);
    for (VarBase *var : *this)
        result.append(var);
    return result;
}

namespace {

// Bytes of huge-page blocks, which are mapped directly and so invisible to malloc statistics;
// bench_memory adds them to what mallinfo2() reports.
std::atomic<size_t> mappedBytes{0};

} // namespace

namespace Private {

PERSISTVAR_EXPORT size_t mappedArenaBytes()
{
    return mappedBytes.load(std::memory_order_relaxed);
}

ZeroedBlock::ZeroedBlock(size_t bytes, Use use)
{
    if (bytes == 0)
        return;
#ifdef MADV_HUGEPAGE
    if (use == Use::Sparse && bytes >= 64 * 1024) {
        void *mapped =
            mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mapped != MAP_FAILED) {
            // Not counted in mappedBytes: of a sparse table only a page or two ever exists.
            m_memory = static_cast<char *>(mapped);
            m_size = bytes;
            m_isMapped = true;
            m_isSparse = true;
            return;
        }
    }
    if (use == Use::Dense && bytes >= HugePageSize) {
        const size_t size = (bytes + HugePageSize - 1) & ~(HugePageSize - 1);
        // One huge page more than needed, so that the block can start on a huge page's
        // boundary; the rest is given back. Anonymous memory is zeroed.
        void *mapped = mmap(nullptr, size + HugePageSize, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mapped != MAP_FAILED) {
            char *start = static_cast<char *>(mapped);
            char *aligned = reinterpret_cast<char *>(
                (reinterpret_cast<quintptr>(start) + HugePageSize - 1) & ~(HugePageSize - 1));
            if (aligned > start)
                munmap(start, size_t(aligned - start));
            if (char *end = aligned + size; end < start + size + HugePageSize)
                munmap(end, size_t(start + size + HugePageSize - end));
            madvise(aligned, size, MADV_HUGEPAGE);
            m_memory = aligned;
            m_size = size;
            m_isMapped = true;
            mappedBytes.fetch_add(size, std::memory_order_relaxed);
            return;
        }
    }
#endif
    m_memory = static_cast<char *>(std::calloc(bytes, 1));
    if (!m_memory)
        throw std::bad_alloc();
    m_size = bytes;
}

ZeroedBlock::~ZeroedBlock()
{
#ifdef MADV_HUGEPAGE
    if (m_isMapped) {
        munmap(m_memory, m_size);
        if (!m_isSparse)
            mappedBytes.fetch_sub(m_size, std::memory_order_relaxed);
        return;
    }
#endif
    std::free(m_memory);
}

} // namespace Private

void VarArena::expect(size_t bytes)
{
    if (bytes > m_left)
        m_nextSize = std::clamp(std::bit_ceil(bytes - m_left), m_nextSize, HugePageSize);
}

void *VarArena::allocate(size_t bytes, size_t alignment)
{
    Q_ASSERT(alignment != 0 && (alignment & (alignment - 1)) == 0);
    const size_t padding = (0 - reinterpret_cast<quintptr>(m_next)) & (alignment - 1);
    if (!m_next || padding + bytes > m_left) {
        // Blocks double, so a manager with few variables stays small and one with many makes
        // few allocations. Once they reach the size of a huge page, they are huge pages where
        // the system offers them: filling a block of 4 KiB pages costs a page fault each,
        // which for 100,000 variables is more than everything else creating them costs.
        const size_t size = std::max(m_nextSize, bytes + alignment); // a very long key
        m_nextSize = std::min(m_nextSize * 2, HugePageSize);
        m_blocks.emplace_back(size);
        m_next = m_blocks.back().data();
        m_left = m_blocks.back().size();
        return allocate(bytes, alignment);
    }
    char *memory = m_next + padding;
    m_next = memory + bytes;
    m_left -= padding + bytes;
    return memory;
}

namespace {

// Entries a background load hands over at a time: a variable waiting for its key waits a few
// microseconds at most, and the writer touches shared state once per batch, not per row.
constexpr size_t PublishBatch = 32;

// Whether UTF-8 \a text is ASCII, eight bytes at a time.
bool isAscii(QUtf8StringView text)
{
    const char *bytes = text.data();
    const qsizetype size = text.size();
    quint64 any = 0;
    if (size >= 8) {
        for (qsizetype i = 0; i + 8 < size; i += 8) {
            quint64 word;
            std::memcpy(&word, bytes + i, sizeof word);
            any |= word;
        }
        quint64 last; // overlapping the word before unless the size is a multiple of eight
        std::memcpy(&last, bytes + size - 8, sizeof last);
        any |= last;
    } else {
        for (qsizetype i = 0; i < size; ++i)
            any |= uchar(bytes[i]);
    }
    return (any & 0x8080808080808080ull) == 0;
}

// memcpy() for the few bytes of a typical key or value, without a call into the C library:
// two overlapping moves of a fixed size, which the compiler turns into plain loads and stores.
template<size_t Size>
void copyBothEnds(char *to, const char *from, size_t count)
{
    char head[Size];
    char tail[Size];
    std::memcpy(head, from, Size);
    std::memcpy(tail, from + count - Size, Size);
    std::memcpy(to, head, Size);
    std::memcpy(to + count - Size, tail, Size);
}

void copyBytes(char *to, const char *from, size_t count)
{
    if (count >= 16 && count <= 32)
        copyBothEnds<16>(to, from, count);
    else if (count >= 8 && count < 16)
        copyBothEnds<8>(to, from, count);
    else if (count >= 4 && count < 8)
        copyBothEnds<4>(to, from, count);
    else if (count > 32)
        std::memcpy(to, from, count);
    else if (count != 0) { // 1 to 3
        to[0] = from[0];
        to[count / 2] = from[count / 2];
        to[count - 1] = from[count - 1];
    }
}

} // namespace

void StoreSnapshot::start()
{
    clear();
    m_chunkTable =
        Private::ZeroedBlock(MaxChunks * sizeof(char *), Private::ZeroedBlock::Use::Sparse);
    m_chunks = m_chunkTable.as<char *>();
    m_orderTable = Private::ZeroedBlock(MaxOrderBlocks * sizeof(Reference *),
                                        Private::ZeroedBlock::Use::Sparse);
    m_orderBlocks = m_orderTable.as<Reference *>();
    m_current = m_chunkCount = 0;
    std::lock_guard lock(m_mutex);
    m_state = State::Loading;
}

Result<void> StoreSnapshot::load(Storage *storage)
{
    start();
    const Result<void> all =
        storage->loadEach([this](QAnyStringView key, QByteArrayView value) { append(key, value); });
    publish();
    finishLoading(all);
    if (std::lock_guard lock(m_mutex); m_state == State::Complete)
        return {};
    clear();
    if (!all.isOk())
        return all;
    return Error(ErrorCode::NotSupported, QString(),
                 QStringLiteral("the store is too large to read in one pass"));
}

bool StoreSnapshot::loadInBackground(Private::BackgroundReader reader)
{
    start();
    try {
        m_thread = std::thread([this, reader = std::move(reader)] {
            const bool timed = lcTiming().isDebugEnabled();
            QElapsedTimer timer;
            if (timed)
                timer.start();
            const Result<void> all = reader(
                [this](QUtf8StringView key, QByteArrayView value) {
                    appendUtf8(key, value);
                    if (m_written - m_published.load(std::memory_order_relaxed) >= PublishBatch)
                        publish();
                },
                [this, timed, &timer](qsizetype expected) {
                    if (timed)
                        qCDebug(lcTiming).nospace()
                            << "start-up snapshot: reading about " << expected << " rows, "
                            << double(timer.nsecsElapsed()) / 1e6 << " ms after its thread started";
                    // Most records take about this much: keys of a few dozen characters and
                    // values of a few bytes.
                    m_expectedBytes = size_t(expected) * 32;
                    {
                        std::lock_guard lock(m_mutex);
                        m_expected = expected;
                    }
                    m_changed.notify_all();
                },
                m_cancelled);
            publish();
            if (timed)
                qCDebug(lcTiming).nospace().noquote()
                    << "start-up snapshot: read " << m_written << " rows in "
                    << double(timer.nsecsElapsed()) / 1e6 << " ms"
                    << (all.isOk() ? QString()
                                   : QStringLiteral(" (%1)").arg(all.error().message()));
            finishLoading(all);
        });
    } catch (const std::system_error &) {
        // No thread to be had: the caller reads in its own.
        clear();
        return false;
    }
    return true;
}

void StoreSnapshot::publish()
{
    if (m_written == m_published.load(std::memory_order_relaxed))
        return;
    // No wake-up call: a waiting reader polls (see find()), and a notification for every few
    // dozen rows would cost the writer a system call each, more than reading the rows.
    m_published.store(m_written, std::memory_order_release);
}

void StoreSnapshot::finishLoading(const Result<void> &result)
{
    {
        std::lock_guard lock(m_mutex);
        m_state = result.isOk() && !m_overflow ? State::Complete : State::Failed;
    }
    m_changed.notify_all();
}

char *StoreSnapshot::allocate(size_t bytes, Reference *reference)
{
    bytes = (bytes + 3) & ~size_t(3);
    const auto newChunk = [this](size_t size) -> std::optional<size_t> {
        if (m_chunkCount == MaxChunks)
            return std::nullopt;
        m_chunks[m_chunkCount] = m_chunkBlocks.emplace_back(size).data();
        return m_chunkCount++;
    };
    std::optional<size_t> chunk;
    size_t offset = 0;
    if (bytes > ChunkSize / 4) {
        // A large value gets a chunk of its own; the current one stays open for small ones.
        chunk = newChunk(bytes);
    } else {
        if (m_current == m_chunkCount || m_used + bytes > m_currentSize) {
            // A small store gets a small first chunk; the rest are whole huge pages.
            const size_t size =
                !m_currentBase && m_expectedBytes < SmallChunkSize && bytes <= SmallChunkSize
                ? SmallChunkSize
                : ChunkSize;
            if (const std::optional<size_t> fresh = newChunk(size)) {
                m_current = *fresh;
                m_currentBase = m_chunks[m_current];
                m_currentSize = size;
                m_used = 0;
            } else {
                m_current = m_chunkCount;
            }
        }
        if (m_current < m_chunkCount) {
            chunk = m_current;
            offset = m_used;
            m_used += bytes;
        }
    }
    if (!chunk) {
        m_overflow = true;
        return nullptr;
    }
    *reference = Reference((*chunk << ChunkShift) | (offset >> 2)) + 1;
    return m_chunks[*chunk] + offset;
}

const StoreSnapshot::Record *StoreSnapshot::record(Reference reference) const
{
    const Reference r = reference - 1;
    return reinterpret_cast<const Record *>(m_chunks[r >> ChunkShift]
                                            + (size_t(r & ((1u << ChunkShift) - 1)) << 2));
}

void StoreSnapshot::append(QAnyStringView key, QByteArrayView value)
{
    key.visit([this, value](auto view) {
        if constexpr (std::is_same_v<decltype(view), QUtf8StringView>)
            appendUtf8(view, value);
        else
            appendRecord(view, value);
    });
}

void StoreSnapshot::appendUtf8(QUtf8StringView key, QByteArrayView value)
{
    if (isAscii(key)) // ASCII is Latin-1 as it is
        appendAscii(key, value);
    else // decoded, then UTF-16 or Latin-1
        appendRecord(QStringView(key.toString()), value);
}

void StoreSnapshot::appendAscii(QUtf8StringView key, QByteArrayView value)
{
    // Nearly every row: a short key and value that fit the current chunk, in a block of m_order
    // that exists. Anything else takes the general way.
    const size_t keyBytes = size_t(key.size());
    const size_t valueBytes = size_t(value.size());
    const size_t bytes = (sizeof(Record) + keyBytes + valueBytes + 3) & ~size_t(3);
    constexpr size_t OrderMask = (size_t(1) << OrderShift) - 1;
    if (Q_UNLIKELY(m_current == m_chunkCount || m_used + bytes > m_currentSize
                   || (m_written & OrderMask) == 0 || keyBytes >= Record::Wide
                   || valueBytes > ChunkSize || m_written == MaxEntries || m_overflow)) {
        if (char *characters = allocateRecord(key.size(), false, value))
            finishRecord(characters, key.data(), keyBytes, value);
        return;
    }
    char *memory = m_currentBase + m_used;
    const Reference reference = Reference((m_current << ChunkShift) | (m_used >> 2)) + 1;
    m_used += bytes;
    new (memory) Record{quint32(keyBytes), quint32(valueBytes), 0};
    copyBytes(memory + sizeof(Record), key.data(), keyBytes);
    copyBytes(memory + sizeof(Record) + keyBytes, value.data(), valueBytes);
    m_orderBlocks[m_written >> OrderShift][m_written & OrderMask] = reference;
    ++m_written;
}

void StoreSnapshot::appendRecord(QLatin1StringView key, QByteArrayView value)
{
    if (char *characters = allocateRecord(key.size(), false, value))
        finishRecord(characters, key.data(), size_t(key.size()), value);
}

void StoreSnapshot::appendRecord(QStringView key, QByteArrayView value)
{
    char16_t any = 0;
    for (QChar c : key)
        any |= c.unicode();
    const bool narrow = any < 0x100;
    char *characters = allocateRecord(key.size(), !narrow, value);
    if (!characters)
        return;
    if (narrow) {
        std::transform(key.begin(), key.end(), characters,
                       [](QChar c) { return char(c.unicode()); });
        finishRecord(characters, nullptr, size_t(key.size()), value);
    } else {
        finishRecord(characters, key.utf16(), size_t(key.size()) * sizeof(char16_t), value);
    }
}

char *StoreSnapshot::allocateRecord(qsizetype keyLength, bool wide, QByteArrayView value)
{
    if (m_overflow)
        return nullptr;
    if (keyLength >= qsizetype(Record::Wide) || value.size() > std::numeric_limits<quint32>::max()
        || m_written == MaxEntries) {
        m_overflow = true;
        return nullptr;
    }
    const size_t keyBytes = size_t(keyLength) * (wide ? sizeof(char16_t) : 1);
    Reference reference = 0;
    char *memory = allocate(sizeof(Record) + keyBytes + size_t(value.size()), &reference);
    if (!memory)
        return nullptr;
    new (memory) Record{quint32(keyLength) | (wide ? Record::Wide : 0), quint32(value.size()), 0};
    Reference *&block = m_orderBlocks[m_written >> OrderShift];
    if (!block)
        block = new Reference[size_t(1) << OrderShift];
    block[m_written & ((size_t(1) << OrderShift) - 1)] = reference;
    return memory + sizeof(Record);
}

void StoreSnapshot::finishRecord(char *characters, const void *key, size_t keyBytes,
                                 QByteArrayView value)
{
    if (key)
        std::memcpy(characters, key, keyBytes);
    if (!value.isEmpty())
        std::memcpy(characters + keyBytes, value.data(), size_t(value.size()));
    ++m_written;
}

quint32 StoreSnapshot::hashOf(const Record *record)
{
    // Computed by the first lookup that needs it, not by the thread that reads the store: that
    // one is what an open waits for, while the application's thread mostly waits for it. A
    // lookup that finds the entry it expected hashes its own QString instead (see peek()).
    // Lookups run one at a time, and the reading thread never touches a published record.
    if (record->hash == 0) {
        const size_t hash = record->keyLength & Record::Wide
            ? VarRegistry::hashOf(QStringView(reinterpret_cast<const char16_t *>(record + 1),
                                              qsizetype(record->keyLength & ~Record::Wide)))
            : VarRegistry::hashOf(QLatin1StringView(reinterpret_cast<const char *>(record + 1),
                                                    qsizetype(record->keyLength)));
        const_cast<Record *>(record)->hash = quint32(hash);
    }
    return record->hash;
}

bool StoreSnapshot::keyEquals(const Record *record, QStringView key)
{
    const char *characters = reinterpret_cast<const char *>(record + 1);
    const qsizetype length = qsizetype(record->keyLength & ~Record::Wide);
    if (length != key.size())
        return false;
    if (record->keyLength & Record::Wide)
        return std::memcmp(characters, key.utf16(), size_t(length) * sizeof(char16_t)) == 0;
    // Asked only when the keys are almost surely equal (same hash, or the entry a lookup
    // expects): compare four characters at a time, without branching on each.
    const char16_t *wide = key.utf16();
    const auto differenceAt = [characters, wide](qsizetype i) {
        quint64 four;
        std::memcpy(&four, wide + i, sizeof four);
        return VarRegistry::widenFour(reinterpret_cast<const uchar *>(characters + i))
            ^ qFromLittleEndian(four);
    };
    quint64 difference = 0;
    if (length >= 4) {
        for (qsizetype i = 0; i + 4 < length; i += 4)
            difference |= differenceAt(i);
        difference |= differenceAt(length - 4); // the last four, overlapping (see hashUnits())
    } else {
        for (qsizetype i = 0; i < length; ++i)
            difference |= char16_t(uchar(characters[i])) ^ wide[i];
    }
    return difference == 0;
}

QByteArrayView StoreSnapshot::valueOf(const Record *record)
{
    const size_t keyBytes = size_t(record->keyLength & ~Record::Wide)
        * (record->keyLength & Record::Wide ? sizeof(char16_t) : 1);
    return QByteArrayView(reinterpret_cast<const char *>(record + 1) + keyBytes,
                          qsizetype(record->valueLength));
}

bool StoreSnapshot::matches(size_t entry, QStringView key, quint32 hash, QByteArrayView *value)
{
    const Record *found = record(order(entry));
    if (hashOf(found) != hash || !keyEquals(found, key))
        return false;
    *value = valueOf(found);
    m_inOrder = m_inOrder && entry == m_cursor;
    m_cursor = entry + 1;
    return true;
}

void StoreSnapshot::indexUpTo(size_t count)
{
    for (; m_indexed < count; ++m_indexed) {
        if ((m_indexed + 1) * 2 > m_mask + 1)
            grow();
        place(Slot{hashOf(record(order(m_indexed))), quint32(m_indexed + 1)});
    }
}

bool StoreSnapshot::probe(QStringView key, quint32 hash, QByteArrayView *value)
{
    if (m_indexed == 0)
        return false;
    for (size_t i = hash & m_mask;; i = (i + 1) & m_mask) {
        const Slot &slot = m_slots.as<Slot>()[i];
        if (slot.entry == 0)
            return false;
        if (slot.hash == hash && matches(slot.entry - 1, key, hash, value))
            return true;
    }
}

void StoreSnapshot::place(Slot slot)
{
    size_t i = slot.hash & m_mask;
    Slot *const entries = m_slots.as<Slot>();
    while (entries[i].entry != 0)
        i = (i + 1) & m_mask;
    entries[i] = slot;
}

void StoreSnapshot::grow()
{
    // Half full at most: misses (keys not stored) are as common as hits while an application
    // starts, and a miss probes until it meets an empty slot. The slots hold the hashes, so
    // growing never touches the records.
    const size_t oldCapacity = m_slots.data() ? m_mask + 1 : 0;
    const size_t capacity = std::max<size_t>(1024, oldCapacity * 2);
    const Private::ZeroedBlock old =
        std::exchange(m_slots, Private::ZeroedBlock(capacity * sizeof(Slot)));
    m_mask = capacity - 1;
    for (const Slot &slot : std::span(old.as<Slot>(), oldCapacity)) {
        if (slot.entry != 0)
            place(slot);
    }
}

std::optional<StoreSnapshot::Candidate> StoreSnapshot::peek(QStringView key)
{
    const size_t published = m_published.load(std::memory_order_acquire);
    if (m_cursor >= published)
        return std::nullopt;
    const Record *next = record(order(m_cursor));
    if (!keyEquals(next, key))
        return std::nullopt;
    // Hashed from the application's UTF-16, which costs less than from the record's Latin-1.
    if (next->hash == 0)
        const_cast<Record *>(next)->hash = quint32(VarRegistry::hashOf(key));
    // Far enough ahead that the registry's slot for that key, a cache miss in a table of
    // megabytes, arrives before the key is asked for; near enough that it stays in the cache.
    constexpr size_t Lookahead = 8;
    const size_t ahead = m_cursor + Lookahead;
    return Candidate{m_cursor, next, next->hash, m_inOrder,
                     ahead < published ? hashOf(record(order(ahead))) : 0};
}

QByteArrayView StoreSnapshot::take(const Candidate &candidate)
{
    Q_ASSERT(candidate.entry == m_cursor); // nothing moved the cursor since peek()
    ++m_cursor;
    return valueOf(static_cast<const Record *>(candidate.record));
}

StoreSnapshot::Lookup StoreSnapshot::find(QStringView key, size_t hash, QByteArrayView *value)
{
    const auto hash32 = quint32(hash);
    // The likely case first, without the lock: the entry after the one found last.
    if (m_cursor < m_published.load(std::memory_order_acquire)
        && matches(m_cursor, key, hash32, value))
        return Lookup::Found;

    std::unique_lock lock(m_mutex);
    for (;;) {
        const State state = m_state;
        // Read after the state: once the state is Complete, every entry is published.
        const size_t published = m_published.load(std::memory_order_acquire);
        if (m_cursor < published && matches(m_cursor, key, hash32, value))
            return Lookup::Found;
        // Entries found in order so far hold other keys (each key is looked up once), so a
        // key is among the published entries only if some are left behind the cursor.
        if (!m_inOrder || m_cursor < published) {
            m_inOrder = false; // from now on the index answers
            indexUpTo(published);
            if (probe(key, hash32, value))
                return Lookup::Found;
        }
        switch (state) {
        case State::Complete:
            return Lookup::NotStored;
        case State::Empty:
        case State::Failed:
            return Lookup::Unknown;
        case State::Loading:
            break;
        }
        // The next entries are usually microseconds away, less than falling asleep and being
        // woken costs: yield for a while, then sleep in short naps (the writer only wakes
        // sleepers when it ends).
        lock.unlock();
        for (int i = 0; i < 256 && m_published.load(std::memory_order_acquire) == published; ++i)
            std::this_thread::yield();
        lock.lock();
        m_changed.wait_for(lock, std::chrono::microseconds(500), [&] {
            return m_published.load(std::memory_order_acquire) != published
                || m_state != State::Loading;
        });
    }
}

qsizetype StoreSnapshot::expectedSize() const
{
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [this] { return m_expected >= 0 || m_state != State::Loading; });
    return m_state == State::Loading ? m_expected : size();
}

void StoreSnapshot::clear()
{
    m_cancelled.store(true, std::memory_order_relaxed);
    if (m_thread.joinable())
        m_thread.join();
    m_cancelled.store(false, std::memory_order_relaxed);
    m_chunkBlocks.clear();
    m_chunks = nullptr;
    m_chunkTable = Private::ZeroedBlock();
    if (m_orderBlocks) {
        for (size_t b = 0; b << OrderShift < m_written; ++b)
            delete[] m_orderBlocks[b];
    }
    m_orderBlocks = nullptr;
    m_orderTable = Private::ZeroedBlock();
    m_published.store(0, std::memory_order_relaxed);
    m_written = 0;
    m_chunkCount = 0;
    m_current = 0;
    m_currentBase = nullptr;
    m_currentSize = 0;
    m_expectedBytes = 0;
    m_used = 0;
    m_overflow = false;
    m_cursor = 0;
    m_inOrder = true;
    std::lock_guard lock(m_mutex);
    m_state = State::Empty;
    m_expected = -1;
    m_slots = Private::ZeroedBlock();
    m_mask = 0;
    m_indexed = 0;
}

} // namespace PersistVar
