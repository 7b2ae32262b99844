// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/codec.h>
#include <persistvar/persistvar_export.h>
#include <persistvar/result.h>
#include <persistvar/varnotifier.h>

#include <QtCore/QMetaType>
#include <QtCore/QMutex>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QProperty>
#include <QtCore/QString>

#include <atomic>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace PersistVar {

class VarManager;
class VarNotifier;
class VarManagerPrivate;

/*!
 * \brief When two values of \c T count as equal; specialize it for your own types.
 *
 * PersistVar writes and emits only on a real change, so equality decides what a change is.
 * The default is \c operator== for scalars, strings and enums, bitwise equality for
 * floating-point numbers (so that -0.0 and 0.0 differ and NaN equals itself, matching what is
 * stored), and equality of the encoded bytes for everything else (containers, QVariant, gadgets),
 * which is exact because encoding is deterministic.
 */
template<typename T, typename Enable = void>
struct Equality
{
    /*! True when \a a and \a b are the same value for PersistVar. */
    static bool equal(const T &a, const T &b)
    {
        if constexpr (std::is_floating_point_v<T>)
            return std::memcmp(&a, &b, sizeof(T)) == 0;
        else if constexpr (
            std::is_arithmetic_v<
                T> || std::is_enum_v<T> || std::is_same_v<T, QString> || std::is_same_v<T, QByteArray>)
            return a == b;
        else
            return encode(a) == encode(b);
    }
};

/*!
 * \brief The part of every variable that does not depend on its type.
 *
 * Application code uses Var<T>; VarBase is what the manager keeps in its registry and what the
 * notifier refers to. All members are thread-safe.
 */
class PERSISTVAR_EXPORT VarBase
{
public:
    virtual ~VarBase();
    Q_DISABLE_COPY_MOVE(VarBase)

    /*! The key this variable is stored under. */
    QString key() const { return keyView().toString(); }
    /*! The key as a view, without a copy; valid while the variable (its manager) lives. */
    QStringView keyView() const
    {
        return QStringView(
            reinterpret_cast<const QChar *>(reinterpret_cast<const char *>(this) + m_keyOffset),
            qsizetype(m_keyLength));
    }
    /*! The manager that owns this variable. */
    VarManager *manager() const { return m_manager; }
    /*! The value type, for example QMetaType::fromType<int>(). */
    virtual QMetaType metaType() const = 0;

    /*! True when the value in memory has not been written to storage yet. Any thread. */
    bool isDirty() const;

    /*!
     * True when no value of the user's is stored, so the default (from the code or from a
     * read-only layer, see VarManager::addLayer()) is in effect. Unless the manager's
     * DefaultsPolicy says otherwise, a value equal to the default is not stored, so this is also
     * true after setting the default explicitly.
     */
    bool isDefault() const;

    /*!
     * True when a read-only layer locks this key (like KConfig's immutable entries): the value
     * comes from the layer and every write returns ErrorCode::Locked.
     */
    bool isLocked() const { return m_locked; }

    /*!
     * Writes this variable now if it is dirty; does nothing (and no I/O) when it is clean.
     * On failure the value stays dirty and the returned error names the key.
     */
    Result<void> sync();

    /*!
     * Removes the stored value, so the variable serves its default again. Emits
     * VarNotifier::valueChanged when the value in memory changes. On failure the removal stays
     * pending and is retried by the next sync.
     */
    Result<void> reset();

    /*! The current value as a QVariant (for QML and generic code). */
    virtual QVariant toVariant() const = 0;
    /*! Sets the value from a QVariant, converting it to \c T; InvalidArgument if it cannot. */
    virtual Result<void> setVariantLazy(const QVariant &value) = 0;
    /*! The default as a QVariant. */
    virtual QVariant defaultVariant() const = 0;

    /*!
     * The QObject that emits this variable's signals, created on first call and owned by the
     * variable. Variables nobody observes have none and pay nothing for signals.
     */
    VarNotifier *notifier();

protected:
    //! \cond PERSISTVAR_INTERNAL
    // Everything below is the machinery the manager and Var<T> share; not API.

