// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/persistvar_export.h>

#include <QtCore/QByteArray>
#include <QtCore/QCborArray>
#include <QtCore/QCborMap>
#include <QtCore/QCborValue>
#include <QtCore/QDate>
#include <QtCore/QDateTime>
#include <QtCore/QHash>
#include <QtCore/QList>
#include <QtCore/QMap>
#include <QtCore/QMetaEnum>
#include <QtCore/QMetaType>
#include <QtCore/QPoint>
#include <QtCore/QPointF>
#include <QtCore/QRect>
#include <QtCore/QRectF>
#include <QtCore/QSize>
#include <QtCore/QSizeF>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtCore/QTime>
#include <QtCore/QUrl>
#include <QtCore/QUuid>
#include <QtCore/QVariant>

#include <algorithm>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

/*!
 * \file codec.h
 * \brief Conversion of typed values to and from the bytes a Storage keeps.
 *
 * The stored form is one format byte (currently 1) followed by a CBOR (RFC 8949) item. CBOR is
 * compact, self-describing and standard, and Qt reads and writes it (QCborValue), so a later
 * version of PersistVar, or another language, can still read today's data. Encoding is
 * deterministic: equal values give equal bytes (map keys are written sorted, floating-point
 * numbers in the shortest exact width), which compare-and-swap and "unchanged, skip the write"
 * rely on.
 *
 * Plain values are stored as plain CBOR items (integer, float, text, bool, array, map), so a
 * backend such as QSettings can show them as text. Other Qt value types are stored as
 * CBOR tag 27 ("object with type name and arguments"): \c 27(["QRect", x, y, w, h]).
 *
 * \section extension Storing your own types
 * A \c Q_GADGET with \c Q_PROPERTY members is stored automatically as a map of its stored
 * properties. For anything else, specialize PersistVar::Codec:
 *
 * \code
 * struct Rgb { int r, g, b; };
 * template <> struct PersistVar::Codec<Rgb> {
 *     static QCborValue toCbor(const Rgb &c) { return QCborArray{c.r, c.g, c.b}; }
 *     static bool fromCbor(const QCborValue &v, Rgb *c) {
 *         const QCborArray a = v.toArray();
 *         if (a.size() != 3) return false;
 *         *c = {int(a[0].toInteger()), int(a[1].toInteger()), int(a[2].toInteger())};
 *         return true;
 *     }
 * };
 * \endcode
 *
 * fromCbor() must return false for input it cannot read, never crash: stored bytes may be
 * corrupt or edited by hand.
 */

