// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/var.h>

#include <QtCore/QAnyStringView>
#include <QtCore/QByteArrayView>
#include <QtCore/QList>
#include <QtCore/QStringView>

#include <memory>
#include <optional>
#include <vector>

namespace PersistVar {

// The manager's variables by key. Each variable holds its own key (VarBase::keyView()), so the
// table holds only a pointer and a one-byte tag per slot: a QHash<QString, VarBase *> would keep
// a second handle to the key and a 32-byte node per variable. Open addressing with linear
// probing; the tag (seven bits of the hash) lets a probe skip slots without touching their
// variables. Variables are never removed, only all deleted with the manager. Not thread-safe:
// the manager guards it with its registry mutex.
class VarRegistry
{
public:
    VarRegistry() = default;
    Q_DISABLE_COPY_MOVE(VarRegistry)

    // The hash both tables use, so that one computation serves a lookup in each and an insert.
    static size_t hashOf(QStringView key);

    VarBase *find(QStringView key) const { return find(key, hashOf(key)); }
    VarBase *find(QStringView key, size_t hash) const;
    // \a var's key must not be in the registry yet; \a hash is hashOf(var->keyView()).
    void insert(VarBase *var, size_t hash);
    void reserve(qsizetype count);
    qsizetype size() const { return m_size; }
    bool isEmpty() const { return m_size == 0; }
    QList<VarBase *> values() const;

    class const_iterator
    {
    public:
        const_iterator(VarBase *const *slot, VarBase *const *end) : m_slot(slot), m_end(end)
        {
            skipEmpty();
        }
        VarBase *operator*() const { return *m_slot; }
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
            while (m_slot != m_end && !*m_slot)
                ++m_slot;
        }
        VarBase *const *m_slot;
        VarBase *const *m_end;
    };
    const_iterator begin() const { return {m_slots.get(), m_slots.get() + m_capacity}; }
    const_iterator end() const { return {m_slots.get() + m_capacity, m_slots.get() + m_capacity}; }

private:
    void rehash(size_t capacity);
    void place(VarBase *var, size_t hash);

    std::unique_ptr<VarBase *[]> m_slots;
    std::unique_ptr<quint8[]> m_tags; // 0: empty; else 0x80 | seven bits of the hash
    size_t m_capacity = 0; // a power of two
    qsizetype m_size = 0;
};

// What the store held when the manager first needed a value: every key and its bytes, read in
// one pass (Storage::loadEach()) into two flat buffers plus an index, instead of a hash of
// QString and QByteArray copies (two allocations per key). Serves the variables an application
// creates while it starts; the manager drops it when its event loop first runs.
class StoreSnapshot
{
public:
    void add(QAnyStringView key, QByteArrayView value);
    // Builds the index; call once after the last add().
    void finish();
    // The stored bytes of \a key, or nullopt when the store did not hold it. The view is valid
    // until clear().
    std::optional<QByteArrayView> find(QStringView key, size_t hash) const;
    qsizetype size() const { return qsizetype(m_entries.size()); }
    void clear();

private:
    struct Entry
    {
        size_t hash;
        qsizetype keyPosition;
        qsizetype keyLength;
        qsizetype valuePosition;
        qsizetype valueLength;
    };
    QStringView keyOf(const Entry &entry) const
    {
        return QStringView(m_keys.data() + entry.keyPosition, entry.keyLength);
    }

    std::vector<char16_t> m_keys;
    std::vector<char> m_values;
    std::vector<Entry> m_entries;
    std::vector<qint32> m_index; // entry + 1; 0 is empty
    size_t m_mask = 0;
};

} // namespace PersistVar
