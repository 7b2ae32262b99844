// SPDX-License-Identifier: MIT
#include <persistvar/filestorage.h>
#include <persistvar/memorystorage.h>
#include <persistvar/storage.h>

#include "storage_p.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QDeadlineTimer>
#include <QtCore/QDir>
#include <QtCore/QRandomGenerator>
#include <QtCore/QRegularExpression>
#include <QtCore/QStandardPaths>
#include <QtCore/QThread>
#include <QtCore/QUrl>

namespace PersistVar {

Storage::Storage() = default;
Storage::~Storage() = default;

QList<Error> Storage::saveBatch(const QList<StorageWrite> &writes)
{
    QList<Error> errors;
    errors.reserve(writes.size());
    for (const StorageWrite &write : writes) {
        Result<void> r;
        if (!write.newValue)
            r = remove(write.key);
        else if (!write.compareOldValue)
            r = saveUnconditionally(write.key, *write.newValue);
        else
            r = save(write.key, *write.newValue, write.oldValue);
        errors.append(r.error());
    }
    return errors;
}

Result<void> Storage::saveUnconditionally(const QString &key, const QByteArray &newValue)
{
    // Read what is there and use it as the expected old value. A concurrent writer between the
    // two calls still makes a compare-and-swap backend report Conflict, which is the honest answer.
    const Result<QByteArray> current = load(key);
    if (current.isOk())
        return save(key, newValue, current.value());
    if (current.errorCode() == ErrorCode::NotFound)
        return save(key, newValue, std::nullopt);
    return current.error();
}

Result<QHash<QString, QByteArray>> Storage::loadAll()
{
    return Error(ErrorCode::NotSupported, QString(),
                 QStringLiteral("%1 cannot load all keys at once").arg(description()));
}

Result<void> Storage::loadEach(const EntryVisitor &visitor)
{
    Result<QHash<QString, QByteArray>> all = loadAll();
    if (!all.isOk())
        return all.error();
    const QHash<QString, QByteArray> &entries = all.value();
    for (auto it = entries.cbegin(); it != entries.cend(); ++it)
        visitor(it.key(), it.value());
    return {};
}

Result<QStringList> Storage::keys()
{
    return Error(ErrorCode::NotSupported, QString(),
                 QStringLiteral("%1 cannot list its keys").arg(description()));
}

Result<void> Storage::startWatching(QObject *context, ChangeCallback callback)
{
    Q_UNUSED(context)
    Q_UNUSED(callback)
    return Error(ErrorCode::NotSupported, QString(),
                 QStringLiteral("%1 cannot watch for changes").arg(description()));
}

void Storage::stopWatching() { }

bool Storage::isSafeFromAnyThread() const
{
    return true;
}

QString Storage::description() const
{
    return QStringLiteral("storage");
}

Result<void> Storage::checkKey(const QString &key) const
{
    if (key.isEmpty())
        return Error(ErrorCode::InvalidKey, key, QStringLiteral("the key is empty"));
    return {};
}

QString defaultStorePath()
{
    // AppDataLocation includes organization and application names, so two applications never
    // share a default store by accident.
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    return QDir(dir).filePath(QStringLiteral("persistvar.db"));
}

Result<std::unique_ptr<Storage>> openStorage(const QString &name)
{
    const QString trimmed = name.trimmed();
    if (trimmed.isEmpty())
        return Private::openDefaultStorage();

    const qsizetype colon = trimmed.indexOf(QLatin1Char(':'));
    if (colon <= 0)
        return Error(ErrorCode::InvalidArgument, QString(),
                     QStringLiteral("store name \"%1\" has no scheme; expected one of %2")
                         .arg(Private::redactStoreName(trimmed), Private::knownSchemes()));
    const QString scheme = trimmed.left(colon).toLower();
    const QString rest = trimmed.mid(colon + 1);

    if (scheme == QLatin1String("memory")) {
        // "memory:" is private to its manager; "memory:NAME" is shared within the process.
        return std::unique_ptr<Storage>(std::make_unique<MemoryStorage>(rest));
    }
    if (scheme == QLatin1String("file")) {
        const QString path = Private::localPathFromStoreName(rest);
        if (path.isEmpty())
            return Error(ErrorCode::InvalidArgument, QString(),
                         QStringLiteral("\"file:\" needs a directory, as in file:/path/to/dir"));
        return std::unique_ptr<Storage>(std::make_unique<FileStorage>(path));
    }
    return Private::openBackendStorage(scheme, rest, trimmed);
}

namespace Private {

QString knownSchemes()
{
    return QStringLiteral("memory:, file:, ini:, settings:, sqlite:, postgresql:");
}

QString redactStoreName(const QString &name)
{
    // URLs may carry a password: never let it reach a message or a log.
    QUrl url(name, QUrl::TolerantMode);
    QString redacted = name;
    if (url.isValid() && !url.password().isEmpty()) {
        url.setPassword(QStringLiteral("xxxxx"));
        redacted = url.toString();
    }
    // A name QUrl refuses (a port "5432x", say) can still show "scheme://user:password@" in a
    // message: blank that by its text too.
    static const QRegularExpression userInfo(
        QStringLiteral("^(\\s*[A-Za-z][A-Za-z0-9+.-]*://[^/?#@:]*:)[^/?#@]*@"));
    redacted.replace(userInfo, QStringLiteral("\\1xxxxx@"));
    return redacted;
}

bool lockWithin(QLockFile &lock, std::chrono::milliseconds timeout)
{
    QDeadlineTimer deadline(timeout);
    int sleepUs = 200;
    forever {
        if (lock.tryLock(0))
            return true;
        if (lock.error() != QLockFile::LockFailedError || deadline.hasExpired())
            return false;
        QThread::usleep(sleepUs + QRandomGenerator::global()->bounded(sleepUs));
        sleepUs = qMin(sleepUs * 2, 5000);
    }
}

QString lockFailureReason(const QLockFile &lock)
{
    switch (lock.error()) {
    case QLockFile::NoError:
        return QStringLiteral("no error");
    case QLockFile::LockFailedError: {
        qint64 pid = 0;
        QString hostname;
        QString application;
        if (lock.getLockInfo(&pid, &hostname, &application))
            return QStringLiteral("held by process %1 (%2) on %3")
                .arg(pid)
                .arg(application, hostname);
        return QStringLiteral("held by another process");
    }
    case QLockFile::PermissionError:
        return QStringLiteral("no permission to create the lock file");
    case QLockFile::UnknownError:
        break;
    }
    return QStringLiteral("the lock file could not be created");
}

QString localPathFromStoreName(const QString &rest)
{
    // Accept "file:/abs", "file:///abs" and "file:relative".
    QString path = rest;
    if (path.startsWith(QLatin1String("//")))
        path = QUrl(QStringLiteral("file:") + rest).toLocalFile();
    return path.isEmpty() ? QString() : QDir::cleanPath(path);
}

} // namespace Private
} // namespace PersistVar