namespace PersistVar {

/*! The format byte written before every encoded value. */
constexpr char CodecFormatVersion = 1;

template<typename T, typename Enable = void>
struct Codec;

/*! Internal helpers of the codec. Not API: they may change in any release. */
namespace Private {

template<typename>
inline constexpr bool dependentFalse = false;

// Q_ENUM declares these friends; detecting them through ADL is how Qt itself tells a Q_ENUM.
template<typename T, typename = void>
struct IsQEnum : std::false_type
{
};
template<typename T>
struct IsQEnum<T, std::void_t<decltype(qt_getEnumMetaObject(std::declval<T>()))>> : std::true_type
{
};

// An enum with a fixed underlying type (scoped, or `enum E : int`) holds every value of that
// type; only those can be list-initialized from it, which is how this tells them apart.
template<typename T, typename = void>
struct HasFixedUnderlyingType : std::false_type
{
};
template<typename T>
struct HasFixedUnderlyingType<T,
                              std::void_t<decltype(T{std::declval<std::underlying_type_t<T>>()})>>
    : std::true_type
{
};
// Whether \a value lies in the value range of an enum without a fixed underlying type whose
// enumerators \a e lists (the smallest bit-field that holds them all). Outside it, converting to
// the enum is undefined behaviour.
PERSISTVAR_EXPORT bool isInEnumRange(const QMetaEnum &e, qint64 value);

template<typename T, typename = void>
struct IsGadget : std::false_type
{
};
template<typename T>
struct IsGadget<T, std::void_t<typename T::QtGadgetHelper>> : std::true_type
{
};

PERSISTVAR_EXPORT QByteArray wrap(const QCborValue &value);
// Fast paths for the most common values, byte-for-byte what wrap() writes for them.
PERSISTVAR_EXPORT QByteArray encodeInteger(qint64 value);
// True when bytes hold exactly one CBOR integer (false: use the general decoder).
PERSISTVAR_EXPORT bool decodeInteger(const QByteArray &bytes, qint64 *value);
PERSISTVAR_EXPORT bool unwrap(const QByteArray &bytes, QCborValue *value);

PERSISTVAR_EXPORT QCborValue encodeVariant(const QVariant &value);
PERSISTVAR_EXPORT QCborValue encodeTopLevelVariant(const QVariant &value);
PERSISTVAR_EXPORT bool decodeVariant(const QCborValue &value, QVariant *out);
/*! Decodes into a QVariant of exactly \a type, converting where that is lossless. */
PERSISTVAR_EXPORT bool decodeVariantAs(const QCborValue &value, QMetaType type, QVariant *out);

PERSISTVAR_EXPORT QCborValue encodeTagged(const QString &typeName, const QCborArray &args);
/*! Returns the arguments when \a value is 27([typeName, args...]) with the given name. */
PERSISTVAR_EXPORT bool taggedArgs(const QCborValue &value, QLatin1String typeName,
                                  QCborArray *args);

PERSISTVAR_EXPORT bool decodeSigned(const QCborValue &value, qint64 *out);
PERSISTVAR_EXPORT bool decodeUnsigned(const QCborValue &value, quint64 *out);
PERSISTVAR_EXPORT QCborValue encodeUnsigned(quint64 value);
PERSISTVAR_EXPORT bool decodeDouble(const QCborValue &value, double *out);
PERSISTVAR_EXPORT bool decodeBool(const QCborValue &value, bool *out);
PERSISTVAR_EXPORT bool decodeString(const QCborValue &value, QString *out);
// Plain CBOR text, except a string starting with U+FEFF: Qt's UTF-8 decoder drops a leading
// byte-order mark, so such strings are stored as 27(["QString", utf8 bytes]).
PERSISTVAR_EXPORT QCborValue encodeString(const QString &value);

PERSISTVAR_EXPORT QCborValue encodeGadget(const void *gadget, const QMetaObject &metaObject);
PERSISTVAR_EXPORT bool decodeGadget(const QCborValue &value, void *gadget,
                                    const QMetaObject &metaObject);

/*!
 * The value as a QVariant a person can read in a settings file: integers, floats, text,
 * booleans, string lists and nested lists and maps become their natural QVariant; tagged Qt types
 * become QDateTime, QRect and so on. Used by text-based backends (QSettings).
 */
PERSISTVAR_EXPORT bool bytesToPlainVariant(const QByteArray &bytes, QVariant *out);
/*! The inverse of bytesToPlainVariant(): encodes a value read from a text-based store. */
PERSISTVAR_EXPORT QByteArray plainVariantToBytes(const QVariant &value);

} // namespace Private

/*!
 * \brief The conversion of \c T to and from CBOR; specialize it for your own types.
 *
 * The primary template handles enums, Q_GADGETs and reports a readable compile error otherwise.
 */
template<typename T, typename Enable>
struct Codec
{
    /*! Returns the CBOR form of \a value. */
    static QCborValue toCbor(const T &value)
    {
        if constexpr (Private::IsGadget<T>::value) {
            return Private::encodeGadget(&value, T::staticMetaObject);
        } else {
            static_assert(Private::dependentFalse<T>,
                          "PersistVar has no codec for this type: specialize "
                          "PersistVar::Codec<T> or make it a Q_GADGET with Q_PROPERTY members");
            return {};
        }
    }
    /*! Reads \a cbor into \a value; false (leaving \a value alone) when it cannot. */
    static bool fromCbor(const QCborValue &cbor, T *value)
    {
        if constexpr (Private::IsGadget<T>::value)
            return Private::decodeGadget(cbor, value, T::staticMetaObject);
        else
            return false;
    }
};

//! \cond PERSISTVAR_INTERNAL
// The specializations below implement the types listed in the file description.
template<>
struct Codec<bool>
{
    static QCborValue toCbor(bool value) { return QCborValue(value); }
    static bool fromCbor(const QCborValue &cbor, bool *value)
    {
        return Private::decodeBool(cbor, value);
    }
};

template<typename T>
struct Codec<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>>
{
    static QCborValue toCbor(T value)
    {
        if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(qint64))
            return Private::encodeUnsigned(quint64(value));
        else
            return QCborValue(qint64(value));
    }
    static bool fromCbor(const QCborValue &cbor, T *value)
    {
        if constexpr (std::is_unsigned_v<T>) {
            quint64 v = 0;
            if (!Private::decodeUnsigned(cbor, &v) || v > quint64(std::numeric_limits<T>::max()))
                return false;
            *value = T(v);
        } else {
            qint64 v = 0;
            if (!Private::decodeSigned(cbor, &v) || v < qint64(std::numeric_limits<T>::min())
                || v > qint64(std::numeric_limits<T>::max()))
                return false;
            *value = T(v);
        }
        return true;
    }
};

