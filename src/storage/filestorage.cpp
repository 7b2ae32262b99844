// SPDX-License-Identifier: MIT
#include <persistvar/filestorage.h>

#include "../logging_p.h"
#include "../storage_p.h"

#include <QtCore/QCryptographicHash>
#include <QtCore/QDataStream>
#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QFileSystemWatcher>
#include <QtCore/QLockFile>
#include <QtCore/QMutex>
#include <QtCore/QPointer>
#include <QtCore/QSaveFile>
#include <QtCore/QtEndian>

#ifdef Q_OS_UNIX
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace PersistVar {

namespace {
// Every file starts with this magic and the key, so a hashed file name can be listed and a
// hash collision can never return another key's value.
constexpr char FileMagic[4] = {'P', 'V', 'F', '1'};
constexpr qsizetype MaxReadableNameLength = 180; // well below the usual 255-byte limit
constexpr int LockTimeoutMs = 10000;
constexpr int StaleLockMs = 30000;

bool isPlainChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

QByteArray fileHeader(const QString &key)
{
    const QByteArray utf8 = key.toUtf8();
    QByteArray header(FileMagic, sizeof(FileMagic));
    QByteArray length(4, Qt::Uninitialized);
    qToBigEndian(quint32(utf8.size()), length.data());
    return header + length + utf8;
}

// Splits a file into its key and value. A file without a valid header is returned whole as the
// value, so the codec reports it as undecodable instead of the store hiding it.
QByteArray valueFromFile(const QByteArray &content, QString *key)
{
    if (content.size() >= 8 && content.startsWith(QByteArrayView(FileMagic, sizeof(FileMagic)))) {
        const quint32 length = qFromBigEndian<quint32>(content.constData() + 4);
        if (quint64(length) <= quint64(content.size() - 8)) {
            if (key)
                *key = QString::fromUtf8(content.mid(8, length));
            return content.mid(8 + length);
        }
    }
    if (key)
        key->clear();
    return content;
}

void syncDirectory(const QString &path)
{
#ifdef Q_OS_UNIX
    // rename() is durable only once the directory entry is on disk (see fsync(2)).
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
#else
    Q_UNUSED(path)
#endif
}
} // namespace

// What identifies one version of a file: QSaveFile renames a new file in, so the inode changes
// with every write even when size and modification time (coarse on some file systems) do not.
struct FileVersion
{
    qint64 inode = 0;
    qint64 size = 0;
    qint64 modifiedNs = 0;
    friend bool operator==(const FileVersion &a, const FileVersion &b)
    {
        return a.inode == b.inode && a.size == b.size && a.modifiedNs == b.modifiedNs;
    }
};

FileVersion fileVersion(const QString &path)
{
    FileVersion version;
#ifdef Q_OS_UNIX
    struct stat info;
    if (::stat(QFile::encodeName(path).constData(), &info) == 0) {
        version.inode = qint64(info.st_ino);
        version.size = qint64(info.st_size);
        version.modifiedNs = qint64(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
    }
#else
    const QFileInfo fileInfo(path);
    version.size = fileInfo.size();
    version.modifiedNs = fileInfo.lastModified().toMSecsSinceEpoch() * 1000000;
#endif
    return version;
}

class FileStoragePrivate
{
public:
    // Watching: the directory's files as last seen, and the watcher in the context's thread.
    QPointer<QFileSystemWatcher> watcher;
    QHash<QString, FileVersion> seenVersions; // file name -> version; only the watcher's thread
    QHash<QString, QString> seenKeys; // file name -> key

    // The key a file holds: decoded from a readable name, read from a hashed file's header.
    QString keyForFile(const QString &fileName) const
    {
        if (fileName.startsWith(QLatin1String("k_"))) {
            QByteArray utf8;
            const QString body = fileName.mid(2);
            for (qsizetype i = 0; i < body.size(); ++i) {
                if (body.at(i) == QLatin1Char('_') && i + 2 < body.size()) {
                    bool ok = false;
                    const int byte = body.mid(i + 1, 2).toInt(&ok, 16);
                    if (!ok)
                        return QString();
                    utf8.append(char(byte));
                    i += 2;
                } else {
                    utf8.append(body.at(i).toLatin1());
                }
            }
            return QString::fromUtf8(utf8);
        }
        QFile file(pathFor(fileName));
        if (!file.open(QIODevice::ReadOnly))
            return QString();
        QString key;
        valueFromFile(file.readAll(), &key);
        return key;
    }

    // Compares the directory with what was last seen; returns the keys whose files changed.
    QStringList rescan()
    {
        QHash<QString, FileVersion> now;
        const QStringList names = QDir(directory).entryList(
            {QStringLiteral("k_*"), QStringLiteral("h_*")}, QDir::Files | QDir::Hidden);
        for (const QString &name : names)
            now.insert(name, fileVersion(pathFor(name)));
        QStringList changed;
        for (auto it = now.cbegin(); it != now.cend(); ++it) {
            const auto seen = seenVersions.constFind(it.key());
            if (seen != seenVersions.cend() && *seen == it.value())
                continue;
            QString key = seenKeys.value(it.key());
            if (key.isEmpty())
                key = keyForFile(it.key());
            if (key.isEmpty())
                continue;
            seenKeys.insert(it.key(), key);
            changed.append(key);
        }
        for (auto it = seenVersions.cbegin(); it != seenVersions.cend(); ++it) {
            if (!now.contains(it.key()) && seenKeys.contains(it.key()))
                changed.append(seenKeys.take(it.key()));
        }
        seenVersions = std::move(now);
        return changed;
    }

    QString directory;
    QMutex mutex; // threads of this process; QLockFile guards against other processes
    bool closed = false;
    bool directoryReady = false;

    Error failure(const QString &key, const QString &message) const
    {
        return Error(ErrorCode::StorageFailed, key, message);
    }

    Error ensureDirectory()
    {
        if (directoryReady)
            return {};
        if (!QFileInfo::exists(directory)) {
            // Every folder we create is private to the user (settings often hold personal
            // data), created so from the start: no window with wider permissions.
            QStringList missing;
            for (QString path = directory; !path.isEmpty() && !QFileInfo::exists(path);
                 path = QFileInfo(path).path()) {
                missing.prepend(path);
                if (QFileInfo(path).path() == path)
                    break;
            }
            for (const QString &path : std::as_const(missing)) {
                if (!QDir().mkdir(path,
                                  QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                      | QFileDevice::ExeOwner)
                    && !QFileInfo(path).isDir())
                    return failure(QString(),
                                   QStringLiteral("cannot create the directory %1").arg(path));
            }
        }
        if (!QFileInfo(directory).isDir())
            return failure(QString(), QStringLiteral("%1 is not a directory").arg(directory));
        directoryReady = true;
        return {};
    }

    QString pathFor(const QString &fileName) const
    {
        return directory + QLatin1Char('/') + fileName;
    }

    static QString fileName(const QString &key)
    {
        if (key.isEmpty())
            return QString();
        // Lower-case letters, digits and '-' are kept; every other byte of the UTF-8 key becomes
        // "_xx". The result is safe on every file system (no separators, no dots, no upper case
        // for case-insensitive systems, no reserved names thanks to the prefix).
        const QByteArray utf8 = key.toUtf8();
        QString name = QStringLiteral("k_");
        name.reserve(2 + utf8.size() * 3);
        static const char hex[] = "0123456789abcdef";
        for (char c : utf8) {
            if (isPlainChar(c)) {
                name.append(QLatin1Char(c));
            } else {
                name.append(QLatin1Char('_'));
                name.append(QLatin1Char(hex[(uchar(c) >> 4) & 0xf]));
                name.append(QLatin1Char(hex[uchar(c) & 0xf]));
            }
        }
        if (name.size() <= MaxReadableNameLength)
            return name;
        return QStringLiteral("h_")
            + QString::fromLatin1(
                   QCryptographicHash::hash(utf8, QCryptographicHash::Sha256).toHex());
    }

    // Reads the stored value; NotFound only when the file does not exist.
    Result<QByteArray> read(const QString &key)
    {
        const QString path = pathFor(fileName(key));
        QFile file(path);
        for (int attempt = 1; !file.open(QIODevice::ReadOnly); ++attempt) {
            if (!QFileInfo::exists(path))
                return Error(ErrorCode::NotFound, key, QStringLiteral("no stored value"));
            // Another process may have created the file between the failed open and the check:
            // open it again rather than report an error for a value that is there.
            if (attempt == 3)
                return failure(key,
                               QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
        }
        const QByteArray content = file.readAll();
        if (file.error() != QFileDevice::NoError)
            return failure(key, QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
        QString storedKey;
        QByteArray value = valueFromFile(content, &storedKey);
        if (!storedKey.isNull() && storedKey != key)
            return Error(ErrorCode::NotFound, key, QStringLiteral("no stored value"));
        return value;
    }

    Error write(const QString &key, const QByteArray &value)
    {
        const QString path = pathFor(fileName(key));
        QSaveFile file(path);
        if (!file.open(QIODevice::WriteOnly))
            return failure(key,
                           QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
        file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        const QByteArray header = fileHeader(key);
        // A short write (a full disk, a file size limit) sets no error in QSaveFile, so
        // commit() would rename a truncated file over the good one: check every write.
        if (file.write(header) != header.size() || file.write(value) != value.size()) {
            const QString reason = file.errorString();
            file.cancelWriting();
            return failure(key,
                           QStringLiteral("cannot write %1 (disk full?): %2").arg(path, reason));
        }
        // commit() flushes the data to disk (fsync) before it renames over the old file.
        if (!file.commit())
            return failure(key,
                           QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
        syncDirectory(directory);
        return {};
    }

    Error erase(const QString &key)
    {
        const QString path = pathFor(fileName(key));
        QFile file(path);
        if (file.exists() && !file.remove())
            return failure(key,
                           QStringLiteral("cannot remove %1: %2").arg(path, file.errorString()));
        syncDirectory(directory);
        return {};
    }

    Error checkUsable(const QString &key)
    {
        if (closed)
            return Error(ErrorCode::Closed, key, QStringLiteral("the file store is closed"));
        if (key.isEmpty())
            return Error(ErrorCode::InvalidKey, key, QStringLiteral("the key is empty"));
        return ensureDirectory();
    }

    // One compare-and-swap step; the caller holds both locks.
    Error saveLocked(const StorageWrite &write)
    {
        if (Error e = checkUsable(write.key); e.isError())
            return e;
        const Result<QByteArray> current = read(write.key);
        std::optional<QByteArray> stored;
        if (current.isOk())
            stored = current.value();
        else if (current.errorCode() != ErrorCode::NotFound)
            return current.error();
        if (write.compareOldValue && stored != write.oldValue)
            return Error(ErrorCode::Conflict, write.key,
                         QStringLiteral("the stored value changed since it was read"));
        if (stored == write.newValue)
            return {};
        return write.newValue ? this->write(write.key, *write.newValue) : erase(write.key);
    }

    // Runs \a body with the in-process mutex and the cross-process lock file held.
    template<typename Body>
    auto withLock(const QString &key, Body body) -> decltype(body())
    {
        QMutexLocker lock(&mutex);
        if (Error e = checkUsable(key.isEmpty() ? QStringLiteral("-") : key); e.isError())
            return decltype(body())(e);
        QLockFile lockFile(pathFor(QStringLiteral(".lock")));
        lockFile.setStaleLockTime(StaleLockMs);
        if (!Private::lockWithin(lockFile, std::chrono::milliseconds(LockTimeoutMs)))
            return decltype(body())(
                failure(key,
                        QStringLiteral("could not lock %1 within %2 s: %3; nothing was written")
                            .arg(directory)
                            .arg(LockTimeoutMs / 1000)
                            .arg(Private::lockFailureReason(lockFile))));
        return body();
    }
};

FileStorage::FileStorage(const QString &directory) : d(std::make_unique<FileStoragePrivate>())
{
    d->directory = QDir::cleanPath(QDir(directory).absolutePath());
}

FileStorage::~FileStorage()
{
    stopWatching();
}

QString FileStorage::directory() const
{
    return d->directory;
}

QString FileStorage::fileNameForKey(const QString &key) const
{
    return FileStoragePrivate::fileName(key);
}

Result<QByteArray> FileStorage::load(const QString &key)
{
    QMutexLocker lock(&d->mutex);
    if (Error e = d->checkUsable(key); e.isError())
        return e;
    return d->read(key);
}

Result<void> FileStorage::save(const QString &key, const QByteArray &newValue,
                               const std::optional<QByteArray> &oldValue)
{
    return d->withLock(key, [&]() -> Result<void> {
        return d->saveLocked(StorageWrite{key, newValue, oldValue, true});
    });
}

Result<void> FileStorage::saveUnconditionally(const QString &key, const QByteArray &newValue)
{
    return d->withLock(key, [&]() -> Result<void> {
        return d->saveLocked(StorageWrite{key, newValue, std::nullopt, false});
    });
}

Result<void> FileStorage::remove(const QString &key)
{
    return d->withLock(key, [&]() -> Result<void> {
        return d->saveLocked(StorageWrite{key, std::nullopt, std::nullopt, false});
    });
}

Result<void> FileStorage::close()
{
    stopWatching();
    QMutexLocker lock(&d->mutex);
    d->closed = true;
    return {};
}

QList<Error> FileStorage::saveBatch(const QList<StorageWrite> &writes)
{
    // One lock for the whole batch; each key is still replaced atomically on its own.
    const Result<QList<Error>> result = d->withLock(QString(), [&]() -> Result<QList<Error>> {
        QList<Error> errors;
        errors.reserve(writes.size());
        for (const StorageWrite &write : writes)
            errors.append(d->saveLocked(write));
        return errors;
    });
    if (result.isOk())
        return result.value();
    QList<Error> errors;
    for (const StorageWrite &write : writes)
        errors.append(Error(result.errorCode(), write.key, result.error().message()));
    return errors;
}

Result<QStringList> FileStorage::keys()
{
    QMutexLocker lock(&d->mutex);
    if (d->closed)
        return Error(ErrorCode::Closed, QString(), QStringLiteral("the file store is closed"));
    if (Error e = d->ensureDirectory(); e.isError())
        return e;
    QStringList result;
    const QStringList names =
        QDir(d->directory)
            .entryList({QStringLiteral("k_*"), QStringLiteral("h_*")}, QDir::Files | QDir::Hidden);
    for (const QString &name : names) {
        QFile file(d->pathFor(name));
        if (!file.open(QIODevice::ReadOnly))
            continue;
        QString key;
        valueFromFile(file.readAll(), &key);
        if (!key.isEmpty() && FileStoragePrivate::fileName(key) == name)
            result.append(key);
    }
    result.sort();
    return result;
}

Result<void> FileStorage::startWatching(QObject *context, ChangeCallback callback)
{
    {
        QMutexLocker lock(&d->mutex);
        if (d->closed)
            return Error(ErrorCode::Closed, QString(), QStringLiteral("the file store is closed"));
        if (Error e = d->ensureDirectory(); e.isError())
            return e;
    }
    stopWatching();
    d->rescan(); // what exists now is not a change
    // inotify (or the platform's equivalent) tells when a file is renamed into the directory;
    // rescan() finds which. Our own writes are reported too: VarManager compares and ignores them.
    auto *watcher = new QFileSystemWatcher(QStringList{d->directory}, context);
    QObject::connect(watcher, &QFileSystemWatcher::directoryChanged, watcher,
                     [this, callback = std::move(callback)] {
                         const QStringList keys = d->rescan();
                         if (!keys.isEmpty())
                             callback(keys);
                     });
    d->watcher = watcher;
    return {};
}

void FileStorage::stopWatching()
{
    delete d->watcher.data();
    d->watcher = nullptr;
}

QString FileStorage::description() const
{
    return QStringLiteral("file:") + d->directory;
}

} // namespace PersistVar
