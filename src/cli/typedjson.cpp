// SPDX-License-Identifier: MIT
#include "typedjson.h"

#include <persistvar/codec.h>

#include <QtCore/QCborArray>
#include <QtCore/QCborMap>
#include <QtCore/QSet>
#include <QtCore/QStringDecoder>
#include <QtCore/QtEndian>

#include <algorithm>
#include <cmath>
#include <limits>

namespace TypedJson {

Json Json::fromBool(bool value)
{
    Json json;
    json.type = Type::Bool;
    json.boolean = value;
    return json;
}

Json Json::fromInteger(qint64 value)
{
    Json json;
    json.type = Type::Integer;
    json.integer = value;
    return json;
}

Json Json::fromDouble(double value)
{
    Json json;
    json.type = Type::Double;
    json.number = value;
    return json;
}

Json Json::fromString(const QString &value)
{
    Json json;
    json.type = Type::String;
    json.string = value;
    return json;
}

Json Json::fromArray(QList<Json> items)
{
    Json json;
    json.type = Type::Array;
    json.array = std::move(items);
    return json;
}

Json Json::fromObject(QList<Member> members)
{
    Json json;
    json.type = Type::Object;
    json.object = std::move(members);
    return json;
}

const Json *Json::member(QLatin1String key) const
{
    for (const Member &m : object) {
        if (m.first == key)
            return &m.second;
    }
    return nullptr;
}

// ---- JSON text ---------------------------------------------------------------------------------

namespace {

// Deep enough for any real value, shallow enough that the recursion cannot exhaust the stack.
// fromStoredBytes() exports anything deeper as raw bytes, so every export can be read back.
constexpr int MaxDepth = 512;

class Reader
{
public:
    explicit Reader(const QByteArray &text) : m_text(text) { }

    bool document(Json *json, QString *error)
    {
        if (m_text.startsWith("\xEF\xBB\xBF")) // a UTF-8 byte order mark, as some editors write
            m_pos = 3;
        skipSpace();
        if (!value(json, 0)) {
            *error = m_error;
            return false;
        }
        skipSpace();
        if (m_pos != m_text.size()) {
            fail(QStringLiteral("unexpected text after the JSON value"));
            *error = m_error;
            return false;
        }
        return true;
    }

private:
    char peek() const { return m_pos < m_text.size() ? m_text.at(m_pos) : '\0'; }
    bool atEnd() const { return m_pos >= m_text.size(); }

    void skipSpace()
    {
        while (!atEnd()) {
            const char c = peek();
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
                break;
            ++m_pos;
        }
    }

    bool fail(const QString &message)
    {
        const QByteArrayView before(m_text.constData(), std::min(m_pos, m_text.size()));
        const qsizetype line = before.count('\n') + 1;
        const qsizetype column = m_pos - (before.lastIndexOf('\n') + 1) + 1;
        m_error = QStringLiteral("line %1, column %2: %3").arg(line).arg(column).arg(message);
        return false;
    }

    bool value(Json *out, int depth)
    {
        if (depth > MaxDepth)
            return fail(QStringLiteral("nested deeper than %1 levels").arg(MaxDepth));
        switch (peek()) {
        case '{':
            return object(out, depth);
        case '[':
            return array(out, depth);
        case '"':
            out->type = Json::Type::String;
            return string(&out->string);
        case 't':
            return literal("true", Json::fromBool(true), out);
        case 'f':
            return literal("false", Json::fromBool(false), out);
        case 'n':
            return literal("null", Json(), out);
        default:
            if (peek() == '-' || (peek() >= '0' && peek() <= '9'))
                return number(out);
            return fail(atEnd() ? QStringLiteral("unexpected end of input")
                                : QStringLiteral("unexpected character"));
        }
    }

    bool literal(const char *word, Json value, Json *out)
    {
        const qsizetype length = qsizetype(qstrlen(word));
        if (QByteArrayView(m_text).sliced(m_pos).startsWith(QByteArrayView(word, length))) {
            m_pos += length;
            *out = std::move(value);
            return true;
        }
        return fail(QStringLiteral("unexpected character"));
    }

