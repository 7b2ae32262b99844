// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QCborValue>
#include <QtCore/QList>
#include <QtCore/QString>

#include <utility>

// Typed JSON: the readable form of stored values used by the persistvar tool (see README.md).
namespace TypedJson {

// A JSON value that keeps what Qt's JSON classes drop: 1.0 stays a double (QJsonDocument reads
// it as the integer 1) and object members keep their order and duplicates can be detected. Both
// matter for exact round trips.
struct Json
{
    enum class Type : quint8 { Null, Bool, Integer, Double, String, Array, Object };
    using Member = std::pair<QString, Json>;

    Type type = Type::Null;
    bool boolean = false;
    qint64 integer = 0;
    double number = 0;
    QString string;
    QList<Json> array;
    QList<Member> object;

    static Json fromBool(bool value);
    static Json fromInteger(qint64 value);
    static Json fromDouble(double value);
    static Json fromString(const QString &value);
    static Json fromArray(QList<Json> items);
    static Json fromObject(QList<Member> members);

    bool isObject() const { return type == Type::Object; }
    // The member called \a key of an object, or nullptr.
    const Json *member(QLatin1String key) const;
};

// Parses UTF-8 JSON text (RFC 8259). Numbers without fraction or exponent are integers and must
// fit in 64 bits. On failure returns false and sets \a error, naming line and column.
bool parse(const QByteArray &text, Json *json, QString *error);

// Writes \a json as compact UTF-8 JSON.
QByteArray write(const Json &json);

// The typed JSON for stored bytes. Never fails: bytes that are not a PersistVar encoding, or
// whose JSON form would not give back the very same bytes, become {"$type":"raw","base64":...}.
Json fromStoredBytes(const QByteArray &bytes);

// The stored bytes for typed JSON. Returns false with \a error for malformed tagged objects.
bool toStoredBytes(const Json &json, QByteArray *bytes, QString *error);

// The mapping itself, one CBOR item <-> typed JSON, without the format byte.
Json fromCbor(const QCborValue &cbor);
bool toCbor(const Json &json, QCborValue *cbor, QString *error);

} // namespace TypedJson
