// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QLoggingCategory>

namespace PersistVar {
// The QML layer's category; messages about a particular element go through qmlWarning() so that
// they name the QML file and line.
Q_DECLARE_LOGGING_CATEGORY(lcQml)
} // namespace PersistVar
