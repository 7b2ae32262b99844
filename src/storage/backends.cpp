// SPDX-License-Identifier: MIT
// Opening the QSettings and SQL backends by store name.
#include "../storage_p.h"

#include <persistvar/filestorage.h>

#include <QtCore/QDir>
#include <QtCore/QFileInfo>

namespace PersistVar::Private {

Result<std::unique_ptr<Storage>> openDefaultStorage()
{
    // Until the SQL backend lands, the default is a file store beside where the database goes.
    const QString dir = QFileInfo(defaultStorePath()).absolutePath() + QStringLiteral("/persistvar");
    return std::unique_ptr<Storage>(std::make_unique<FileStorage>(dir));
}

Result<std::unique_ptr<Storage>> openBackendStorage(const QString &scheme, const QString &rest,
                                                   const QString &fullName)
{
    Q_UNUSED(rest)
    return Error(ErrorCode::InvalidArgument, QString(),
                 QStringLiteral("unknown store scheme \"%1\" in \"%2\"; expected one of %3")
                     .arg(scheme, redactStoreName(fullName), knownSchemes()));
}

} // namespace PersistVar::Private
