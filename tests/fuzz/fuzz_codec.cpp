// SPDX-License-Identifier: MIT
//
// fuzz_codec: the input is a stored value (format byte + CBOR) as a backend hands it back, maybe
// corrupt or edited by hand. It is decoded as every type family. Decoding must never crash,
// leak or hit undefined behaviour, and whatever decodes must survive a round trip: the value
// re-encodes, the bytes decode to an equal value, and that value encodes to the same bytes
// (compare-and-swap and "unchanged, skip the write" rely on that determinism). A violation
// aborts with both encodings printed, so libFuzzer keeps the input as a reproducer.
#include "fuzz_types.h"

#include <persistvar/codec.h>

#include <QtCore/QtGlobal>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <vector>

namespace {

using PersistVarFuzz::Window;

QByteArray hex(const QByteArray &bytes)
{
    return bytes.left(512).toHex(' ');
}

[[noreturn]] void violation(const char *type, const char *what, const QByteArray &input,
                            const QByteArray &first, const QByteArray &second)
{
    std::fprintf(stderr, "fuzz_codec: %s: %s\n  input:  %s\n  first:  %s\n  second: %s\n", type,
                 what, hex(input).constData(), hex(first).constData(), hex(second).constData());
    std::abort();
}

// NaN never equals itself, so a value holding one (a double, a list or map with a NaN, a
// QVariant whose type has no operator==) is compared through its encoding only.
template<typename T>
bool sameValue(const T &a, const T &b)
{
    // QVariant (also inside lists, maps and gadgets) finds a NaN equal to itself (the same data)
    // but not to another NaN, and a NaN's payload is canonical in CBOR by design: such values
    // count as the same when they encode the same.
    return a == b || !(a == a) || !(b == b) || PersistVar::encode(a) == PersistVar::encode(b);
}

template<typename T>
void roundTrip(const char *type, const QByteArray &input)
{
    T first{};
    if (!PersistVar::decode(input, &first))
        return;
    const QByteArray encoded = PersistVar::encode(first);
    T second{};
    if (!PersistVar::decode(encoded, &second))
        violation(type, "the re-encoded value does not decode", input, encoded, {});
    const QByteArray reencoded = PersistVar::encode(second);
    if (reencoded != encoded)
        violation(type, "equal values encode to different bytes", input, encoded, reencoded);
    if (!sameValue(first, second))
        violation(type, "the value changed in a round trip", input, encoded, reencoded);
}

// The path of text-based backends (QSettings): bytes -> plain QVariant -> bytes.
void plainRoundTrip(const QByteArray &input)
{
    using PersistVar::Private::bytesToPlainVariant;
    using PersistVar::Private::plainVariantToBytes;
    QVariant plain;
    const bool decoded = bytesToPlainVariant(input, &plain);
    QVariant generic;
    if (decoded != PersistVar::decode(input, &generic))
        violation("plain", "bytesToPlainVariant and decode<QVariant> disagree on validity", input,
                  {}, {});
    if (!decoded)
        return;
    const QByteArray bytes = plainVariantToBytes(plain);
    // A plain value (a QStringList for a list of strings) is stored exactly as the QVariant is
    // inside a container (Codec<QVariant>). encode<QVariant>() differs only at the top level,
    // where it tags numbers and booleans so that an INI file keeps their type.
    const QByteArray nested =
        PersistVar::Private::wrap(PersistVar::Private::encodeVariant(generic));
    if (bytes != nested)
        violation("plain", "the plain value encodes unlike the QVariant", input, bytes, nested);
    QVariant again;
    if (!bytesToPlainVariant(bytes, &again))
        violation("plain", "plainVariantToBytes gave bytes bytesToPlainVariant refuses", input,
                  bytes, {});
    const QByteArray rebytes = plainVariantToBytes(again);
    if (rebytes != bytes)
        violation("plain", "equal plain values encode to different bytes", input, bytes, rebytes);
    if (!sameValue(plain, again))
        violation("plain", "the plain value changed in a round trip", input, bytes, rebytes);
}

void quietMessages(QtMsgType type, const QMessageLogContext &, const QString &message)
{
    // A hostile input may make Qt warn on every run; only a fatal message matters.
    if (type == QtFatalMsg) {
        std::fprintf(stderr, "fuzz_codec: qFatal: %s\n", qUtf8Printable(message));
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    if (qEnvironmentVariableIsEmpty("PERSISTVAR_FUZZ_VERBOSE"))
        qInstallMessageHandler(quietMessages);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));

    roundTrip<bool>("bool", input);
    roundTrip<int>("int", input);
    roundTrip<qint64>("qint64", input);
    roundTrip<quint64>("quint64", input);
    roundTrip<quint8>("quint8", input);
    roundTrip<double>("double", input);
    roundTrip<float>("float", input);
    roundTrip<QString>("QString", input);
    roundTrip<QByteArray>("QByteArray", input);
    roundTrip<QStringList>("QStringList", input);
    roundTrip<QVariant>("QVariant", input);
    roundTrip<QVariantList>("QVariantList", input);
    roundTrip<QVariantMap>("QVariantMap", input);
    roundTrip<QDateTime>("QDateTime", input);
    roundTrip<QDate>("QDate", input);
    roundTrip<QTime>("QTime", input);
    roundTrip<QUrl>("QUrl", input);
    roundTrip<QUuid>("QUuid", input);
    roundTrip<QPoint>("QPoint", input);
    roundTrip<QPointF>("QPointF", input);
    roundTrip<QSize>("QSize", input);
    roundTrip<QSizeF>("QSizeF", input);
    roundTrip<QRect>("QRect", input);
    roundTrip<QRectF>("QRectF", input);
    roundTrip<QList<int>>("QList<int>", input);
    roundTrip<std::vector<double>>("std::vector<double>", input);
    roundTrip<QMap<QString, int>>("QMap<QString,int>", input);
    roundTrip<QHash<QString, QString>>("QHash<QString,QString>", input);
    roundTrip<std::optional<int>>("std::optional<int>", input);
    roundTrip<std::optional<QString>>("std::optional<QString>", input);
    roundTrip<Window::Theme>("Q_ENUM Theme", input);
    roundTrip<Window::Level>("Q_ENUM Level", input);
    roundTrip<Window>("Q_GADGET Window", input);
    plainRoundTrip(input);
    return 0;
}
