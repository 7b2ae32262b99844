// SPDX-License-Identifier: MIT
// Opening the QSettings and SQL backends by store name.
#include "../storage_p.h"

#include <persistvar/settingsstorage.h>
#include <persistvar/sqlstorage.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QDir>
#include <QtCore/QFileInfo>

namespace PersistVar::Private {

Result<std::unique_ptr<Storage>> openDefaultStorage()
{
    // The embedded default: an SQLite file in AppDataLocation, created with its folder.
    auto storage = SqlStorage::openSqlite(defaultStorePath());
    if (!storage.isOk())
        return storage.error();
    return std::unique_ptr<Storage>(std::move(storage).value());
}

Result<std::unique_ptr<Storage>> openBackendStorage(const QString &scheme, const QString &rest,
                                                    const QString &fullName)
{
    if (scheme == QLatin1String("ini")) {
        const QString path = localPathFromStoreName(rest);
        if (path.isEmpty())
            return Error(ErrorCode::InvalidArgument, QString(),
                         QStringLiteral("\"ini:\" needs a file path, as in ini:/path/app.ini"));
        auto storage = SettingsStorage::openIni(path);
        if (!storage.isOk())
            return storage.error();
        return std::unique_ptr<Storage>(std::move(storage).value());
    }
    if (scheme == QLatin1String("settings")) {
        // "settings:" uses the application's names; "settings:Organization/Application" others.
        QString organization = QCoreApplication::organizationName();
        QString application = QCoreApplication::applicationName();
        if (!rest.isEmpty()) {
            const qsizetype slash = rest.indexOf(QLatin1Char('/'));
            if (slash <= 0 || slash == rest.size() - 1)
                return Error(ErrorCode::InvalidArgument, QString(),
                             QStringLiteral("\"settings:\" takes nothing or "
                                            "Organization/Application, not \"%1\"")
                                 .arg(rest));
            organization = rest.left(slash);
            application = rest.mid(slash + 1);
        }
        if (organization.isEmpty() && application.isEmpty())
            return Error(ErrorCode::InvalidArgument, QString(),
                         QStringLiteral("\"settings:\" needs QCoreApplication's organization or "
                                        "application name to be set"));
        auto storage = SettingsStorage::openNative(organization, application);
        if (!storage.isOk())
            return storage.error();
        return std::unique_ptr<Storage>(std::move(storage).value());
    }
    if (scheme == QLatin1String("sqlite")) {
        // sqlite:/path/app.db, optionally ?table=name
        QString pathPart = rest;
        QString table;
        const qsizetype query = rest.indexOf(QLatin1Char('?'));
        if (query >= 0) {
            pathPart = rest.left(query);
            const QString options = rest.mid(query + 1);
            if (!options.startsWith(QLatin1String("table=")) || options.contains(QLatin1Char('&')))
                return Error(
                    ErrorCode::InvalidArgument, QString(),
                    QStringLiteral("\"sqlite:\" takes only ?table=NAME, not \"%1\"").arg(options));
            table = options.mid(6);
            if (table.isEmpty())
                return Error(ErrorCode::InvalidArgument, QString(),
                             QStringLiteral("\"sqlite:\" has an empty table name in ?table="));
        }
        const QString path = localPathFromStoreName(pathPart);
        if (path.isEmpty())
            return Error(
                ErrorCode::InvalidArgument, QString(),
                QStringLiteral("\"sqlite:\" needs a file path, as in sqlite:/path/app.db"));
        SqlStorage::Options options;
        if (!table.isEmpty())
            options.table = table;
        auto storage = SqlStorage::openSqlite(path, options);
        if (!storage.isOk())
            return storage.error();
        return std::unique_ptr<Storage>(std::move(storage).value());
    }
    if (scheme == QLatin1String("postgresql") || scheme == QLatin1String("postgres")) {
        auto storage = SqlStorage::openPostgreSql(fullName);
        if (!storage.isOk())
            return storage.error();
        return std::unique_ptr<Storage>(std::move(storage).value());
    }
    return Error(ErrorCode::InvalidArgument, QString(),
                 QStringLiteral("unknown store scheme \"%1\" in \"%2\"; expected one of %3")
                     .arg(scheme, redactStoreName(fullName), knownSchemes()));
}

} // namespace PersistVar::Private
