// SPDX-License-Identifier: MIT
#include "logging_p.h"

namespace PersistVar {
Q_LOGGING_CATEGORY(lcQml, "persistvar.qml", QtWarningMsg)
} // namespace PersistVar
