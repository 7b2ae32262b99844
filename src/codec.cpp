// SPDX-License-Identifier: MIT
#include <persistvar/codec.h>

#include <QtCore/QBuffer>
#include <QtCore/QCborStreamReader>
#include <QtCore/QDataStream>
#include <QtCore/QMetaProperty>
#include <QtCore/QStringDecoder>
#include <QtCore/QTimeZone>
#include <QtCore/QtEndian>

#include <cmath>

namespace PersistVar {
namespace Private {

namespace {
// CBOR tag 27: "serialised language-independent object with type name and constructor
// arguments" (IANA CBOR tags registry). It fits Qt value types exactly.
constexpr QCborTag ObjectTag = QCborTag(27);
// CBOR tag 2: unsigned bignum (RFC 8949, 3.4.3), used for quint64 above INT64_MAX.
constexpr QCborTag PositiveBignumTag = QCborTag(2);

// QDataStream version used for types only Qt knows how to stream (QColor, ...). Fixed so that
// the same value gives the same bytes in every later Qt release.
constexpr QDataStream::Version StreamVersion = QDataStream::Qt_6_4;

bool isIntegralDouble(double d)
{
    return std::isfinite(d) && std::trunc(d) == d;
}
} // namespace

QByteArray wrap(const QCborValue &value)
{
    QByteArray bytes;
    bytes.reserve(16);
    bytes.append(CodecFormatVersion);
    // UseFloat16 picks the shortest width that holds the number exactly: compact and
    // deterministic (the same double always gives the same bytes).
    bytes.append(value.toCbor(QCborValue::UseFloat16));
    return bytes;
}

QByteArray encodeInteger(qint64 value)
{
    // RFC 8949 3.1: major type 0 (unsigned) or 1 (negative, stores -1 - n), shortest argument.
    const quint8 major = value < 0 ? 0x20 : 0x00;
    const quint64 argument = value < 0 ? quint64(-1 - value) : quint64(value);
    char buffer[10];
    buffer[0] = CodecFormatVersion;
    qsizetype size = 2;
    if (argument < 24) {
        buffer[1] = char(major | argument);
    } else if (argument <= 0xff) {
        buffer[1] = char(major | 24);
        buffer[2] = char(argument);
        size = 3;
    } else if (argument <= 0xffff) {
        buffer[1] = char(major | 25);
        qToBigEndian(quint16(argument), buffer + 2);
        size = 4;
    } else if (argument <= 0xffffffffu) {
        buffer[1] = char(major | 26);
        qToBigEndian(quint32(argument), buffer + 2);
        size = 6;
    } else {
        buffer[1] = char(major | 27);
        qToBigEndian(argument, buffer + 2);
        size = 10;
    }
    return QByteArray(buffer, size);
}

bool decodeInteger(const QByteArray &bytes, qint64 *value)
{
    if (bytes.size() < 2 || bytes.at(0) != CodecFormatVersion)
        return false;
    const quint8 initial = quint8(bytes.at(1));
    const quint8 major = initial & 0xe0;
    if (major != 0x00 && major != 0x20)
        return false;
    const quint8 info = initial & 0x1f;
    const char *data = bytes.constData() + 2;
    quint64 argument = 0;
    qsizetype expected = 2;
    if (info < 24) {
        argument = info;
    } else if (info == 24) {
        expected = 3;
        if (bytes.size() == expected)
            argument = quint8(data[0]);
    } else if (info == 25) {
        expected = 4;
        if (bytes.size() == expected)
            argument = qFromBigEndian<quint16>(data);
    } else if (info == 26) {
        expected = 6;
        if (bytes.size() == expected)
            argument = qFromBigEndian<quint32>(data);
    } else if (info == 27) {
        expected = 10;
        if (bytes.size() == expected)
            argument = qFromBigEndian<quint64>(data);
    } else {
        return false;
    }
    // Anything else (trailing bytes, a truncated item) goes to the general decoder, which
    // rejects it.
    if (bytes.size() != expected || argument > quint64(std::numeric_limits<qint64>::max()))
        return false;
    *value = major == 0x00 ? qint64(argument) : qint64(-1) - qint64(argument);
    return true;
}

bool unwrap(const QByteArray &bytes, QCborValue *value)
{
    if (bytes.size() < 2 || bytes.at(0) != CodecFormatVersion)
        return false;
    const QByteArray body = bytes.sliced(1);
    QCborStreamReader reader(body);
    QCborValue parsed = QCborValue::fromCbor(reader);
    if (reader.lastError() != QCborError::NoError)
        return false;
    // Exactly one item: trailing bytes mean the value was extended or corrupted.
    if (reader.currentOffset() != bytes.size() - 1)
        return false;
    *value = std::move(parsed);
    return true;
}

QCborValue encodeTagged(const QString &typeName, const QCborArray &args)
{
    QCborArray array;
    array.append(typeName);
    for (const QCborValue &arg : args)
        array.append(arg);
    return QCborValue(ObjectTag, array);
}

bool taggedArgs(const QCborValue &value, QLatin1String typeName, QCborArray *args)
{
    if (!value.isTag() || value.tag() != ObjectTag)
        return false;
    const QCborValue inner = value.taggedValue();
    if (!inner.isArray())
        return false;
    const QCborArray array = inner.toArray();
    if (array.isEmpty() || !array.at(0).isString() || array.at(0).toString() != typeName)
        return false;
    QCborArray result;
    for (qsizetype i = 1; i < array.size(); ++i)
        result.append(array.at(i));
    *args = result;
    return true;
}

QCborValue encodeUnsigned(quint64 value)
{
    if (value <= quint64(std::numeric_limits<qint64>::max()))
        return QCborValue(qint64(value));
    QByteArray big(8, Qt::Uninitialized);
    qToBigEndian(value, big.data());
    return QCborValue(PositiveBignumTag, QCborValue(big));
}

// Text is accepted for numbers and booleans because text-based stores (INI files edited by a
// person) hand back "800" for 800.
bool decodeSigned(const QCborValue &value, qint64 *out)
{
    if (value.isInteger()) {
        *out = value.toInteger();
        return true;
    }
    if (value.isDouble()) {
        const double d = value.toDouble();
        if (!isIntegralDouble(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
            return false;
        *out = qint64(d);
        return true;
    }
    if (value.isString()) {
        bool ok = false;
        const qint64 v = value.toString().trimmed().toLongLong(&ok);
        if (ok)
            *out = v;
        return ok;
    }
    return false;
}

bool decodeUnsigned(const QCborValue &value, quint64 *out)
{
    if (value.isInteger()) {
        if (value.toInteger() < 0)
            return false;
        *out = quint64(value.toInteger());
        return true;
    }
    if (value.isTag() && value.tag() == PositiveBignumTag) {
        const QCborValue inner = value.taggedValue();
        if (!inner.isByteArray())
            return false;
        const QByteArray big = inner.toByteArray();
        if (big.size() > 8)
            return false;
        quint64 v = 0;
        for (char c : big)
            v = (v << 8) | quint8(c);
        *out = v;
        return true;
    }
    if (value.isDouble()) {
        const double d = value.toDouble();
        if (!isIntegralDouble(d) || d < 0 || d >= 18446744073709551616.0)
            return false;
        *out = quint64(d);
        return true;
    }
    if (value.isString()) {
        bool ok = false;
        const quint64 v = value.toString().trimmed().toULongLong(&ok);
        if (ok)
            *out = v;
        return ok;
    }
    return false;
}

bool decodeDouble(const QCborValue &value, double *out)
{
    if (value.isDouble()) {
        *out = value.toDouble();
        return true;
    }
    if (value.isInteger()) {
        *out = double(value.toInteger());
        return true;
    }
    if (value.isString()) {
        const QString text = value.toString().trimmed();
        bool ok = false;
        const double v = text.toDouble(&ok);
        if (ok) {
            *out = v;
            return true;
        }
        // QString::toDouble() does not read these, but a person may well write them.
        if (text.compare(QLatin1String("nan"), Qt::CaseInsensitive) == 0)
            *out = std::numeric_limits<double>::quiet_NaN();
        else if (text.compare(QLatin1String("inf"), Qt::CaseInsensitive) == 0)
            *out = std::numeric_limits<double>::infinity();
        else if (text.compare(QLatin1String("-inf"), Qt::CaseInsensitive) == 0)
            *out = -std::numeric_limits<double>::infinity();
        else
            return false;
        return true;
    }
    return false;
}

bool decodeBool(const QCborValue &value, bool *out)
{
    if (value.isBool()) {
        *out = value.toBool();
        return true;
    }
    if (value.isInteger() && (value.toInteger() == 0 || value.toInteger() == 1)) {
        *out = value.toInteger() == 1;
        return true;
    }
    if (value.isString()) {
        const QString text = value.toString().trimmed().toLower();
        if (text == QLatin1String("true") || text == QLatin1String("1")) {
            *out = true;
            return true;
        }
        if (text == QLatin1String("false") || text == QLatin1String("0")) {
            *out = false;
            return true;
        }
    }
    return false;
}

QCborValue encodeString(const QString &value)
{
    if (value.startsWith(QChar(0xfeff)))
        return encodeTagged(QStringLiteral("QString"), {value.toUtf8()});
    return QCborValue(value);
}

bool decodeString(const QCborValue &value, QString *out)
{
    if (value.isString()) {
        *out = value.toString();
        return true;
    }
    QCborArray args;
    if (taggedArgs(value, QLatin1String("QString"), &args) && args.size() == 1
        && args.at(0).isByteArray()) {
        // Qt's UTF-8 decoding skips a leading BOM unless told to keep it.
        QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::ConvertInitialBom);
        *out = utf8(args.at(0).toByteArray());
        return !utf8.hasError();
    }
    return false;
}

namespace {
bool argInt(const QCborArray &args, qsizetype i, int *out)
{
    qint64 v = 0;
    if (i >= args.size() || !decodeSigned(args.at(i), &v) || v < std::numeric_limits<int>::min()
        || v > std::numeric_limits<int>::max())
        return false;
    *out = int(v);
    return true;
}

bool argDouble(const QCborArray &args, qsizetype i, double *out)
{
    return i < args.size() && decodeDouble(args.at(i), out);
}

template<typename T>
QVariant decodedAs(const QCborValue &value, bool *ok)
{
    T v{};
    *ok = Codec<T>::fromCbor(value, &v);
    return *ok ? QVariant::fromValue(v) : QVariant();
}
} // namespace

QCborValue encodeGadget(const void *gadget, const QMetaObject &metaObject)
{
    QMap<QString, QCborValue> sorted;
    for (int i = 0; i < metaObject.propertyCount(); ++i) {
        const QMetaProperty property = metaObject.property(i);
        if (!property.isStored() || !property.isReadable())
            continue;
        sorted.insert(QString::fromLatin1(property.name()),
                      encodeVariant(property.readOnGadget(gadget)));
    }
    QCborMap map;
    for (auto it = sorted.cbegin(); it != sorted.cend(); ++it)
        map.insert(it.key(), it.value());
    return map;
}

bool decodeGadget(const QCborValue &value, void *gadget, const QMetaObject &metaObject)
{
    if (!value.isMap())
        return false;
    const QCborMap map = value.toMap();
    for (int i = 0; i < metaObject.propertyCount(); ++i) {
        const QMetaProperty property = metaObject.property(i);
        if (!property.isStored() || !property.isWritable())
            continue;
        const QString name = QString::fromLatin1(property.name());
        // A missing property keeps its default: data written by an older version still reads.
        if (!map.contains(name))
            continue;
        QVariant v;
        if (!decodeVariantAs(map.value(name), property.metaType(), &v))
            return false;
        if (!property.writeOnGadget(gadget, v))
            return false;
    }
    return true;
}

QCborValue encodeVariant(const QVariant &value)
{
    const QMetaType type = value.metaType();
    switch (type.id()) {
    case QMetaType::UnknownType:
        return QCborValue(QCborValue::Undefined);
    case QMetaType::Nullptr:
        return QCborValue(QCborValue::Null);
    case QMetaType::Bool:
        return QCborValue(value.toBool());
    case QMetaType::Int:
    case QMetaType::Short:
    case QMetaType::Long:
    case QMetaType::LongLong:
    case QMetaType::Char:
    case QMetaType::SChar:
    case QMetaType::UChar:
    case QMetaType::UShort:
    case QMetaType::UInt:
        return QCborValue(value.toLongLong());
    case QMetaType::ULong:
    case QMetaType::ULongLong:
        return encodeUnsigned(value.toULongLong());
    case QMetaType::Double:
    case QMetaType::Float:
        return QCborValue(value.toDouble());
    case QMetaType::QString:
        return encodeString(value.toString());
    case QMetaType::QByteArray:
        return QCborValue(value.toByteArray());
    case QMetaType::QStringList:
        return Codec<QStringList>::toCbor(value.toStringList());
    case QMetaType::QVariantList:
        return Codec<QVariantList>::toCbor(value.toList());
    case QMetaType::QVariantMap:
        return Codec<QVariantMap>::toCbor(value.toMap());
    case QMetaType::QVariantHash:
        return Codec<QVariantHash>::toCbor(value.toHash());
    case QMetaType::QDateTime:
        return Codec<QDateTime>::toCbor(value.toDateTime());
    case QMetaType::QDate:
        return Codec<QDate>::toCbor(value.toDate());
    case QMetaType::QTime:
        return Codec<QTime>::toCbor(value.toTime());
    case QMetaType::QUrl:
        return Codec<QUrl>::toCbor(value.toUrl());
    case QMetaType::QUuid:
        return Codec<QUuid>::toCbor(value.toUuid());
    case QMetaType::QPoint:
        return Codec<QPoint>::toCbor(value.toPoint());
    case QMetaType::QPointF:
        return Codec<QPointF>::toCbor(value.toPointF());
    case QMetaType::QSize:
        return Codec<QSize>::toCbor(value.toSize());
    case QMetaType::QSizeF:
        return Codec<QSizeF>::toCbor(value.toSizeF());
    case QMetaType::QRect:
        return Codec<QRect>::toCbor(value.toRect());
    case QMetaType::QRectF:
        return Codec<QRectF>::toCbor(value.toRectF());
    default:
        break;
    }
    if (type.flags() & QMetaType::IsEnumeration)
        return QCborValue(value.toLongLong());
    if (const QMetaObject *metaObject = type.metaObject();
        metaObject && (type.flags() & QMetaType::IsGadget))
        return encodeGadget(value.constData(), *metaObject);
    // Types that only Qt can stream (QColor from QtGui, ...): QDataStream, version pinned.
    QByteArray streamed;
    {
        QDataStream stream(&streamed, QIODevice::WriteOnly);
        stream.setVersion(StreamVersion);
        stream << value;
    }
    return encodeTagged(QStringLiteral("QVariant"), {QCborValue(streamed)});
}

// The whole value of a Var<QVariant>, when it is a number or a boolean: tagged, so a store that
// writes plain numbers as text (an INI file) keeps the type too; the text "5" and the number 5
// are different QVariants. Inside lists and maps (whose INI form keeps element types), and for
// every other type, the plain encoding is exact.
QCborValue encodeTopLevelVariant(const QVariant &value)
{
    const QCborValue plain = encodeVariant(value);
    if (plain.isInteger() || plain.isDouble() || plain.isBool())
        return encodeTagged(QStringLiteral("QVariant"), {plain});
    return plain;
}

bool decodeVariant(const QCborValue &value, QVariant *out)
{
    switch (value.type()) {
    case QCborValue::Undefined:
        *out = QVariant();
        return true;
    case QCborValue::Null:
        *out = QVariant::fromValue(nullptr);
        return true;
    case QCborValue::False:
    case QCborValue::True:
        *out = QVariant(value.toBool());
        return true;
    case QCborValue::Integer: {
        const qint64 v = value.toInteger();
        // QML and most Qt code deal in int; keep larger numbers whole.
        if (v >= std::numeric_limits<int>::min() && v <= std::numeric_limits<int>::max())
            *out = QVariant(int(v));
        else
            *out = QVariant(qlonglong(v));
        return true;
    }
    case QCborValue::Double:
        *out = QVariant(value.toDouble());
        return true;
    case QCborValue::String:
        *out = QVariant(value.toString());
        return true;
    case QCborValue::ByteArray:
        *out = QVariant(value.toByteArray());
        return true;
    case QCborValue::Array: {
        QVariantList list;
        const QCborArray array = value.toArray();
        list.reserve(array.size());
        for (const QCborValue &item : array) {
            QVariant v;
            if (!decodeVariant(item, &v))
                return false;
            list.append(v);
        }
        *out = list;
        return true;
    }
    case QCborValue::Map: {
        QVariantMap map;
        const QCborMap cbor = value.toMap();
        for (auto it = cbor.constBegin(); it != cbor.constEnd(); ++it) {
            if (!it.key().isString())
                return false;
            QVariant v;
            if (!decodeVariant(it.value(), &v))
                return false;
            map.insert(it.key().toString(), v);
        }
        *out = map;
        return true;
    }
    case QCborValue::Tag:
        break;
    default:
        return false;
    }

    if (value.tag() == PositiveBignumTag) {
        quint64 v = 0;
        if (!decodeUnsigned(value, &v))
            return false;
        *out = QVariant(qulonglong(v));
        return true;
    }
    if (value.tag() != ObjectTag || !value.taggedValue().isArray())
        return false;
    const QCborArray array = value.taggedValue().toArray();
    if (array.isEmpty() || !array.at(0).isString())
        return false;
    const QString name = array.at(0).toString();
    bool ok = false;
    if (name == QLatin1String("QDateTime"))
        *out = decodedAs<QDateTime>(value, &ok);
    else if (name == QLatin1String("QDate"))
        *out = decodedAs<QDate>(value, &ok);
    else if (name == QLatin1String("QTime"))
        *out = decodedAs<QTime>(value, &ok);
    else if (name == QLatin1String("QUrl"))
        *out = decodedAs<QUrl>(value, &ok);
    else if (name == QLatin1String("QUuid"))
        *out = decodedAs<QUuid>(value, &ok);
    else if (name == QLatin1String("QPoint"))
        *out = decodedAs<QPoint>(value, &ok);
    else if (name == QLatin1String("QPointF"))
        *out = decodedAs<QPointF>(value, &ok);
    else if (name == QLatin1String("QSize"))
        *out = decodedAs<QSize>(value, &ok);
    else if (name == QLatin1String("QSizeF"))
        *out = decodedAs<QSizeF>(value, &ok);
    else if (name == QLatin1String("QRect"))
        *out = decodedAs<QRect>(value, &ok);
    else if (name == QLatin1String("QRectF"))
        *out = decodedAs<QRectF>(value, &ok);
    else if (name == QLatin1String("QString")) {
        QString text;
        ok = decodeString(value, &text);
        if (ok)
            *out = text;
    } else if (name == QLatin1String("QVariant") && array.size() == 2
               && (array.at(1).isInteger() || array.at(1).isDouble() || array.at(1).isBool())) {
        ok = decodeVariant(array.at(1), out); // see encodeTopLevelVariant()
    } else if (name == QLatin1String("QVariant") && array.size() == 2
               && array.at(1).isByteArray()) {
        QByteArray streamed = array.at(1).toByteArray();
        QDataStream stream(&streamed, QIODevice::ReadOnly);
        stream.setVersion(StreamVersion);
        QVariant v;
        stream >> v;
        ok = stream.status() == QDataStream::Ok && v.isValid() && stream.atEnd();
        if (ok)
            *out = v;
    }
    return ok;
}

// Whether a number decoded for the enum \a type is a value that enum can hold. Only an
// unscoped Q_ENUM can be checked (its enumerators are known) and needs it: converting a number
// outside its range is undefined behaviour. Names are looked up by Qt itself.
bool enumCanHold(QMetaType type, const QVariant &number)
{
    const QMetaObject *scope = type.metaObject(); // the class that declared the Q_ENUM
    if (!scope)
        return true;
    QByteArray name(type.name());
    if (const qsizetype separator = name.lastIndexOf("::"); separator >= 0)
        name = name.mid(separator + 2);
    const int index = scope->indexOfEnumerator(name.constData());
    if (index < 0)
        return true;
    const QMetaEnum e = scope->enumerator(index);
    const int id = number.metaType().id();
    const bool integer = id == QMetaType::Int || id == QMetaType::UInt || id == QMetaType::LongLong
        || id == QMetaType::ULongLong || id == QMetaType::Long || id == QMetaType::ULong;
    if (e.isScoped() || !integer)
        return true;
    bool ok = false;
    const qint64 n = number.toLongLong(&ok);
    return ok && isInEnumRange(e, n);
}

bool decodeVariantAs(const QCborValue &value, QMetaType type, QVariant *out)
{
    bool ok = false;
    QVariant v;
    switch (type.id()) {
    case QMetaType::QVariant:
        return decodeVariant(value, out);
    case QMetaType::Bool:
        v = decodedAs<bool>(value, &ok);
        break;
    case QMetaType::Int:
        v = decodedAs<int>(value, &ok);
        break;
    case QMetaType::UInt:
        v = decodedAs<uint>(value, &ok);
        break;
    case QMetaType::LongLong:
        v = decodedAs<qlonglong>(value, &ok);
        break;
    case QMetaType::ULongLong:
        v = decodedAs<qulonglong>(value, &ok);
        break;
    case QMetaType::Double:
        v = decodedAs<double>(value, &ok);
        break;
    case QMetaType::Float:
        v = decodedAs<float>(value, &ok);
        break;
    case QMetaType::QString:
        v = decodedAs<QString>(value, &ok);
        break;
    case QMetaType::QByteArray:
        v = decodedAs<QByteArray>(value, &ok);
        break;
    case QMetaType::QStringList:
        v = decodedAs<QStringList>(value, &ok);
        break;
    case QMetaType::QVariantList:
        v = decodedAs<QVariantList>(value, &ok);
        break;
    case QMetaType::QVariantMap:
        v = decodedAs<QVariantMap>(value, &ok);
        break;
    case QMetaType::QDateTime:
        v = decodedAs<QDateTime>(value, &ok);
        break;
    case QMetaType::QDate:
        v = decodedAs<QDate>(value, &ok);
        break;
    case QMetaType::QTime:
        v = decodedAs<QTime>(value, &ok);
        break;
    case QMetaType::QUrl:
        v = decodedAs<QUrl>(value, &ok);
        break;
    case QMetaType::QUuid:
        v = decodedAs<QUuid>(value, &ok);
        break;
    case QMetaType::QPoint:
        v = decodedAs<QPoint>(value, &ok);
        break;
    case QMetaType::QPointF:
        v = decodedAs<QPointF>(value, &ok);
        break;
    case QMetaType::QSize:
        v = decodedAs<QSize>(value, &ok);
        break;
    case QMetaType::QSizeF:
        v = decodedAs<QSizeF>(value, &ok);
        break;
    case QMetaType::QRect:
        v = decodedAs<QRect>(value, &ok);
        break;
    case QMetaType::QRectF:
        v = decodedAs<QRectF>(value, &ok);
        break;
    default:
        if (const QMetaObject *metaObject = type.metaObject();
            metaObject && (type.flags() & QMetaType::IsGadget)) {
            v = QVariant(type);
            ok = decodeGadget(value, v.data(), *metaObject);
            break;
        }
        // Anything else: decode generically, then let Qt convert (enums, QColor, ...).
        if (!decodeVariant(value, &v))
            return false;
        if ((type.flags() & QMetaType::IsEnumeration) && !enumCanHold(type, v))
            return false;
        if (v.metaType() != type) {
            if (!v.canConvert(type) || !v.convert(type))
                return false;
        }
        ok = true;
        break;
    }
    if (ok)
        *out = v;
    return ok;
}

bool isInEnumRange(const QMetaEnum &e, qint64 value)
{
    if (!e.isValid() || e.keyCount() == 0)
        return value == 0;
    qint64 low = e.value(0);
    qint64 high = low;
    for (int i = 1; i < e.keyCount(); ++i) {
        low = std::min<qint64>(low, e.value(i));
        high = std::max<qint64>(high, e.value(i));
    }
    // [dcl.enum]: the values of the smallest bit-field that can hold every enumerator.
    int bits = 0;
    while (bits < 62 && (high > (qint64(1) << bits) - 1 || (low < 0 && low < -(qint64(1) << bits))))
        ++bits;
    if (low >= 0)
        return value >= 0 && value <= (qint64(1) << bits) - 1;
    return value >= -(qint64(1) << bits) && value <= (qint64(1) << bits) - 1;
}

bool bytesToPlainVariant(const QByteArray &bytes, QVariant *out)
{
    QCborValue cbor;
    if (!unwrap(bytes, &cbor))
        return false;
    QVariant v;
    if (!decodeVariant(cbor, &v))
        return false;
    // A list of strings is what QSettings writes as "a, b, c".
    if (v.metaType().id() == QMetaType::QVariantList) {
        const QVariantList list = v.toList();
        const bool allStrings = std::all_of(list.cbegin(), list.cend(), [](const QVariant &item) {
            return item.metaType().id() == QMetaType::QString;
        });
        if (allStrings && !list.isEmpty())
            v = v.toStringList();
    }
    *out = v;
    return true;
}

QByteArray plainVariantToBytes(const QVariant &value)
{
    return wrap(encodeVariant(value));
}

} // namespace Private

// Qt value types. Each is 27([name, args...]); an invalid value has no arguments.

QCborValue Codec<QDateTime>::toCbor(const QDateTime &value)
{
    if (!value.isValid())
        return Private::encodeTagged(QStringLiteral("QDateTime"), {});
    const qint64 ms = value.toMSecsSinceEpoch();
    switch (value.timeSpec()) {
    case Qt::LocalTime:
        return Private::encodeTagged(QStringLiteral("QDateTime"), {ms, 0});
    case Qt::UTC:
        return Private::encodeTagged(QStringLiteral("QDateTime"), {ms, 1});
    case Qt::OffsetFromUTC:
        return Private::encodeTagged(QStringLiteral("QDateTime"), {ms, 2, value.offsetFromUtc()});
    case Qt::TimeZone:
        return Private::encodeTagged(QStringLiteral("QDateTime"),
                                     {ms, 3, QString::fromUtf8(value.timeZone().id())});
    }
    return Private::encodeTagged(QStringLiteral("QDateTime"), {ms, 1});
}

bool Codec<QDateTime>::fromCbor(const QCborValue &cbor, QDateTime *value)
{
    QCborArray args;
    if (!Private::taggedArgs(cbor, QLatin1String("QDateTime"), &args))
        return false;
    if (args.isEmpty()) {
        *value = QDateTime();
        return true;
    }
    qint64 ms = 0;
    qint64 kind = -1;
    if (args.size() < 2 || !Private::decodeSigned(args.at(0), &ms)
        || !Private::decodeSigned(args.at(1), &kind))
        return false;
    switch (kind) {
    case 0:
        *value = QDateTime::fromMSecsSinceEpoch(ms, Qt::LocalTime);
        return true;
    case 1:
        *value = QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC);
        return true;
    case 2: {
        int offset = 0;
        if (!Private::argInt(args, 2, &offset) || offset < -14 * 3600 || offset > 14 * 3600)
            return false;
        *value = QDateTime::fromMSecsSinceEpoch(ms, Qt::OffsetFromUTC, offset);
        return true;
    }
    case 3: {
        if (args.size() < 3 || !args.at(2).isString())
            return false;
        const QTimeZone zone(args.at(2).toString().toUtf8());
        if (!zone.isValid())
            return false;
        *value = QDateTime::fromMSecsSinceEpoch(ms, zone);
        return true;
    }
    default:
        return false;
    }
}

QCborValue Codec<QDate>::toCbor(const QDate &value)
{
    if (!value.isValid())
        return Private::encodeTagged(QStringLiteral("QDate"), {});
    return Private::encodeTagged(QStringLiteral("QDate"), {value.toJulianDay()});
}

bool Codec<QDate>::fromCbor(const QCborValue &cbor, QDate *value)
{
    QCborArray args;
    if (!Private::taggedArgs(cbor, QLatin1String("QDate"), &args))
        return false;
    if (args.isEmpty()) {
        *value = QDate();
        return true;
    }
    qint64 jd = 0;
    if (!Private::decodeSigned(args.at(0), &jd))
        return false;
    *value = QDate::fromJulianDay(jd);
    return value->isValid();
}

QCborValue Codec<QTime>::toCbor(const QTime &value)
{
    if (!value.isValid())
        return Private::encodeTagged(QStringLiteral("QTime"), {});
    return Private::encodeTagged(QStringLiteral("QTime"), {value.msecsSinceStartOfDay()});
}

bool Codec<QTime>::fromCbor(const QCborValue &cbor, QTime *value)
{
    QCborArray args;
    if (!Private::taggedArgs(cbor, QLatin1String("QTime"), &args))
        return false;
    if (args.isEmpty()) {
        *value = QTime();
        return true;
    }
    int ms = 0;
    if (!Private::argInt(args, 0, &ms) || ms < 0 || ms >= 86400000)
        return false;
    *value = QTime::fromMSecsSinceStartOfDay(ms);
    return true;
}

QCborValue Codec<QUrl>::toCbor(const QUrl &value)
{
    return Private::encodeTagged(QStringLiteral("QUrl"),
                                 {QString::fromUtf8(value.toEncoded(QUrl::FullyEncoded))});
}

bool Codec<QUrl>::fromCbor(const QCborValue &cbor, QUrl *value)
{
    QCborArray args;
    if (!Private::taggedArgs(cbor, QLatin1String("QUrl"), &args) || args.size() != 1
        || !args.at(0).isString())
        return false;
    const QByteArray text = args.at(0).toString().toUtf8();
    const QUrl url = QUrl::fromEncoded(text, QUrl::StrictMode);
    // Text QUrl cannot parse (written by hand, or corrupt) would come back as an empty URL, a
    // different value: refuse it. An invalid QUrl is stored as "", which stays empty.
    if (!text.isEmpty() && !url.isValid())
        return false;
    *value = url;
    return true;
}

QCborValue Codec<QUuid>::toCbor(const QUuid &value)
{
    return Private::encodeTagged(QStringLiteral("QUuid"), {value.toRfc4122()});
}

bool Codec<QUuid>::fromCbor(const QCborValue &cbor, QUuid *value)
{
    QCborArray args;
    if (!Private::taggedArgs(cbor, QLatin1String("QUuid"), &args) || args.size() != 1)
        return false;
    if (args.at(0).isByteArray() && args.at(0).toByteArray().size() == 16) {
        *value = QUuid::fromRfc4122(args.at(0).toByteArray());
        return true;
    }
    return false;
}

QCborValue Codec<QPoint>::toCbor(const QPoint &value)
{
    return Private::encodeTagged(QStringLiteral("QPoint"), {value.x(), value.y()});
}

bool Codec<QPoint>::fromCbor(const QCborValue &cbor, QPoint *value)
{
    QCborArray args;
    int x = 0, y = 0;
    if (!Private::taggedArgs(cbor, QLatin1String("QPoint"), &args) || args.size() != 2
        || !Private::argInt(args, 0, &x) || !Private::argInt(args, 1, &y))
        return false;
    *value = QPoint(x, y);
    return true;
}

QCborValue Codec<QPointF>::toCbor(const QPointF &value)
{
    return Private::encodeTagged(QStringLiteral("QPointF"), {value.x(), value.y()});
}

bool Codec<QPointF>::fromCbor(const QCborValue &cbor, QPointF *value)
{
    QCborArray args;
    double x = 0, y = 0;
    if (!Private::taggedArgs(cbor, QLatin1String("QPointF"), &args) || args.size() != 2
        || !Private::argDouble(args, 0, &x) || !Private::argDouble(args, 1, &y))
        return false;
    *value = QPointF(x, y);
    return true;
}

QCborValue Codec<QSize>::toCbor(const QSize &value)
{
    return Private::encodeTagged(QStringLiteral("QSize"), {value.width(), value.height()});
}

bool Codec<QSize>::fromCbor(const QCborValue &cbor, QSize *value)
{
    QCborArray args;
    int w = 0, h = 0;
    if (!Private::taggedArgs(cbor, QLatin1String("QSize"), &args) || args.size() != 2
        || !Private::argInt(args, 0, &w) || !Private::argInt(args, 1, &h))
        return false;
    *value = QSize(w, h);
    return true;
}

QCborValue Codec<QSizeF>::toCbor(const QSizeF &value)
{
    return Private::encodeTagged(QStringLiteral("QSizeF"), {value.width(), value.height()});
}

bool Codec<QSizeF>::fromCbor(const QCborValue &cbor, QSizeF *value)
{
    QCborArray args;
    double w = 0, h = 0;
    if (!Private::taggedArgs(cbor, QLatin1String("QSizeF"), &args) || args.size() != 2
        || !Private::argDouble(args, 0, &w) || !Private::argDouble(args, 1, &h))
        return false;
    *value = QSizeF(w, h);
    return true;
}

QCborValue Codec<QRect>::toCbor(const QRect &value)
{
    return Private::encodeTagged(QStringLiteral("QRect"),
                                 {value.x(), value.y(), value.width(), value.height()});
}

bool Codec<QRect>::fromCbor(const QCborValue &cbor, QRect *value)
{
    QCborArray args;
    int x = 0, y = 0, w = 0, h = 0;
    if (!Private::taggedArgs(cbor, QLatin1String("QRect"), &args) || args.size() != 4
        || !Private::argInt(args, 0, &x) || !Private::argInt(args, 1, &y)
        || !Private::argInt(args, 2, &w) || !Private::argInt(args, 3, &h))
        return false;
    *value = QRect(x, y, w, h);
    return true;
}

QCborValue Codec<QRectF>::toCbor(const QRectF &value)
{
    return Private::encodeTagged(QStringLiteral("QRectF"),
                                 {value.x(), value.y(), value.width(), value.height()});
}

bool Codec<QRectF>::fromCbor(const QCborValue &cbor, QRectF *value)
{
    QCborArray args;
    double x = 0, y = 0, w = 0, h = 0;
    if (!Private::taggedArgs(cbor, QLatin1String("QRectF"), &args) || args.size() != 4
        || !Private::argDouble(args, 0, &x) || !Private::argDouble(args, 1, &y)
        || !Private::argDouble(args, 2, &w) || !Private::argDouble(args, 3, &h))
        return false;
    *value = QRectF(x, y, w, h);
    return true;
}

} // namespace PersistVar
