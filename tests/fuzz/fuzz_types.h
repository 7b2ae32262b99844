// SPDX-License-Identifier: MIT
// The user-defined types fuzz_codec decodes into, shared with the seed generator.
#pragma once

#include <QtCore/QMetaType>
#include <QtCore/QObject>
#include <QtCore/QRect>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtCore/QVariantMap>

namespace PersistVarFuzz {

/*! A typical application Q_GADGET, with a property of every kind the gadget codec handles. */
class Window
{
    Q_GADGET
    Q_PROPERTY(int width MEMBER width)
    Q_PROPERTY(QString title MEMBER title)
    Q_PROPERTY(double opacity MEMBER opacity)
    Q_PROPERTY(QStringList tags MEMBER tags)
    Q_PROPERTY(QRect geometry MEMBER geometry)
    Q_PROPERTY(Theme theme MEMBER theme)
    Q_PROPERTY(Level level MEMBER level)
    Q_PROPERTY(QVariantMap extra MEMBER extra)

public:
    // The usual Q_ENUM: no fixed underlying type, so only 0..3 are values of the type.
    enum Theme { ThemeLight, ThemeDark, ThemeSystem };
    Q_ENUM(Theme)
    // A scoped enum with a narrow fixed underlying type.
    enum class Level : quint8 { LevelLow, LevelMedium = 5, LevelHigh = 200 };
    Q_ENUM(Level)

    int width = 0;
    QString title;
    double opacity = 1.0;
    QStringList tags;
    QRect geometry;
    Theme theme = ThemeLight;
    Level level = Level::LevelLow;
    QVariantMap extra;

    friend bool operator==(const Window &a, const Window &b)
    {
        return a.width == b.width && a.title == b.title && a.opacity == b.opacity
            && a.tags == b.tags && a.geometry == b.geometry && a.theme == b.theme
            && a.level == b.level && a.extra == b.extra;
    }
};

} // namespace PersistVarFuzz
