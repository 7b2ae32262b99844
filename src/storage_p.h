// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/storage.h>

#include <QtCore/QLockFile>

#include <chrono>

namespace PersistVar::Private {

// Not API. Store-name parsing shared by openStorage() and the backends.
QString knownSchemes();
QString redactStoreName(const QString &name);
QString localPathFromStoreName(const QString &rest);

// Takes \a lock within \a timeout. QLockFile::tryLock(timeout) backs off exponentially (its
// sleeps grow to seconds), so under contention from several processes a waiter starves and
// times out; polling with short, jittered sleeps keeps waiters fair. Stale locks of crashed
// processes are still recovered by QLockFile itself.
bool lockWithin(QLockFile &lock, std::chrono::milliseconds timeout);
QString lockFailureReason(const QLockFile &lock);

// The embedded default store (defaultStorePath()), created with its folder.
Result<std::unique_ptr<Storage>> openDefaultStorage();
// Schemes of the QSettings and SQL backends: ini, settings, sqlite, postgresql.
Result<std::unique_ptr<Storage>> openBackendStorage(const QString &scheme, const QString &rest,
                                                    const QString &fullName);

} // namespace PersistVar::Private