    bool object(Json *out, int depth)
    {
        ++m_pos; // {
        QList<Json::Member> members;
        QSet<QString> seen;
        skipSpace();
        if (peek() == '}') {
            ++m_pos;
            *out = Json::fromObject({});
            return true;
        }
        while (true) {
            skipSpace();
            if (peek() != '"')
                return fail(QStringLiteral("expected a string as member name"));
            const qsizetype keyPos = m_pos;
            QString key;
            if (!string(&key))
                return false;
            if (seen.contains(key)) {
                m_pos = keyPos;
                return fail(QStringLiteral("duplicate member \"%1\"").arg(key));
            }
            seen.insert(key);
            skipSpace();
            if (peek() != ':')
                return fail(QStringLiteral("expected ':'"));
            ++m_pos;
            skipSpace();
            Json item;
            if (!value(&item, depth + 1))
                return false;
            members.append({key, std::move(item)});
            skipSpace();
            if (peek() == ',') {
                ++m_pos;
                continue;
            }
            if (peek() == '}') {
                ++m_pos;
                *out = Json::fromObject(std::move(members));
                return true;
            }
            return fail(QStringLiteral("expected ',' or '}'"));
        }
    }

    bool array(Json *out, int depth)
    {
        ++m_pos; // [
        QList<Json> items;
        skipSpace();
        if (peek() == ']') {
            ++m_pos;
            *out = Json::fromArray({});
            return true;
        }
        while (true) {
            skipSpace();
            Json item;
            if (!value(&item, depth + 1))
                return false;
            items.append(std::move(item));
            skipSpace();
            if (peek() == ',') {
                ++m_pos;
                continue;
            }
            if (peek() == ']') {
                ++m_pos;
                *out = Json::fromArray(std::move(items));
                return true;
            }
            return fail(QStringLiteral("expected ',' or ']'"));
        }
    }

    bool hex4(char32_t *out)
    {
        if (m_pos + 4 > m_text.size())
            return fail(QStringLiteral("incomplete \\u escape"));
        bool ok = false;
        const uint v = QByteArray(m_text.constData() + m_pos, 4).toUInt(&ok, 16);
        if (!ok)
            return fail(QStringLiteral("invalid \\u escape"));
        m_pos += 4;
        *out = char32_t(v);
        return true;
    }

    bool string(QString *out)
    {
        ++m_pos; // "
        QByteArray utf8;
        while (true) {
            if (atEnd())
                return fail(QStringLiteral("unterminated string"));
            const char c = m_text.at(m_pos);
            if (c == '"') {
                ++m_pos;
                break;
            }
            if (uchar(c) < 0x20)
                return fail(QStringLiteral("control character in string (escape it)"));
            if (c != '\\') {
                utf8.append(c);
                ++m_pos;
                continue;
            }
            ++m_pos;
            const char e = peek();
            ++m_pos;
            switch (e) {
            case '"':
            case '\\':
            case '/':
                utf8.append(e);
                break;
            case 'b':
                utf8.append('\b');
                break;
            case 'f':
                utf8.append('\f');
                break;
            case 'n':
                utf8.append('\n');
                break;
            case 'r':
                utf8.append('\r');
                break;
            case 't':
                utf8.append('\t');
                break;
            case 'u': {
                char32_t code = 0;
                if (!hex4(&code))
                    return false;
                if (QChar::isHighSurrogate(code)) {
                    char32_t low = 0;
                    if (peek() != '\\' || m_pos + 1 >= m_text.size() || m_text.at(m_pos + 1) != 'u')
                        return fail(QStringLiteral("unpaired surrogate in \\u escape"));
                    m_pos += 2;
                    if (!hex4(&low) || !QChar::isLowSurrogate(low))
                        return fail(QStringLiteral("unpaired surrogate in \\u escape"));
                    code = QChar::surrogateToUcs4(char16_t(code), char16_t(low));
                } else if (QChar::isLowSurrogate(code)) {
                    return fail(QStringLiteral("unpaired surrogate in \\u escape"));
                }
                utf8.append(QString::fromUcs4(&code, 1).toUtf8());
                break;
            }
            default:
                --m_pos;
                return fail(QStringLiteral("invalid escape"));
            }
        }
        // Keep a leading U+FEFF: it is part of the value, not a byte order mark.
        QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::ConvertInitialBom);
        *out = decoder.decode(utf8);
        if (decoder.hasError())
            return fail(QStringLiteral("invalid UTF-8 in string"));
        return true;
    }