    // A variable's key lives right behind the object: a QString member would cost a second
    // heap block (for a 16-character key, 64 bytes plus its 24-byte handle). Variables live as
    // long as their manager, so they come from the manager's arena, not one malloc() each.
    // Var<T> is therefore only created with `new (manager, key, alignof(Var<T>)) Var<T>(...)`,
    // which allocates room for the characters, and hands its end (`this + 1`) to the VarBase
    // constructor as keyStorage.
    static void *operator new(std::size_t size, VarManager *manager, QStringView key,
                              std::size_t alignment);
    // A throwing constructor: the arena takes the memory back with the manager.
    static void operator delete(void *object, VarManager *manager, QStringView key,
                                std::size_t alignment) noexcept;

public:
    // Public only because `delete` through a VarBase pointer needs it; the manager deletes
    // variables, and their memory goes with its arena, so this frees nothing.
    static void operator delete(void *object) noexcept;

protected:
    VarBase(VarManager *manager, QStringView key, void *keyStorage);

    // What the sync engine hands to storage for one variable.
    struct Snapshot
    {
        std::optional<QByteArray> newBytes; // nullopt: remove the key
        std::optional<QByteArray> oldBytes; // nullopt: believed absent
        bool compareOldValue = true; // false when what is stored could not be read
        quint32 generation = 0;
        bool resetPending = false; // reset(): remove even when defaults are written
    };

    // Unknown: the stored value could not be read (I/O error); a write then is unconditional.
    enum class StoredState : quint8 { Absent, Present, Undecodable, Unknown };
    // KeepLocalChanges: a dirty variable keeps its value but learns what is stored.
    // TakeStored: the stored value replaces the local one. IfClean: a dirty variable ignores the
    // stored value entirely, so the next compare-and-swap still detects the conflict.
    enum class AdoptMode : quint8 { KeepLocalChanges, TakeStored, IfClean };

    // Called by the manager. Each takes the lock itself; none does I/O.
    virtual bool takeSnapshot(Snapshot *snapshot) const = 0;
    virtual void markWritten(const Snapshot &snapshot) = 0;
    // Adopts what storage holds (load, reload, a conflict, a change by another process). A clean
    // variable takes the stored value; a dirty one keeps its own. Returns false when the bytes do
    // not decode; the variable then serves its default and keeps the bytes for compare-and-swap.
    virtual bool adoptStored(const std::optional<QByteArray> &bytes, AdoptMode mode,
                             bool *valueChanged) = 0;
    virtual void resetToDefaultLazy(bool *valueChanged) = 0;
    // Decodes stored bytes as this variable's type, for conflict reports; invalid if undecodable.
    virtual QVariant decodeToVariant(const QByteArray &bytes) const = 0;
    // Takes a default supplied by a read-only layer; false when it does not decode.
    virtual bool adoptDefault(const QByteArray &bytes) = 0;

    // Holds the manager's I/O lock: one storage call at a time, in the order values changed.
    class PERSISTVAR_EXPORT IoLocker
    {
    public:
        explicit IoLocker(VarBase *var);
        ~IoLocker();
        Q_DISABLE_COPY_MOVE(IoLocker)

    private:
        QRecursiveMutex *m_mutex;
    };

    // How often update() runs its transform before it gives up with ErrorCode::Conflict; with
    // backOff() between attempts this is several seconds of contention.
    static constexpr int MaxUpdateAttempts = 200;
    // The longest key a variable can have (its length is kept in 32 bits).
    static constexpr qsizetype MaxKeyLength = 0x7fffffff;
    // A short random sleep after a conflict, growing with the attempt: without it, a writer
    // that lost (reload + write: two round trips) keeps losing to those that won (one).
    static void backOff(int attempt);

