// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/result.h>

#include <QtCore/QMetaType>
#include <QtCore/QString>
#include <QtCore/QVariant>

namespace PersistVar {
class VarBase;
class VarManager;
} // namespace PersistVar

// Not API. How QML values map onto typed variables.
namespace PersistVar::Qml {

// A QML value as a QVariant the codec knows: JS objects and arrays (QJSValue, also nested in
// lists and maps) become QVariantMap and QVariantList, other sequences QVariantList.
QVariant toPlainVariant(const QVariant &value);

// The Var<T> type that holds values of QML type type: the type itself where a codec exists,
// int for enumerations, QVariant for anything else that is a value. An invalid QMetaType when
// the type cannot be persisted (object pointers, QQmlListProperty, functions).
QMetaType variableType(QMetaType type);

// Whether a variable of type existing can serve a QML value of type wanted: the same type, or
// two types QML does not tell apart (any numbers; point and pointF; string and url; ...).
bool compatibleTypes(QMetaType existing, QMetaType wanted);

// The variable for key on manager: the existing one when compatibleTypes() (its own default is
// then kept), else a new Var<variableType(type)> with defaultValue. TypeMismatch, naming both
// types, when the key is taken by an incompatible variable. As VarManager::var(), the result may
// hold both a variable and an error (a stored value that could not be decoded).
Result<VarBase *> acquireVariable(VarManager *manager, const QString &key, QMetaType type,
                                  const QVariant &defaultValue);

// A short QML-ish name of type for messages ("int", "QVariantMap", ...).
QString typeName(QMetaType type);

} // namespace PersistVar::Qml