template<typename T>
struct Codec<T, std::enable_if_t<std::is_floating_point_v<T>>>
{
    static QCborValue toCbor(T value) { return QCborValue(double(value)); }
    static bool fromCbor(const QCborValue &cbor, T *value)
    {
        double v = 0;
        if (!Private::decodeDouble(cbor, &v))
            return false;
        *value = T(v);
        return true;
    }
};

template<typename T>
struct Codec<T, std::enable_if_t<std::is_enum_v<T>>>
{
    // A Q_ENUM is stored by name, so a settings file shows "Dark" rather than 2 and reordering the
    // enum does not change stored meaning; a plain enum is stored as its underlying integer.
    static QCborValue toCbor(T value)
    {
        using U = std::underlying_type_t<T>;
        if constexpr (Private::IsQEnum<T>::value) {
            const QMetaEnum e = QMetaEnum::fromType<T>();
            if (!e.isFlag()) {
                if (const char *name = e.valueToKey(int(value)))
                    return QCborValue(QString::fromLatin1(name));
            }
        }
        return Codec<U>::toCbor(U(value));
    }
    static bool fromCbor(const QCborValue &cbor, T *value)
    {
        using U = std::underlying_type_t<T>;
        if constexpr (Private::IsQEnum<T>::value) {
            if (cbor.isString()) {
                const QMetaEnum e = QMetaEnum::fromType<T>();
                bool ok = false;
                const int v = e.keyToValue(cbor.toString().toLatin1().constData(), &ok);
                if (ok) {
                    *value = T(v);
                    return true;
                }
                // Not a name: a number edited by hand, or a value without a name ("42").
            }
        }
        U u{};
        if (!Codec<U>::fromCbor(cbor, &u))
            return false;
        if constexpr (Private::HasFixedUnderlyingType<T>::value) {
            *value = T{u};
        } else {
            // A corrupt or hand-edited number may lie outside what the enum can hold. A Q_ENUM
            // lists its enumerators, so that is refused; a plain enum without a fixed type cannot
            // be checked (give it one, or make it a Q_ENUM).
            if constexpr (Private::IsQEnum<T>::value) {
                if (!Private::isInEnumRange(QMetaEnum::fromType<T>(), qint64(u)))
                    return false;
            }
            *value = static_cast<T>(u);
        }
        return true;
    }
};

template<>
struct Codec<QString>
{
    static QCborValue toCbor(const QString &value) { return Private::encodeString(value); }
    static bool fromCbor(const QCborValue &cbor, QString *value)
    {
        return Private::decodeString(cbor, value);
    }
};

