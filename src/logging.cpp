// SPDX-License-Identifier: MIT
#include "logging_p.h"

namespace PersistVar {
Q_LOGGING_CATEGORY(lcCore, "persistvar.core", QtWarningMsg)
Q_LOGGING_CATEGORY(lcStorage, "persistvar.storage", QtWarningMsg)
Q_LOGGING_CATEGORY(lcSql, "persistvar.sql", QtWarningMsg)
Q_LOGGING_CATEGORY(lcTiming, "persistvar.timing", QtWarningMsg)
} // namespace PersistVar
