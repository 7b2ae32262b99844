// SPDX-License-Identifier: MIT
#include "variables_p.h"

#include <persistvar/colorcodec.h>
#include <persistvar/varmanager.h>

#include <QtCore/QSequentialIterable>
#include <QtGui/QColor>
#include <QtQml/QJSValue>
#include <QtQml/QQmlListProperty>

namespace PersistVar::Qml {

namespace {

template<typename T>
Result<VarBase *> typedVariable(VarManager *manager, const QString &key, const QVariant &value)
{
    T defaultValue{};
    if constexpr (std::is_same_v<T, QVariant>) {
        defaultValue = value;
    } else {
        QVariant converted = value;
        if (converted.metaType() != QMetaType::fromType<T>() && converted.isValid())
            converted.convert(QMetaType::fromType<T>());
        defaultValue = converted.value<T>();
    }
    Result<Var<T> *> r = manager->var<T>(key, defaultValue);
    return Result<VarBase *>(r.value(), r.error());
}

bool isNumber(int id)
{
    switch (id) {
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
    case QMetaType::Double:
    case QMetaType::Float:
        return true;
    default:
        return false;
    }
}

// Types QML converts between silently: a family number per group, 0 for none.
int family(int id)
{
    if (isNumber(id))
        return 1;
    switch (id) {
    case QMetaType::QPoint:
    case QMetaType::QPointF:
        return 2;
    case QMetaType::QSize:
    case QMetaType::QSizeF:
        return 3;
    case QMetaType::QRect:
    case QMetaType::QRectF:
        return 4;
    case QMetaType::QString:
    case QMetaType::QUrl:
        return 5;
    case QMetaType::QStringList:
    case QMetaType::QVariantList:
        return 6;
    case QMetaType::QVariantMap:
    case QMetaType::QVariantHash:
        return 7;
    default:
        return 0;
    }
}

} // namespace

QVariant toPlainVariant(const QVariant &value)
{
    const QMetaType type = value.metaType();
    if (type == QMetaType::fromType<QJSValue>())
        return toPlainVariant(value.value<QJSValue>().toVariant(QJSValue::ConvertJSObjects));
    switch (type.id()) {
    case QMetaType::QVariantList: {
        QVariantList list = value.toList();
        for (QVariant &item : list)
            item = toPlainVariant(item);
        return list;
    }
    case QMetaType::QVariantMap: {
        QVariantMap map = value.toMap();
        for (QVariant &item : map)
            item = toPlainVariant(item);
        return map;
    }
    case QMetaType::QVariantHash: {
        const QVariantHash hash = value.toHash();
        QVariantMap map;
        for (auto it = hash.cbegin(); it != hash.cend(); ++it)
            map.insert(it.key(), toPlainVariant(it.value()));
        return map;
    }
    case QMetaType::QString:
    case QMetaType::QByteArray:
    case QMetaType::QStringList:
        return value;
    default:
        break;
    }
    // QML sequence types (QList<qreal>, QList<QUrl>, std::vector<int>, ...): a plain list.
    if (type.isValid() && QMetaType::canConvert(type, QMetaType::fromType<QSequentialIterable>())) {
        QVariantList list;
        const QSequentialIterable iterable = value.value<QSequentialIterable>();
        for (const QVariant &item : iterable)
            list.append(toPlainVariant(item));
        return list;
    }
    return value;
}

QMetaType variableType(QMetaType type)
{
    switch (type.id()) {
    case QMetaType::UnknownType:
    case QMetaType::Nullptr:
    case QMetaType::QVariant:
        return QMetaType::fromType<QVariant>();
    case QMetaType::Bool:
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
    case QMetaType::Double:
    case QMetaType::Float:
    case QMetaType::QString:
    case QMetaType::QByteArray:
    case QMetaType::QStringList:
    case QMetaType::QVariantList:
    case QMetaType::QVariantMap:
    case QMetaType::QDateTime:
    case QMetaType::QDate:
    case QMetaType::QTime:
    case QMetaType::QUrl:
    case QMetaType::QUuid:
    case QMetaType::QPoint:
    case QMetaType::QPointF:
    case QMetaType::QSize:
    case QMetaType::QSizeF:
    case QMetaType::QRect:
    case QMetaType::QRectF:
    case QMetaType::QColor:
        return type;
    case QMetaType::QVariantHash:
        return QMetaType::fromType<QVariantMap>();
    case QMetaType::Short:
    case QMetaType::UShort:
    case QMetaType::Char:
    case QMetaType::SChar:
    case QMetaType::UChar:
        return QMetaType::fromType<int>();
    case QMetaType::Long:
        return QMetaType::fromType<qlonglong>();
    case QMetaType::ULong:
        return QMetaType::fromType<qulonglong>();
    default:
        break;
    }
    if (type == QMetaType::fromType<QJSValue>())
        return QMetaType::fromType<QVariant>();
    // Stored by number, so that a hand-edited "2" still reads; names change less often than
    // values in QML, but QML itself hands enums around as numbers.
    if (type.flags() & QMetaType::IsEnumeration)
        return type.sizeOf() > int(sizeof(int)) ? QMetaType::fromType<qlonglong>()
                                                : QMetaType::fromType<int>();
    if (type.flags() & (QMetaType::PointerToQObject | QMetaType::PointerToGadget))
        return QMetaType();
    if (type == QMetaType::fromType<QQmlListProperty<QObject>>()
        || QByteArrayView(type.name()).startsWith("QQmlListProperty<"))
        return QMetaType();
    // Other values (font, vector3d, gadgets, ...): stored through QVariant.
    return QMetaType::fromType<QVariant>();
}

bool compatibleTypes(QMetaType existing, QMetaType wanted)
{
    if (existing == wanted)
        return true;
    if (existing == QMetaType::fromType<QVariant>() || wanted == QMetaType::fromType<QVariant>())
        return true;
    const int f = family(existing.id());
    return f != 0 && f == family(wanted.id());
}

Result<VarBase *> acquireVariable(VarManager *manager, const QString &key, QMetaType type,
                                  const QVariant &defaultValue)
{
    const QMetaType wanted = variableType(type);
    if (!wanted.isValid())
        return Error(ErrorCode::InvalidArgument, key,
                     QStringLiteral("a %1 cannot be persisted").arg(typeName(type)));
    if (VarBase *existing = manager->find(key)) {
        if (compatibleTypes(existing->metaType(), wanted))
            return existing;
        return Error(ErrorCode::TypeMismatch, key,
                     QStringLiteral("the key is already used by a variable of type %1, which "
                                    "cannot hold a %2")
                         .arg(typeName(existing->metaType()), typeName(wanted)));
    }
    switch (wanted.id()) {
    case QMetaType::Bool:
        return typedVariable<bool>(manager, key, defaultValue);
    case QMetaType::Int:
        return typedVariable<int>(manager, key, defaultValue);
    case QMetaType::UInt:
        return typedVariable<uint>(manager, key, defaultValue);
    case QMetaType::LongLong:
        return typedVariable<qlonglong>(manager, key, defaultValue);
    case QMetaType::ULongLong:
        return typedVariable<qulonglong>(manager, key, defaultValue);
    case QMetaType::Double:
        return typedVariable<double>(manager, key, defaultValue);
    case QMetaType::Float:
        return typedVariable<float>(manager, key, defaultValue);
    case QMetaType::QString:
        return typedVariable<QString>(manager, key, defaultValue);
    case QMetaType::QByteArray:
        return typedVariable<QByteArray>(manager, key, defaultValue);
    case QMetaType::QStringList:
        return typedVariable<QStringList>(manager, key, defaultValue);
    case QMetaType::QVariantList:
        return typedVariable<QVariantList>(manager, key, defaultValue);
    case QMetaType::QVariantMap:
        return typedVariable<QVariantMap>(manager, key, defaultValue);
    case QMetaType::QDateTime:
        return typedVariable<QDateTime>(manager, key, defaultValue);
    case QMetaType::QDate:
        return typedVariable<QDate>(manager, key, defaultValue);
    case QMetaType::QTime:
        return typedVariable<QTime>(manager, key, defaultValue);
    case QMetaType::QUrl:
        return typedVariable<QUrl>(manager, key, defaultValue);
    case QMetaType::QUuid:
        return typedVariable<QUuid>(manager, key, defaultValue);
    case QMetaType::QPoint:
        return typedVariable<QPoint>(manager, key, defaultValue);
    case QMetaType::QPointF:
        return typedVariable<QPointF>(manager, key, defaultValue);
    case QMetaType::QSize:
        return typedVariable<QSize>(manager, key, defaultValue);
    case QMetaType::QSizeF:
        return typedVariable<QSizeF>(manager, key, defaultValue);
    case QMetaType::QRect:
        return typedVariable<QRect>(manager, key, defaultValue);
    case QMetaType::QRectF:
        return typedVariable<QRectF>(manager, key, defaultValue);
    case QMetaType::QColor:
        return typedVariable<QColor>(manager, key, defaultValue);
    default:
        return typedVariable<QVariant>(manager, key, defaultValue);
    }
}

QString typeName(QMetaType type)
{
    switch (type.id()) {
    case QMetaType::UnknownType:
        return QStringLiteral("undefined");
    case QMetaType::Bool:
        return QStringLiteral("bool");
    case QMetaType::Double:
        return QStringLiteral("real");
    case QMetaType::QString:
        return QStringLiteral("string");
    case QMetaType::QVariant:
        return QStringLiteral("var");
    case QMetaType::QUrl:
        return QStringLiteral("url");
    case QMetaType::QColor:
        return QStringLiteral("color");
    case QMetaType::QDateTime:
        return QStringLiteral("date");
    case QMetaType::QPointF:
        return QStringLiteral("point");
    case QMetaType::QSizeF:
        return QStringLiteral("size");
    case QMetaType::QRectF:
        return QStringLiteral("rect");
    case QMetaType::QVariantList:
        return QStringLiteral("list");
    case QMetaType::QVariantMap:
        return QStringLiteral("object");
    default:
        return QString::fromLatin1(type.name());
    }
}

} // namespace PersistVar::Qml
