// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QLoggingCategory>

namespace PersistVar {
// One category per layer, so an application can turn on just the part it is debugging.
Q_DECLARE_LOGGING_CATEGORY(lcCore)
Q_DECLARE_LOGGING_CATEGORY(lcStorage)
Q_DECLARE_LOGGING_CATEGORY(lcSql)
// How long opening and syncing take, phase by phase (debug level): for finding out where an
// application's start-up or a slow sync spends its time without a profiler. Timed only while
// enabled.
Q_DECLARE_LOGGING_CATEGORY(lcTiming)
} // namespace PersistVar