template<>
struct Codec<QByteArray>
{
    static QCborValue toCbor(const QByteArray &value) { return QCborValue(value); }
    static bool fromCbor(const QCborValue &cbor, QByteArray *value)
    {
        if (!cbor.isByteArray())
            return false;
        *value = cbor.toByteArray();
        return true;
    }
};

template<>
struct Codec<QVariant>
{
    static QCborValue toCbor(const QVariant &value) { return Private::encodeVariant(value); }
    static bool fromCbor(const QCborValue &cbor, QVariant *value)
    {
        return Private::decodeVariant(cbor, value);
    }
};

/*! Qt value types stored as 27([typeName, ...]); implemented in the library. */
#define PERSISTVAR_DECLARE_QT_CODEC(Type) \
    template<> \
    struct PERSISTVAR_EXPORT Codec<Type> \
    { \
        static QCborValue toCbor(const Type &value); \
        static bool fromCbor(const QCborValue &cbor, Type *value); \
    };
PERSISTVAR_DECLARE_QT_CODEC(QDateTime)
PERSISTVAR_DECLARE_QT_CODEC(QDate)
PERSISTVAR_DECLARE_QT_CODEC(QTime)
PERSISTVAR_DECLARE_QT_CODEC(QUrl)
PERSISTVAR_DECLARE_QT_CODEC(QUuid)
PERSISTVAR_DECLARE_QT_CODEC(QPoint)
PERSISTVAR_DECLARE_QT_CODEC(QPointF)
PERSISTVAR_DECLARE_QT_CODEC(QSize)
PERSISTVAR_DECLARE_QT_CODEC(QSizeF)
PERSISTVAR_DECLARE_QT_CODEC(QRect)
PERSISTVAR_DECLARE_QT_CODEC(QRectF)
#undef PERSISTVAR_DECLARE_QT_CODEC

namespace Private {
template<typename Container>
QCborValue encodeSequence(const Container &values)
{
    using T = typename Container::value_type;
    QCborArray array;
    for (const T &v : values)
        array.append(Codec<T>::toCbor(v));
    return array;
}

template<typename Container>
bool decodeSequence(const QCborValue &cbor, Container *values)
{
    using T = typename Container::value_type;
    if (!cbor.isArray())
        return false;
    const QCborArray array = cbor.toArray();
    Container result;
    result.reserve(array.size());
    for (const QCborValue &item : array) {
        T v{};
        if (!Codec<T>::fromCbor(item, &v))
            return false;
        result.push_back(std::move(v));
    }
    *values = std::move(result);
    return true;
}

// Keys are written sorted, so a QHash (unordered) encodes deterministically.
template<typename Map>
QCborValue encodeStringMap(const Map &values)
{
    QStringList keys;
    keys.reserve(values.size());
    for (auto it = values.cbegin(); it != values.cend(); ++it)
        keys.append(it.key());
    std::sort(keys.begin(), keys.end());
    QCborMap map;
    for (const QString &key : std::as_const(keys))
        map.insert(key, Codec<typename Map::mapped_type>::toCbor(values.value(key)));
    return map;
}

template<typename Map>
bool decodeStringMap(const QCborValue &cbor, Map *values)
{
    if (!cbor.isMap())
        return false;
    const QCborMap map = cbor.toMap();
    Map result;
    for (auto it = map.constBegin(); it != map.constEnd(); ++it) {
        if (!it.key().isString())
            return false;
        typename Map::mapped_type v{};
        if (!Codec<typename Map::mapped_type>::fromCbor(it.value(), &v))
            return false;
        result.insert(it.key().toString(), std::move(v));
    }
    *values = std::move(result);
    return true;
}
} // namespace Private

template<typename T>
struct Codec<QList<T>>
{
    static QCborValue toCbor(const QList<T> &value) { return Private::encodeSequence(value); }
    static bool fromCbor(const QCborValue &cbor, QList<T> *value)
    {
        return Private::decodeSequence(cbor, value);
    }
};

