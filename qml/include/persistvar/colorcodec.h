// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/codec.h>

#include <QtGui/QColor>

/*!
 * \file colorcodec.h
 * \brief Lets Var<QColor> store colours, as text a person can read and edit.
 *
 * A colour is stored as its name, \c "#rrggbb" when opaque and \c "#aarrggbb" otherwise, so an
 * INI file shows \c {accent=#3daee9}; an invalid QColor is stored as an empty string. Reading
 * also accepts every name QColor::fromString() knows (\c "red", \c "#f00") and the QDataStream
 * form PersistVar uses for a QColor held in a Var<QVariant>.
 *
 * Colours are stored with 8 bits per channel, as in their names: a colour made with more
 * precision (Qt.rgba(0.3, ...)) comes back rounded to the nearest 8-bit value.
 *
 * The QML module uses it for \c color values; include it in C++ code that declares Var<QColor>.
 */

namespace PersistVar {

/*! \brief Stores a QColor as its name; see colorcodec.h. */
template<>
struct Codec<QColor>
{
    /*! \c "#rrggbb", or \c "#aarrggbb" when not opaque; an empty string for an invalid colour. */
    static QCborValue toCbor(const QColor &color)
    {
        if (!color.isValid())
            return QCborValue(QString());
        return QCborValue(color.name(color.alpha() == 255 ? QColor::HexRgb : QColor::HexArgb));
    }

    /*!
     * Reads a colour name (any QColor::fromString() accepts; empty gives an invalid QColor) or
     * the QDataStream form of a QColor in a QVariant. Returns false for anything else.
     */
    static bool fromCbor(const QCborValue &cbor, QColor *color)
    {
        if (cbor.isString()) {
            const QString name = cbor.toString().trimmed();
            if (name.isEmpty()) {
                *color = QColor();
                return true;
            }
            const QColor parsed = QColor::fromString(name);
            if (!parsed.isValid())
                return false;
            *color = parsed;
            return true;
        }
        QVariant v;
        if (!Private::decodeVariantAs(cbor, QMetaType::fromType<QColor>(), &v))
            return false;
        *color = v.value<QColor>();
        return true;
    }
};

} // namespace PersistVar