    bool number(Json *out)
    {
        const qsizetype start = m_pos;
        const auto digits = [this] {
            const qsizetype from = m_pos;
            while (peek() >= '0' && peek() <= '9')
                ++m_pos;
            return m_pos > from;
        };
        bool integral = true;
        if (peek() == '-')
            ++m_pos;
        if (peek() == '0') {
            ++m_pos;
        } else if (!digits()) {
            return fail(QStringLiteral("invalid number"));
        }
        if (peek() == '.') {
            integral = false;
            ++m_pos;
            if (!digits())
                return fail(QStringLiteral("invalid number"));
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            ++m_pos;
            if (peek() == '+' || peek() == '-')
                ++m_pos;
            if (!digits())
                return fail(QStringLiteral("invalid number"));
        }
        const QByteArray text = m_text.mid(start, m_pos - start);
        bool ok = false;
        if (integral) {
            const qint64 v = text.toLongLong(&ok);
            if (!ok) {
                m_pos = start;
                return fail(QStringLiteral("integer %1 does not fit in 64 bits; write "
                                           "{\"$type\":\"uint\",\"value\":\"%1\"} or a double")
                                .arg(QString::fromLatin1(text)));
            }
            *out = Json::fromInteger(v);
            return true;
        }
        const double v = text.toDouble(&ok);
        if (!ok || !std::isfinite(v)) {
            m_pos = start;
            return fail(QStringLiteral("number out of range"));
        }
        *out = Json::fromDouble(v);
        return true;
    }

    const QByteArray &m_text;
    qsizetype m_pos = 0;
    QString m_error;
};

void writeString(const QString &string, QByteArray *out)
{
    static const char hexDigits[] = "0123456789abcdef";
    out->append('"');
    const QByteArray utf8 = string.toUtf8();
    for (const char c : utf8) {
        switch (c) {
        case '"':
            out->append("\\\"");
            break;
        case '\\':
            out->append("\\\\");
            break;
        case '\n':
            out->append("\\n");
            break;
        case '\r':
            out->append("\\r");
            break;
        case '\t':
            out->append("\\t");
            break;
        case '\b':
            out->append("\\b");
            break;
        case '\f':
            out->append("\\f");
            break;
        default:
            if (uchar(c) < 0x20 || c == 0x7f) {
                out->append("\\u00");
                out->append(hexDigits[uchar(c) >> 4]);
                out->append(hexDigits[uchar(c) & 0xf]);
            } else {
                out->append(c);
            }
        }
    }
    out->append('"');
}

void write(const Json &json, QByteArray *out)
{
    switch (json.type) {
    case Json::Type::Null:
        out->append("null");
        break;
    case Json::Type::Bool:
        out->append(json.boolean ? "true" : "false");
        break;
    case Json::Type::Integer:
        out->append(QByteArray::number(json.integer));
        break;
    case Json::Type::Double: {
        if (!std::isfinite(json.number)) { // JSON cannot hold it; fromCbor() tags these instead
            out->append("null");
            break;
        }
        // The shortest text that reads back as the same double; ".0" keeps it a double.
        QByteArray text = QByteArray::number(json.number, 'g', QLocale::FloatingPointShortest);
        if (!text.contains('.') && !text.contains('e'))
            text.append(".0");
        out->append(text);
        break;
    }
    case Json::Type::String:
        writeString(json.string, out);
        break;
    case Json::Type::Array:
        out->append('[');
        for (qsizetype i = 0; i < json.array.size(); ++i) {
            if (i > 0)
                out->append(',');
            write(json.array.at(i), out);
        }
        out->append(']');
        break;
    case Json::Type::Object:
        out->append('{');
        for (qsizetype i = 0; i < json.object.size(); ++i) {
            if (i > 0)
                out->append(',');
            writeString(json.object.at(i).first, out);
            out->append(':');
            write(json.object.at(i).second, out);
        }
        out->append('}');
        break;
    }
}

} // namespace

bool parse(const QByteArray &text, Json *json, QString *error)
{
    return Reader(text).document(json, error);
}