    // With the I/O lock held: write one snapshot (compare-and-swap), and reload after a conflict.
    Result<void> writeSnapshotLocked(const Snapshot &snapshot);
    Result<void> reloadLocked();

    // Keeps the QProperty mirror of value()/bindable() current; runs in the manager's thread.
    virtual void refreshProperty() = 0;
    bool isInManagerThread() const;

    // Called by Var<T> after it unlocks.
    void enqueueDirty();
    void emitValueChanged();
    Result<void> checkOpen() const;
    Result<void> checkWritable() const; // open and not locked
    Result<void> writeNow();
    std::optional<QByteArray> undecodableBytes() const;

private:
    // First, so that the flags below pack with a Var<T>'s first members.
    VarManager *const m_manager;
    std::atomic<VarNotifier *> m_notifier{nullptr};
    quint32 m_keyLength;
    quint32 m_keyOffset; // from this to the key's characters

protected:
    mutable QBasicMutex m_mutex;
    quint32 m_generation = 0;
    bool m_dirty = false;
    bool m_queued = false; // in the manager's dirty list
    bool m_resetPending = false;
    StoredState m_storedState = StoredState::Absent;
    // Set once before the variable is handed out, read-only afterwards.
    bool m_locked = false;
    bool m_writeDefaults = false;
    //! \endcond

private:
    friend class VarManager;
    friend class VarManagerPrivate;
};

/*!
 * \brief A typed persistent variable: a value under a key, with a default.
 *
 * Obtain one from VarManager::var(); the manager owns it and hands out the same instance for the
 * same key. Reads are served from memory; set() writes at once, setLazy() marks the variable dirty
 * for the next sync (VarManager::sync(), autoSync, close()).
 *
 * \code
 * PersistVar::Var<double> *volume = manager.var<double>("audio/volume", 0.5).value();
 * volume->setLazy(0.8);          // memory only, written by the next sync
 * qDebug() << volume->get();      // 0.8
 * \endcode
 *
 * Every member is safe to call from any thread. get() and setLazy() never wait for storage I/O.
 * A Var is neither copyable nor movable.
 */
template<typename T>
class Var final : public VarBase
{
public:
    /*! The type of the value. */
    using ValueType = T;

    /*! The current value. Never waits for I/O. Any thread. */
    T get() const
    {
        QMutexLocker lock(&m_mutex);
        return m_value;
    }
    /*!
     * The current value, visible to Qt's property bindings: called in the manager's thread
     * inside a QProperty binding, the binding is re-evaluated whenever the variable changes.
     * \code
     * QProperty<int> doubled;
     * doubled.setBinding([&] { return width->value() * 2; });
     * \endcode
     * Elsewhere it is the same as get(). Prefer get() in tight loops.
     */
    T value() const
    {
        if (!isInManagerThread())
            return get();
        return property()->value();
    }

    /*!
     * A QBindable for the value, for use with Qt's property system (QProperty bindings,
     * QObject::bindable properties). Use it only in the manager's thread. It follows the
     * variable; writing through it does not persist anything: write with set() or setLazy().
     */
    QBindable<T> bindable() const { return QBindable<T>(property()); }

    /*!
     * Calls \a fn with the new value after each change, in \a context's thread, until
     * \a context is destroyed. Changes made in another thread arrive queued; several quick
     * changes may then be delivered with the latest value.
     * \code
     * volume->onChanged(slider, [slider](double v) { slider->setValue(int(v * 100)); });
     * \endcode
     */
    template<typename Fn>
    QMetaObject::Connection onChanged(const QObject *context, Fn fn)
    {
        return QObject::connect(notifier(), &VarNotifier::valueChanged, context,
                                [this, fn = std::move(fn)]() { fn(get()); });
    }

    /*!
     * The default: the one given when the variable was created, or the value of a read-only
     * layer (VarManager::addLayer()) that has this key.
     */
    T defaultValue() const { return m_default; }

