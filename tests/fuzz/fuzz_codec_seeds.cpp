// SPDX-License-Identifier: MIT
//
// fuzz_codec_seeds DIR: writes the seed corpus of fuzz_codec, one valid encoding of each type
// family per file, named after what it holds. libFuzzer mutates these instead of starting from
// nothing, so it reaches the tagged Qt types and the gadget codec within seconds.
#include "fuzz_types.h"

#include <persistvar/codec.h>

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QLine>
#include <QtCore/QTimeZone>

#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <vector>

using PersistVarFuzz::Window;

namespace {

int failures = 0;

void write(const QDir &dir, const char *name, const QByteArray &bytes)
{
    QFile file(dir.filePath(QString::fromLatin1(name)));
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size()) {
        std::fprintf(stderr, "cannot write %s\n", qPrintable(file.fileName()));
        ++failures;
    }
}

template<typename T>
void seed(const QDir &dir, const char *name, const T &value)
{
    write(dir, name, PersistVar::encode(value));
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    QDir dir(QString::fromLocal8Bit(argv[1]));
    if (!dir.mkpath(QStringLiteral("."))) {
        std::fprintf(stderr, "cannot create %s\n", argv[1]);
        return 1;
    }

    seed(dir, "bool-true", true);
    seed(dir, "int-0", 0);
    seed(dir, "int-negative", -123456);
    seed(dir, "qint64-min", std::numeric_limits<qint64>::min());
    seed(dir, "quint64-max", std::numeric_limits<quint64>::max());
    seed(dir, "double-half", 0.5);
    seed(dir, "double-pi", 3.141592653589793);
    seed(dir, "double-nan", std::numeric_limits<double>::quiet_NaN());
    seed(dir, "double-inf", -std::numeric_limits<double>::infinity());
    seed(dir, "string", QStringLiteral("Grüße, 世界"));
    seed(dir, "string-number", QStringLiteral(" 800 "));
    seed(dir, "string-true", QStringLiteral("true"));
    seed(dir, "bytearray", QByteArray("\x00\x01\xfe\xff", 4));
    seed(dir, "stringlist", QStringList{QStringLiteral("a"), QStringLiteral("b, c")});
    seed(dir, "variant-null", QVariant::fromValue(nullptr));
    seed(dir, "variant-undefined", QVariant());
    seed(dir, "variantlist",
         QVariantList{1, 2.5, QStringLiteral("x"), true, QVariant::fromValue(QRect(1, 2, 3, 4))});
    seed(dir, "variantmap",
         QVariantMap{{QStringLiteral("volume"), 0.5},
                     {QStringLiteral("list"), QVariantList{1, QStringLiteral("two")}},
                     {QStringLiteral("map"), QVariantMap{{QStringLiteral("k"), 1}}}});
    // A type only QDataStream knows: 27(["QVariant", h'...']).
    seed(dir, "variant-datastream", QVariant::fromValue(QLineF(1, 2, 3, 4)));
    seed(dir, "variant-hash", QVariantHash{{QStringLiteral("b"), 2}, {QStringLiteral("a"), 1}});
    seed(dir, "datetime-utc", QDateTime(QDate(2024, 2, 29), QTime(12, 30), Qt::UTC));
    seed(dir, "datetime-local", QDateTime(QDate(1999, 12, 31), QTime(23, 59, 59, 999)));
    seed(dir, "datetime-offset",
         QDateTime(QDate(2024, 1, 1), QTime(0, 0), Qt::OffsetFromUTC, 5 * 3600 + 1800));
    seed(dir, "datetime-zone",
         QDateTime(QDate(2024, 7, 1), QTime(8, 0), QTimeZone(QByteArrayLiteral("Europe/Paris"))));
    seed(dir, "datetime-invalid", QDateTime());
    seed(dir, "date", QDate(2024, 2, 29));
    seed(dir, "date-invalid", QDate());
    seed(dir, "time", QTime(23, 59, 59, 999));
    seed(dir, "url", QUrl(QStringLiteral("https://user@example.org:8080/a%20b?q=1#frag")));
    seed(dir, "url-empty", QUrl());
    seed(dir, "uuid", QUuid(QStringLiteral("{67c8770b-44f1-410a-ab9a-f9b5446f13ee}")));
    seed(dir, "point", QPoint(-1, 2));
    seed(dir, "pointf", QPointF(0.5, -1e10));
    seed(dir, "size", QSize(640, 480));
    seed(dir, "sizef", QSizeF(1.5, 2.25));
    seed(dir, "rect", QRect(10, 20, 300, 400));
    seed(dir, "rectf", QRectF(0.125, 0.25, 10.5, 20.75));
    seed(dir, "list-int", QList<int>{1, -2, 3});
    seed(dir, "vector-double", std::vector<double>{0.1, 1e300, -0.0});
    seed(dir, "map-string-int",
         QMap<QString, int>{{QStringLiteral("a"), 1}, {QStringLiteral("b"), 2}});
    seed(dir, "hash-string-string",
         QHash<QString, QString>{{QStringLiteral("k"), QStringLiteral("v")},
                                 {QStringLiteral("z"), QString()}});
    seed(dir, "optional-int", std::optional<int>(7));
    seed(dir, "optional-empty", std::optional<int>());
    seed(dir, "optional-optional-empty", std::optional<std::optional<int>>(std::optional<int>()));
    seed(dir, "enum-theme", Window::ThemeDark);
    seed(dir, "enum-level", Window::Level::LevelHigh);
    Window window;
    window.width = 800;
    window.title = QStringLiteral("Main");
    window.opacity = 0.75;
    window.tags = QStringList{QStringLiteral("a"), QStringLiteral("b")};
    window.geometry = QRect(1, 2, 3, 4);
    window.theme = Window::ThemeSystem;
    window.level = Window::Level::LevelMedium;
    window.extra = QVariantMap{{QStringLiteral("x"), 1}};
    seed(dir, "gadget", window);

    // Hand-made corruptions worth starting from: an unknown format byte, trailing bytes, a
    // truncated item and a bignum longer than 64 bits.
    write(dir, "bad-format", QByteArray("\x02\x01", 2));
    write(dir, "bad-trailing", QByteArray("\x01\x01\x01", 3));
    write(dir, "bad-truncated", QByteArray("\x01\x82\x01", 3));
    write(dir, "bad-bignum", QByteArray("\x01\xc2\x49\x01\x00\x00\x00\x00\x00\x00\x00\x00", 12));

    return failures == 0 ? 0 : 1;
}