// QStringList is QList<QString> in Qt 6, so the QList specialization covers it.

template<typename T, typename A>
struct Codec<std::vector<T, A>>
{
    static QCborValue toCbor(const std::vector<T, A> &value)
    {
        return Private::encodeSequence(value);
    }
    static bool fromCbor(const QCborValue &cbor, std::vector<T, A> *value)
    {
        return Private::decodeSequence(cbor, value);
    }
};

template<typename T>
struct Codec<QMap<QString, T>>
{
    static QCborValue toCbor(const QMap<QString, T> &value)
    {
        return Private::encodeStringMap(value);
    }
    static bool fromCbor(const QCborValue &cbor, QMap<QString, T> *value)
    {
        return Private::decodeStringMap(cbor, value);
    }
};

template<typename T>
struct Codec<QHash<QString, T>>
{
    static QCborValue toCbor(const QHash<QString, T> &value)
    {
        return Private::encodeStringMap(value);
    }
    static bool fromCbor(const QCborValue &cbor, QHash<QString, T> *value)
    {
        return Private::decodeStringMap(cbor, value);
    }
};

// QVariantMap is QMap<QString, QVariant> and QVariantList is QList<QVariant>: covered above.

template<typename T>
struct Codec<std::optional<T>>
{
    // nullopt is CBOR null. An engaged optional whose value encodes as null (an optional of an
    // optional) is wrapped in a one-element array to stay distinguishable.
    static QCborValue toCbor(const std::optional<T> &value)
    {
        if (!value)
            return QCborValue(QCborValue::Null);
        QCborValue inner = Codec<T>::toCbor(*value);
        if (inner.isNull())
            return QCborArray{inner};
        return inner;
    }
    static bool fromCbor(const QCborValue &cbor, std::optional<T> *value)
    {
        if (cbor.isNull()) {
            value->reset();
            return true;
        }
        QCborValue inner = cbor;
        if (cbor.isArray() && cbor.toArray().size() == 1 && cbor.toArray().at(0).isNull())
            inner = cbor.toArray().at(0);
        T v{};
        if (!Codec<T>::fromCbor(inner, &v))
            return false;
        *value = std::move(v);
        return true;
    }
};

//! \endcond

/*! Encodes \a value into the stored form: the format byte and a CBOR item. */
template<typename T>
QByteArray encode(const T &value)
{
    // Integers are what applications store most; skip building a QCborValue for them.
    if constexpr (
        std::is_integral_v<
            T> && !std::is_same_v<T, bool> && (std::is_signed_v<T> || sizeof(T) < sizeof(qint64)))
        return Private::encodeInteger(qint64(value));
    else if constexpr (std::is_same_v<T, QVariant>)
        return Private::wrap(Private::encodeTopLevelVariant(value)); // a Var<QVariant>'s value
    else
        return Private::wrap(Codec<T>::toCbor(value));
}

/*!
 * Decodes \a bytes into \a value. Returns false, leaving \a value untouched, when the bytes are
 * not a valid encoding of \c T (corrupt, truncated, another type, an unknown format version).
 */
template<typename T>
bool decode(const QByteArray &bytes, T *value)
{
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        qint64 v = 0;
        if (Private::decodeInteger(bytes, &v)) {
            if constexpr (std::is_unsigned_v<T>) {
                if (v < 0 || quint64(v) > quint64(std::numeric_limits<T>::max()))
                    return false;
            } else {
                if (v < qint64(std::numeric_limits<T>::min())
                    || v > qint64(std::numeric_limits<T>::max()))
                    return false;
            }
            *value = T(v);
            return true;
        }
    }
    QCborValue cbor;
    if (!Private::unwrap(bytes, &cbor))
        return false;
    T result{};
    if (!Codec<T>::fromCbor(cbor, &result))
        return false;
    *value = std::move(result);
    return true;
}

} // namespace PersistVar
