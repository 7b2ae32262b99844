// SPDX-License-Identifier: MIT
#include "varregistry_p.h"

#include <QtCore/QHashFunctions>
#include <QtCore/QStringDecoder>

#include <algorithm>
#include <bit>

namespace PersistVar {

namespace {

} // namespace

size_t VarRegistry::hashOf(QStringView key)
{
    // Qt's per-process seed: keys may come from outside (a store, QML), so no fixed seed.
    return qHash(key, QHashSeed::globalSeed());
}

namespace {

quint8 tagOf(size_t hash)
{
    return quint8(0x80 | (hash >> (sizeof(size_t) * 8 - 7)));
}

// Linear probing stays short up to 7/8 full when probes compare one-byte tags.
size_t capacityFor(qsizetype count)
{
    return std::bit_ceil(std::max<size_t>(16, size_t(count) + size_t(count) / 7 + 1));
}

} // namespace

VarBase *VarRegistry::find(QStringView key, size_t hash) const
{
    if (m_size == 0)
        return nullptr;
    const quint8 tag = tagOf(hash);
    const size_t mask = m_capacity - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        if (m_tags[i] == 0)
            return nullptr;
        if (m_tags[i] == tag && m_slots[i]->keyView() == key)
            return m_slots[i];
    }
}

void VarRegistry::place(VarBase *var, size_t hash)
{
    const size_t mask = m_capacity - 1;
    size_t i = hash & mask;
    while (m_tags[i] != 0)
        i = (i + 1) & mask;
    m_tags[i] = tagOf(hash);
    m_slots[i] = var;
}

void VarRegistry::rehash(size_t capacity)
{
    std::unique_ptr<VarBase *[]> oldSlots = std::move(m_slots);
    std::unique_ptr<quint8[]> oldTags = std::move(m_tags);
    const size_t oldCapacity = m_capacity;
    m_slots = std::make_unique<VarBase *[]>(capacity); // zeroed
    m_tags = std::make_unique<quint8[]>(capacity);
    m_capacity = capacity;
    for (size_t i = 0; i < oldCapacity; ++i) {
        if (oldTags[i] != 0)
            place(oldSlots[i], hashOf(oldSlots[i]->keyView()));
    }
}

void VarRegistry::insert(VarBase *var, size_t hash)
{
    Q_ASSERT(hash == hashOf(var->keyView()));
    if (size_t(m_size + 1) * 8 > m_capacity * 7)
        rehash(std::max(capacityFor(m_size + 1), m_capacity * 2));
    place(var, hash);
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

void StoreSnapshot::add(QAnyStringView key, QByteArrayView value)
{
    Entry entry{};
    entry.keyPosition = qsizetype(m_keys.size());
    key.visit([this](auto view) {
        using View = decltype(view);
        if constexpr (std::is_same_v<View, QStringView>) {
            m_keys.insert(m_keys.end(), view.utf16(), view.utf16() + view.size());
        } else if constexpr (std::is_same_v<View, QLatin1StringView>) {
            for (char c : view)
                m_keys.push_back(char16_t(uchar(c)));
        } else {
            // UTF-8. Keys are nearly always ASCII, which widens byte by byte.
            const bool ascii =
                std::all_of(view.begin(), view.end(), [](char c) { return uchar(c) < 0x80; });
            if (ascii) {
                for (char c : view)
                    m_keys.push_back(char16_t(c));
            } else {
                const QString decoded = QString::fromUtf8(view.data(), view.size());
                m_keys.insert(m_keys.end(), decoded.utf16(), decoded.utf16() + decoded.size());
            }
        }
    });
    entry.keyLength = qsizetype(m_keys.size()) - entry.keyPosition;
    entry.valuePosition = qsizetype(m_values.size());
    entry.valueLength = value.size();
    m_values.insert(m_values.end(), value.data(), value.data() + value.size());
    m_entries.push_back(entry);
}

void StoreSnapshot::finish()
{
    // Half full at most: misses (keys not stored) are as common as hits while an application
    // starts, and a miss probes until it meets an empty slot.
    const size_t capacity = std::bit_ceil(std::max<size_t>(16, m_entries.size() * 2));
    m_index.assign(capacity, 0);
    m_mask = capacity - 1;
    for (size_t e = 0; e < m_entries.size(); ++e) {
        Entry &entry = m_entries[e];
        entry.hash = VarRegistry::hashOf(keyOf(entry));
        size_t i = entry.hash & m_mask;
        while (m_index[i] != 0)
            i = (i + 1) & m_mask;
        m_index[i] = qint32(e + 1);
    }
}

std::optional<QByteArrayView> StoreSnapshot::find(QStringView key, size_t hash) const
{
    if (m_index.empty())
        return std::nullopt;
    for (size_t i = hash & m_mask;; i = (i + 1) & m_mask) {
        const qint32 slot = m_index[i];
        if (slot == 0)
            return std::nullopt;
        const Entry &entry = m_entries[size_t(slot - 1)];
        if (entry.hash == hash && keyOf(entry) == key)
            return QByteArrayView(m_values.data() + entry.valuePosition, entry.valueLength);
    }
}

void StoreSnapshot::clear()
{
    // Give the memory back: swap with empty vectors (clear() keeps the capacity).
    std::vector<char16_t>().swap(m_keys);
    std::vector<char>().swap(m_values);
    std::vector<Entry>().swap(m_entries);
    std::vector<qint32>().swap(m_index);
    m_mask = 0;
}

} // namespace PersistVar