    /*!
     * Sets the value and writes it to storage now. Emits VarNotifier::valueChanged when the
     * value changes. On failure the value stays set in memory and dirty, so the next sync retries,
     * and the error names the key. A value equal to the stored one writes nothing.
     */
    Result<void> set(const T &value)
    {
        if (Result<void> r = checkWritable(); !r.isOk())
            return r;
        setInMemory(value);
        return writeNow();
    }

    /*!
     * Sets the value in memory and marks it dirty; the next sync writes it. Never waits for I/O.
     * Returns ErrorCode::Closed after the manager was closed. Setting the current value does
     * nothing; setting the stored value back leaves the variable clean.
     */
    Result<void> setLazy(const T &value)
    {
        if (Result<void> r = checkWritable(); !r.isOk())
            return r;
        setInMemory(value);
        return {};
    }

    /*!
     * Applies \a fn to the current value and writes the result now, as a compare-and-swap:
     * when another process or manager changed the stored value meanwhile, \a fn runs again on the
     * fresh value, a bounded number of times, and then ErrorCode::Conflict is returned.
     * \a fn returns the new value and whether it changed: \c {std::pair<T, bool>}. It may run
     * more than once and must not call into this variable.
     */
    template<typename Fn>
    Result<void> update(Fn &&fn)
    {
        if (Result<void> r = checkWritable(); !r.isOk())
            return r;
        // The manager's I/O lock is held for the whole read-transform-write, so updates from
        // threads of this process never conflict with each other; only other writers of the
        // store (processes, managers) cause a retry.
        IoLocker io(this);
        for (int attempt = 1;; ++attempt) {
            T current;
            T stored;
            StoredState storedState;
            Snapshot snapshot;
            {
                QMutexLocker lock(&m_mutex);
                current = m_value;
                stored = m_stored;
                storedState = m_storedState;
                snapshot.generation = m_generation;
            }
            std::pair<T, bool> next = fn(std::as_const(current));
            if (!next.second || Equality<T>::equal(next.first, current))
                return {};
            fillSnapshot(next.first, stored, storedState, &snapshot);
            Result<void> written = writeSnapshotLocked(snapshot);
            if (written.isOk()) {
                bool changed = false;
                {
                    QMutexLocker lock(&m_mutex);
                    m_stored = snapshot.newBytes ? next.first : m_default;
                    m_storedState = snapshot.newBytes ? StoredState::Present : StoredState::Absent;
                    if (snapshot.generation == m_generation) {
                        changed = !Equality<T>::equal(m_value, next.first);
                        m_value = std::move(next.first);
                        ++m_generation;
                        m_dirty = false;
                    } else {
                        m_dirty = !matchesStoredLocked();
                    }
                }
                if (changed)
                    emitValueChanged();
                return {};
            }
            if (written.errorCode() != ErrorCode::Conflict || attempt >= MaxUpdateAttempts)
                return written;
            backOff(attempt);
            if (Result<void> reloaded = reloadLocked(); !reloaded.isOk())
                return reloaded;
        }
    }

    /*!
     * Applies \a fn to the current value in memory, atomically for this variable, and marks the
     * result dirty. \a fn returns \c {std::pair<T, bool>}: the new value and whether it changed.
     * Returns whether the value changed. It runs under the variable's lock: keep it short and do
     * not call into this variable from it.
     */
    template<typename Fn>
    Result<bool> updateLazy(Fn &&fn)
    {
        if (Result<void> r = checkWritable(); !r.isOk())
            return r.error();
        bool changed = false;
        bool enqueue = false;
        {
            QMutexLocker lock(&m_mutex);
            std::pair<T, bool> r = fn(std::as_const(m_value));
            if (r.second && !Equality<T>::equal(r.first, m_value)) {
                m_value = std::move(r.first);
                changed = true;
                enqueue = touchLocked();
            }
        }
        afterChange(changed, enqueue);
        return changed;
    }

