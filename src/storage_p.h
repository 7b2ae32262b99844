// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/storage.h>

#include <QtCore/QLockFile>

#include <atomic>
#include <chrono>
#include <functional>

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

// An entry as a background reader reads it: the key as UTF-8, both valid during the call.
using RowVisitor = std::function<void(QUtf8StringView key, QByteArrayView value)>;
// Reads every entry of a store through a connection of its own, so it can run on another thread
// while the store's own connection stays free; stops with an error once \a cancelled is true.
// Before the first entry it calls \a expect with an estimate of how many there are (0: unknown).
using BackgroundReader = std::function<Result<void>(const RowVisitor &visitor,
                                                    const std::function<void(qsizetype)> &expect,
                                                    const std::atomic<bool> &cancelled)>;
// A reader for \a storage, or an empty function when its backend has none (every backend but
// an SQLite file on the native path).
BackgroundReader backgroundReader(Storage *storage);

} // namespace PersistVar::Private