QByteArray write(const Json &json)
{
    QByteArray out;
    write(json, &out);
    return out;
}

// ---- The mapping: CBOR <-> typed JSON ----------------------------------------------------------

namespace {

constexpr QLatin1String TypeKey("$type");
// Integers beyond +-2^53 are text: most JSON readers (JavaScript, jq) would round them.
constexpr qint64 MaxSafeInteger = Q_INT64_C(9007199254740992);
constexpr QCborTag PositiveBignumTag = QCborTag(2); // RFC 8949, 3.4.3
constexpr QCborTag ObjectTag = QCborTag(27); // 27(["TypeName", args...]), see codec.h

Json tagged(const QString &type, QList<Json::Member> members = {})
{
    members.prepend({TypeKey, Json::fromString(type)});
    return Json::fromObject(std::move(members));
}

Json taggedValue(const QString &type, Json value)
{
    return tagged(type, {{QStringLiteral("value"), std::move(value)}});
}

// "$type" names starting with a lowercase letter are this mapping's own; any other name is the
// type name of a CBOR tag 27 value (QDateTime, QRect, a custom codec's name).
bool isOwnTypeName(const QString &name)
{
    return !name.isEmpty() && name.at(0) >= QLatin1Char('a') && name.at(0) <= QLatin1Char('z');
}

// A CBOR map is a plain JSON object when JSON can say everything about it: string keys in the
// codec's order (sorted by QString's operator<, which is what toCbor() restores), no "$type".
bool isPlainObject(const QCborMap &map)
{
    QString previous;
    bool first = true;
    for (auto it = map.constBegin(); it != map.constEnd(); ++it) {
        if (!it.key().isString())
            return false;
        const QString key = it.key().toString();
        if (key == TypeKey || (!first && !(previous < key)))
            return false;
        previous = key;
        first = false;
    }
    return true;
}

bool fail(QString *error, const QString &message)
{
    *error = message;
    return false;
}

// Checks that a tagged object has exactly the members \a names besides "$type".
bool checkMembers(const Json &json, const QString &type, QList<QLatin1String> names, QString *error)
{
    bool ok = json.object.size() == names.size() + 1;
    for (const QLatin1String &name : std::as_const(names))
        ok = ok && json.member(name);
    if (ok)
        return true;
    QStringList quoted;
    for (const QLatin1String &name : std::as_const(names))
        quoted.append(QLatin1Char('"') + name + QLatin1Char('"'));
    return fail(error,
                QStringLiteral("{\"$type\":\"%1\"} takes %2")
                    .arg(type,
                         quoted.isEmpty() ? QStringLiteral("no other member")
                                          : quoted.join(QLatin1String(" and "))));
}

// Integers in tagged objects are JSON integers or decimal text: "-42", never " 42" or "+42".
bool isDecimalText(const Json &json)
{
    return json.type == Json::Type::String && !json.string.isEmpty()
        && (json.string.at(0).isDigit() || json.string.at(0) == QLatin1Char('-'));
}

bool signedDecimal(const Json &json, qint64 *out)
{
    bool ok = json.type == Json::Type::Integer;
    if (ok)
        *out = json.integer;
    else if (isDecimalText(json))
        *out = json.string.toLongLong(&ok);
    return ok;
}

bool unsignedDecimal(const Json &json, quint64 *out)
{
    bool ok = json.type == Json::Type::Integer && json.integer >= 0;
    if (ok)
        *out = quint64(json.integer);
    else if (isDecimalText(json) && json.string.at(0).isDigit())
        *out = json.string.toULongLong(&ok);
    return ok;
}

bool taggedToCbor(const Json &json, QCborValue *cbor, QString *error)
{
    const Json *typeMember = json.member(TypeKey);
    if (typeMember->type != Json::Type::String)
        return fail(error, QStringLiteral("\"$type\" must be a string"));
    const QString type = typeMember->string;
    const Json *value = json.member(QLatin1String("value"));
    if (type == QLatin1String("int")) {
        if (!checkMembers(json, type, {QLatin1String("value")}, error))
            return false;
        qint64 v = 0;
        if (!signedDecimal(*value, &v))
            return fail(error, QStringLiteral("\"int\" needs a decimal 64-bit integer as value"));
        *cbor = QCborValue(v);
        return true;
    }
    if (type == QLatin1String("uint")) {
        if (!checkMembers(json, type, {QLatin1String("value")}, error))
            return false;
        quint64 v = 0;
        if (!unsignedDecimal(*value, &v))
            return fail(error,
                        QStringLiteral("\"uint\" needs a decimal unsigned 64-bit integer "
                                       "as value"));
        *cbor = PersistVar::Private::encodeUnsigned(v);
        return true;
    }
    if (type == QLatin1String("double")) {
        if (!checkMembers(json, type, {QLatin1String("value")}, error))
            return false;
        double d = 0;
        if (value->type == Json::Type::Double)
            d = value->number;
        else if (value->type == Json::Type::Integer)
            d = double(value->integer);
        else if (value->type == Json::Type::String && value->string == QLatin1String("nan"))
            d = std::numeric_limits<double>::quiet_NaN();
        else if (value->type == Json::Type::String && value->string == QLatin1String("inf"))
            d = std::numeric_limits<double>::infinity();
        else if (value->type == Json::Type::String && value->string == QLatin1String("-inf"))
            d = -std::numeric_limits<double>::infinity();
        else if (value->type == Json::Type::String && value->string == QLatin1String("-0"))
            d = -0.0;
        else
            return fail(error,
                        QStringLiteral("\"double\" needs a number or \"nan\", \"inf\", "
                                       "\"-inf\", \"-0\" as value"));
        *cbor = QCborValue(d);
        return true;
    }
    if (type == QLatin1String("bytes")) {
        if (!checkMembers(json, type, {QLatin1String("base64")}, error))
            return false;
        const Json *base64 = json.member(QLatin1String("base64"));
        const auto decoded = QByteArray::fromBase64Encoding(
            base64->string.toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
        if (base64->type != Json::Type::String || !decoded)
            return fail(error, QStringLiteral("\"bytes\" needs base64 text as \"base64\""));
        *cbor = QCborValue(decoded.decoded);
        return true;
    }
    if (type == QLatin1String("map")) {
        if (!checkMembers(json, type, {QLatin1String("entries")}, error))
            return false;
        const Json *entries = json.member(QLatin1String("entries"));
        if (entries->type != Json::Type::Array)
            return fail(error, QStringLiteral("\"map\" needs an array of [key, value] entries"));
        QCborMap map;
        for (const Json &entry : entries->array) {
            QCborValue key, item;
            if (entry.type != Json::Type::Array || entry.array.size() != 2)
                return fail(error, QStringLiteral("\"map\" entries must be [key, value] arrays"));
            if (!toCbor(entry.array.at(0), &key, error) || !toCbor(entry.array.at(1), &item, error))
                return false;
            map.insert(key, item);
        }
        *cbor = map;
        return true;
    }
    if (type == QLatin1String("tag")) {
        if (!checkMembers(json, type, {QLatin1String("tag"), QLatin1String("value")}, error))
            return false;
        QCborValue inner;
        quint64 tag = 0;
        if (!unsignedDecimal(*json.member(QLatin1String("tag")), &tag))
            return fail(error, QStringLiteral("\"tag\" needs an unsigned integer as tag"));
        if (!toCbor(*value, &inner, error))
            return false;
        *cbor = QCborValue(QCborTag(tag), inner);
        return true;
    }
    if (type == QLatin1String("simple")) {
        if (!checkMembers(json, type, {QLatin1String("value")}, error))
            return false;
        // 20-23 are false, true, null and undefined; 24-31 are not valid simple values.
        if (value->type != Json::Type::Integer || value->integer < 0 || value->integer > 255
            || (value->integer >= 20 && value->integer <= 31))
            return fail(error, QStringLiteral("\"simple\" needs 0-19 or 32-255 as value"));
        *cbor = QCborValue(QCborSimpleType(value->integer));
        return true;
    }
    if (type == QLatin1String("undefined")) {
        if (!checkMembers(json, type, {}, error))
            return false;
        *cbor = QCborValue(QCborValue::Undefined);
        return true;
    }
    if (type == QLatin1String("raw"))
        return fail(error, QStringLiteral("\"raw\" can only be a whole stored value"));
    if (isOwnTypeName(type))
        return fail(error,
                    QStringLiteral("unknown \"$type\": \"%1\" (known: int, uint, double, "
                                   "bytes, map, tag, simple, undefined, raw, or a Qt type "
                                   "name such as QDateTime)")
                        .arg(type));

    // A Qt value type (or a custom codec's type): 27([type, args...]).
    if (!checkMembers(json, type, {QLatin1String("value")}, error))
        return false;
    if (value->type != Json::Type::Array)
        return fail(error,
                    QStringLiteral("{\"$type\":\"%1\"} needs an array of arguments as "
                                   "value")
                        .arg(type));
    QCborArray args;
    for (const Json &arg : value->array) {
        QCborValue item;
        if (!toCbor(arg, &item, error))
            return false;
        args.append(item);
    }
    *cbor = PersistVar::Private::encodeTagged(type, args);
    return true;
}

} // namespace

Json fromCbor(const QCborValue &cbor)
{
    switch (cbor.type()) {
    case QCborValue::Integer: {
        const qint64 v = cbor.toInteger();
        if (v >= -MaxSafeInteger && v <= MaxSafeInteger)
            return Json::fromInteger(v);
        return taggedValue(QStringLiteral("int"), Json::fromString(QString::number(v)));
    }
    case QCborValue::Double: {
        const double d = cbor.toDouble();
        if (std::isnan(d))
            return taggedValue(QStringLiteral("double"), Json::fromString(QStringLiteral("nan")));
        if (std::isinf(d))
            return taggedValue(
                QStringLiteral("double"),
                Json::fromString(d > 0 ? QStringLiteral("inf") : QStringLiteral("-inf")));
        if (d == 0 && std::signbit(d))
            return taggedValue(QStringLiteral("double"), Json::fromString(QStringLiteral("-0")));
        return Json::fromDouble(d);
    }
    case QCborValue::False:
    case QCborValue::True:
        return Json::fromBool(cbor.toBool());
    case QCborValue::Null:
        return Json();
    case QCborValue::Undefined:
        return tagged(QStringLiteral("undefined"));
    case QCborValue::String:
        return Json::fromString(cbor.toString());
    case QCborValue::ByteArray:
        return tagged(QStringLiteral("bytes"),
                      {{QStringLiteral("base64"),
                        Json::fromString(QString::fromLatin1(cbor.toByteArray().toBase64()))}});
    case QCborValue::Array: {
        QList<Json> items;
        const QCborArray array = cbor.toArray();
        items.reserve(array.size());
        for (const QCborValue &item : array)
            items.append(fromCbor(item));
        return Json::fromArray(std::move(items));
    }
    case QCborValue::Map: {
        const QCborMap map = cbor.toMap();
        if (isPlainObject(map)) {
            QList<Json::Member> members;
            members.reserve(map.size());
            for (auto it = map.constBegin(); it != map.constEnd(); ++it)
                members.append({it.key().toString(), fromCbor(it.value())});
            return Json::fromObject(std::move(members));
        }
        QList<Json> entries;
        for (auto it = map.constBegin(); it != map.constEnd(); ++it)
            entries.append(Json::fromArray({fromCbor(it.key()), fromCbor(it.value())}));
        return tagged(QStringLiteral("map"),
                      {{QStringLiteral("entries"), Json::fromArray(std::move(entries))}});
    }
    default:
        break;
    }

    if (cbor.isSimpleType())
        return taggedValue(QStringLiteral("simple"), Json::fromInteger(int(cbor.toSimpleType())));
    if (!cbor.isTag()) // QCborValue::Invalid: never the result of a successful decode
        return Json();

    // Tags, including those Qt decodes into extended types (DateTime, Url, Uuid, ...).
    const quint64 tag = quint64(cbor.tag());
    const QCborValue inner = cbor.taggedValue();
    if (cbor.tag() == PositiveBignumTag && inner.isByteArray()) {
        const QByteArray big = inner.toByteArray();
        // What the codec writes for a quint64 above INT64_MAX: exactly 8 bytes, top bit set.
        if (big.size() == 8 && (quint8(big.at(0)) & 0x80))
            return taggedValue(QStringLiteral("uint"),
                               Json::fromString(QString::number(qFromBigEndian<quint64>(
                                   reinterpret_cast<const uchar *>(big.constData())))));
    }
    if (cbor.tag() == ObjectTag && inner.isArray()) {
        const QCborArray array = inner.toArray();
        if (!array.isEmpty() && array.at(0).isString() && !array.at(0).toString().isEmpty()
            && !isOwnTypeName(array.at(0).toString())) {
            QList<Json> args;
            for (qsizetype i = 1; i < array.size(); ++i)
                args.append(fromCbor(array.at(i)));
            return taggedValue(array.at(0).toString(), Json::fromArray(std::move(args)));
        }
    }
    return tagged(QStringLiteral("tag"),
                  {{QStringLiteral("tag"),
                    tag <= quint64(MaxSafeInteger) ? Json::fromInteger(qint64(tag))
                                                   : Json::fromString(QString::number(tag))},
                   {QStringLiteral("value"), fromCbor(inner)}});
}

bool toCbor(const Json &json, QCborValue *cbor, QString *error)
{
    switch (json.type) {
    case Json::Type::Null:
        *cbor = QCborValue(QCborValue::Null);
        return true;
    case Json::Type::Bool:
        *cbor = QCborValue(json.boolean);
        return true;
    case Json::Type::Integer:
        *cbor = QCborValue(json.integer);
        return true;
    case Json::Type::Double:
        *cbor = QCborValue(json.number);
        return true;
    case Json::Type::String:
        *cbor = QCborValue(json.string);
        return true;
    case Json::Type::Array: {
        QCborArray array;
        for (const Json &item : json.array) {
            QCborValue value;
            if (!toCbor(item, &value, error))
                return false;
            array.append(value);
        }
        *cbor = array;
        return true;
    }
    case Json::Type::Object:
        break;
    }
    if (json.member(TypeKey))
        return taggedToCbor(json, cbor, error);

    // A plain object: keys sorted as the codec sorts them, so {"b":1,"a":2} is stored exactly as
    // a QVariantMap with those entries would be.
    QList<const Json::Member *> members;
    members.reserve(json.object.size());
    for (const Json::Member &member : json.object)
        members.append(&member);
    std::sort(members.begin(), members.end(),
              [](const Json::Member *a, const Json::Member *b) { return a->first < b->first; });
    QCborMap map;
    for (const Json::Member *member : std::as_const(members)) {
        QCborValue value;
        if (!toCbor(member->second, &value, error))
            return false;
        map.insert(member->first, value);
    }
    *cbor = map;
    return true;
}

Json fromStoredBytes(const QByteArray &bytes)
{
    QCborValue cbor;
    if (PersistVar::Private::unwrap(bytes, &cbor)) {
        Json json = fromCbor(cbor);
        // Only a form whose text reads back as the very same bytes is good enough. Anything else
        // (a non-shortest encoding from another writer, a NaN payload, nesting deeper than
        // parse() accepts) is exported verbatim.
        Json again;
        QByteArray bytesAgain;
        QString error;
        if (parse(write(json), &again, &error) && toStoredBytes(again, &bytesAgain, &error)
            && bytesAgain == bytes)
            return json;
    }
    return tagged(
        QStringLiteral("raw"),
        {{QStringLiteral("base64"), Json::fromString(QString::fromLatin1(bytes.toBase64()))}});
}

bool toStoredBytes(const Json &json, QByteArray *bytes, QString *error)
{
    if (json.isObject()) {
        const Json *type = json.member(TypeKey);
        if (type && type->type == Json::Type::String && type->string == QLatin1String("raw")) {
            if (!checkMembers(json, type->string, {QLatin1String("base64")}, error))
                return false;
            const Json *base64 = json.member(QLatin1String("base64"));
            const auto decoded = QByteArray::fromBase64Encoding(
                base64->string.toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
            if (base64->type != Json::Type::String || !decoded)
                return fail(error, QStringLiteral("\"raw\" needs base64 text as \"base64\""));
            *bytes = decoded.decoded;
            return true;
        }
    }
    QCborValue cbor;
    if (!toCbor(json, &cbor, error))
        return false;
    *bytes = PersistVar::Private::wrap(cbor);
    return true;
}

} // namespace TypedJson