    QMetaType metaType() const override { return QMetaType::fromType<T>(); }
    QVariant toVariant() const override { return QVariant::fromValue(get()); }
    QVariant defaultVariant() const override { return QVariant::fromValue(m_default); }
    Result<void> setVariantLazy(const QVariant &value) override
    {
        if (value.metaType() == QMetaType::fromType<T>())
            return setLazy(value.value<T>());
        if constexpr (std::is_same_v<T, QVariant>) {
            return setLazy(value);
        } else {
            // Convert through the codec so QML numbers, strings and lists land as T exactly.
            T converted{};
            QCborValue cbor = Private::encodeVariant(value);
            if (!Codec<T>::fromCbor(cbor, &converted)) {
                // Numbers the codec refused (out of range) must not be truncated by QVariant.
                if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>)
                    return Error(ErrorCode::InvalidArgument, key(),
                                 QStringLiteral("cannot convert a %1 to %2 without loss")
                                     .arg(QString::fromLatin1(value.typeName()),
                                          QString::fromLatin1(metaType().name())));
                QVariant v = value;
                if (!v.convert(QMetaType::fromType<T>()))
                    return Error(ErrorCode::InvalidArgument, key(),
                                 QStringLiteral("cannot convert a %1 to %2")
                                     .arg(QString::fromLatin1(value.typeName()),
                                          QString::fromLatin1(metaType().name())));
                converted = v.value<T>();
            }
            return setLazy(converted);
        }
    }

