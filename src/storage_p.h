// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/storage.h>

namespace PersistVar::Private {

// Not API. Store-name parsing shared by openStorage() and the backends.
QString knownSchemes();
QString redactStoreName(const QString &name);
QString localPathFromStoreName(const QString &rest);

// The embedded default store (defaultStorePath()), created with its folder.
Result<std::unique_ptr<Storage>> openDefaultStorage();
// Schemes of the QSettings and SQL backends: ini, settings, sqlite, postgresql.
Result<std::unique_ptr<Storage>> openBackendStorage(const QString &scheme, const QString &rest,
                                                   const QString &fullName);

} // namespace PersistVar::Private