private:
    friend class VarManager;

    Var(VarManager *manager, QStringView key, const T &defaultValue)
        : VarBase(manager, key, this + 1)
        , m_value(defaultValue)
        , m_default(defaultValue)
        , m_stored(defaultValue)
    {
    }

    // Whether the value in memory is what storage holds, so there is nothing to write.
    bool matchesStoredLocked() const
    {
        switch (m_storedState) {
        case StoredState::Present:
            return Equality<T>::equal(m_value, m_stored);
        case StoredState::Absent:
            // The default is in effect; an explicit default is written only when asked for.
            return Equality<T>::equal(m_value, m_default) && (!m_writeDefaults || m_resetPending);
        case StoredState::Undecodable:
        case StoredState::Unknown:
            break;
        }
        return false;
    }

    // Marks the variable dirty after a change; returns whether it must join the dirty list.
    bool touchLocked()
    {
        ++m_generation;
        m_resetPending = false;
        m_dirty = !matchesStoredLocked();
        if (m_dirty && !m_queued) {
            m_queued = true;
            return true;
        }
        return false;
    }

    void afterChange(bool changed, bool enqueue)
    {
        if (enqueue)
            enqueueDirty();
        if (changed)
            emitValueChanged();
    }

    void setInMemory(const T &value)
    {
        bool changed = false;
        bool enqueue = false;
        {
            QMutexLocker lock(&m_mutex);
            if (!Equality<T>::equal(value, m_value)) {
                m_value = value;
                changed = true;
                enqueue = touchLocked();
            }
        }
        afterChange(changed, enqueue);
    }

    void fillSnapshot(const T &value, const T &stored, StoredState storedState,
                      Snapshot *snapshot) const
    {
        // A value equal to the default is not stored (unless the manager's DefaultsPolicy asks
        // for it): defaults can then change in a later version of the application.
        if (snapshot->resetPending || (!m_writeDefaults && Equality<T>::equal(value, m_default)))
            snapshot->newBytes.reset();
        else
            snapshot->newBytes = encode(value);
        snapshot->compareOldValue = storedState != StoredState::Unknown;
        if (storedState == StoredState::Present)
            snapshot->oldBytes = encode(stored);
        else if (storedState == StoredState::Undecodable)
            snapshot->oldBytes = undecodableBytes();
        else
            snapshot->oldBytes.reset();
    }

    bool takeSnapshot(Snapshot *snapshot) const override
    {
        T value;
        T stored;
        StoredState storedState;
        {
            QMutexLocker lock(&m_mutex);
            if (!m_dirty)
                return false;
            value = m_value;
            stored = m_stored;
            storedState = m_storedState;
            snapshot->generation = m_generation;
            snapshot->resetPending = m_resetPending;
        }
        // Encoding happens outside the lock, so readers never wait for it.
        fillSnapshot(value, stored, storedState, snapshot);
        return true;
    }

    void markWritten(const Snapshot &snapshot) override
    {
        QMutexLocker lock(&m_mutex);
        if (snapshot.generation == m_generation) {
            m_dirty = false;
            m_resetPending = false;
            if (snapshot.newBytes) {
                m_stored = m_value;
                m_storedState = StoredState::Present;
            } else {
                m_stored = m_default;
                m_storedState = StoredState::Absent;
            }
            return;
        }
        // Changed again while being written: remember what storage now holds, stay dirty.
        if (snapshot.newBytes && decode(*snapshot.newBytes, &m_stored)) {
            m_storedState = StoredState::Present;
        } else {
            m_stored = m_default;
            m_storedState = StoredState::Absent;
        }
        m_dirty = !matchesStoredLocked();
    }

    bool adoptStored(const std::optional<QByteArray> &bytes, AdoptMode mode,
                     bool *valueChanged) override
    {
        T decoded = m_default;
        StoredState state = StoredState::Absent;
        bool ok = true;
        if (bytes) {
            if (decode(*bytes, &decoded)) {
                state = StoredState::Present;
            } else {
                decoded = m_default;
                state = StoredState::Undecodable;
                ok = false;
            }
        }
        QMutexLocker lock(&m_mutex);
        *valueChanged = false;
        if (m_dirty && mode == AdoptMode::IfClean)
            return ok;
        m_storedState = state;
        m_stored = decoded;
        if (!m_dirty || mode == AdoptMode::TakeStored) {
            m_dirty = false;
            if (!Equality<T>::equal(m_value, decoded)) {
                m_value = decoded;
                ++m_generation;
                *valueChanged = true;
            }
        } else {
            // Keep the local value; it is clean again if it now matches what is stored.
            m_dirty = !matchesStoredLocked();
        }
        return ok;
    }

    bool adoptDefault(const QByteArray &bytes) override
    {
        T decoded{};
        if (!decode(bytes, &decoded))
            return false;
        QMutexLocker lock(&m_mutex);
        const bool followsDefault = !m_dirty && m_storedState == StoredState::Absent;
        m_default = decoded;
        if (followsDefault) {
            m_value = m_default;
            m_stored = m_default;
        }
        return true;
    }

    QVariant decodeToVariant(const QByteArray &bytes) const override
    {
        T decoded{};
        if (!decode(bytes, &decoded))
            return QVariant();
        return QVariant::fromValue(decoded);
    }

    void resetToDefaultLazy(bool *valueChanged) override
    {
        bool enqueue = false;
        QMutexLocker lock(&m_mutex);
        *valueChanged = !Equality<T>::equal(m_value, m_default);
        m_value = m_default;
        ++m_generation;
        m_resetPending = true;
        // Removal is wanted whenever something is stored, even a value equal to the default.
        m_dirty = m_storedState != StoredState::Absent;
        if (m_dirty && !m_queued) {
            m_queued = true;
            enqueue = true;
        }
        lock.unlock();
        if (enqueue)
            enqueueDirty();
    }

    // The QProperty mirror behind value() and bindable(): created on first use, only touched
    // in the manager's thread. Variables never used in bindings don't have one.
    QProperty<T> *property() const
    {
        if (!m_property) {
            // The notifier is what tells the mirror about changes.
            const_cast<Var *>(this)->notifier();
            m_property = std::make_unique<QProperty<T>>(get());
        }
        return m_property.get();
    }

    void refreshProperty() override
    {
        if (m_property)
            m_property->setValue(get());
    }

    T m_value;
    T m_default; // set before the variable is handed out (layers), constant afterwards
    T m_stored;
    mutable std::unique_ptr<QProperty<T>> m_property;
};

} // namespace PersistVar
