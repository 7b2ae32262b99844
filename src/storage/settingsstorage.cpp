// SPDX-License-Identifier: MIT
#include <persistvar/codec.h>
#include <persistvar/settingsstorage.h>

#include "../logging_p.h"

#include <QtCore/QCryptographicHash>
#include <QtCore/QDataStream>
#include <QtCore/QDateTime>
#include <QtCore/QDeadlineTimer>
#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QFileSystemWatcher>
#include <QtCore/QLockFile>
#include <QtCore/QMutex>
#include <QtCore/QPointer>
#include <QtCore/QRandomGenerator>
#include <QtCore/QSettings>
#include <QtCore/QTemporaryFile>
#include <QtCore/QThread>

#include <atomic>
#include <cmath>

namespace PersistVar {

namespace {
using namespace std::chrono_literals;

constexpr std::chrono::milliseconds DefaultLockTimeout = 10s;
// A write holds the lock for milliseconds; one older than this was left by a hung process.
constexpr std::chrono::milliseconds StaleLockTime = 30s;
// Longer than the coarsest file time stamps in use (FAT: 2 s).
constexpr std::chrono::milliseconds RecentChange = 3s;

// CBOR tag 2 (RFC 8949, 3.4.3): the codec's form of a quint64 above INT64_MAX.
constexpr QCborTag PositiveBignumTag = QCborTag(2);

// Bytes that are not a PersistVar encoding (a foreign value, a later format version) are stored
// behind this marker so that load() returns them exactly. Encodings start with the format
// version byte, never with 0.
constexpr char RawMarkerText[] = "\0pv-raw\0";
QByteArrayView rawMarker()
{
    return QByteArrayView(RawMarkerText, sizeof(RawMarkerText) - 1);
}

bool isNumberOrBool(int type)
{
    switch (type) {
    case QMetaType::Bool:
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
    case QMetaType::Long:
    case QMetaType::ULong:
    case QMetaType::Short:
    case QMetaType::UShort:
    case QMetaType::Char:
    case QMetaType::SChar:
    case QMetaType::UChar:
    case QMetaType::Double:
    case QMetaType::Float:
        return true;
    default:
        return false;
    }
}

// The bytes load() returns for a value QSettings handed back.
QByteArray bytesFromSettings(const QVariant &value)
{
    const int type = value.metaType().id();
    if (type == QMetaType::QByteArray) {
        const QByteArray bytes = value.toByteArray();
        if (bytes.startsWith(rawMarker()))
            return bytes.sliced(rawMarker().size());
        QCborValue cbor;
        if (Private::unwrap(bytes, &cbor))
            return bytes; // an exact encoding written by SettingsStorage
        return Private::plainVariantToBytes(value);
    }
    // A number set by this process's own QSettings code: read it as text, as every other process
    // reads it from the file, so that load() gives the same bytes everywhere.
    if (isNumberOrBool(type))
        return Private::plainVariantToBytes(QVariant(value.toString()));
    return Private::plainVariantToBytes(value);
}

// INI text is UTF-8: a string with a lone surrogate would not come back unchanged.
bool survivesUtf8(const QString &text)
{
    return QString::fromUtf8(text.toUtf8()) == text;
}

// Types QSettings streams with QDataStream and reads back exactly (checked by the caller).
// Inside lists and maps QSettings streams with Qt 4.0's format, which knows no time zones.
bool isStreamable(const QVariant &value, bool nested)
{
    const auto isStreamableNested = [](const QVariant &v) { return isStreamable(v, true); };
    switch (value.metaType().id()) {
    case QMetaType::QDateTime: {
        const Qt::TimeSpec spec = value.toDateTime().timeSpec();
        return !nested || spec == Qt::UTC || spec == Qt::LocalTime;
    }
    case QMetaType::Bool:
    case QMetaType::Int:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
    case QMetaType::Double:
    case QMetaType::QString:
    case QMetaType::QByteArray:
    case QMetaType::QStringList:
    case QMetaType::QDate:
    case QMetaType::QTime:
    case QMetaType::QUrl:
    case QMetaType::QUuid:
    case QMetaType::QPoint:
    case QMetaType::QPointF:
    case QMetaType::QSize:
    case QMetaType::QSizeF:
    case QMetaType::QRect:
    case QMetaType::QRectF:
        return true;
    case QMetaType::QVariantList: {
        const QVariantList list = value.toList();
        return std::all_of(list.cbegin(), list.cend(), isStreamableNested);
    }
    case QMetaType::QVariantMap: {
        const QVariantMap map = value.toMap();
        return std::all_of(map.cbegin(), map.cend(), isStreamableNested);
    }
    default:
        return false;
    }
}

// What a QSettings object that reads the INI file afresh returns after \a value was written,
// following QSettingsPrivate::variantToString() and stringToVariant() in qsettings.cpp; nullopt
// when that cannot be told, and the value is then not written in this form.
// tst_SettingsStorage::typeTableRoundTrips() pins this against QSettings itself.
std::optional<QVariant> iniReadBack(const QVariant &value)
{
    switch (value.metaType().id()) {
    case QMetaType::QString:
        if (!survivesUtf8(value.toString()))
            return std::nullopt;
        return value;
    case QMetaType::QStringList: {
        // An empty list is written as @Invalid(), a one-element list as a plain string.
        const QStringList list = value.toStringList();
        if (list.size() < 2 || !std::all_of(list.cbegin(), list.cend(), survivesUtf8))
            return std::nullopt;
        return value;
    }
    case QMetaType::QByteArray:
    case QMetaType::QRect:
    case QMetaType::QSize:
    case QMetaType::QPoint:
        return value;
    case QMetaType::QVariantList:
        // Lists of any other length are written as text, which loses the element types.
        if (value.toList().size() != 1)
            return std::nullopt;
        break;
    default:
        break;
    }
    if (isNumberOrBool(value.metaType().id()) || !isStreamable(value, false))
        return std::nullopt;
    // "@DateTime(" streams with Qt_5_6, "@Variant(" with Qt_4_0; the stream's bytes are escaped
    // losslessly as Latin-1.
    const QDataStream::Version version =
        value.metaType().id() == QMetaType::QDateTime ? QDataStream::Qt_5_6 : QDataStream::Qt_4_0;
    QByteArray streamed;
    {
        QDataStream out(&streamed, QIODevice::WriteOnly);
        out.setVersion(version);
        out << value;
        if (out.status() != QDataStream::Ok)
            return std::nullopt;
    }
    QDataStream in(streamed);
    in.setVersion(version);
    QVariant back;
    in >> back;
    if (in.status() != QDataStream::Ok || !in.atEnd())
        return std::nullopt;
    return back;
}

QString shortestText(double value)
{
    // QString::number() drops the sign of -0.0; "-0" reads back as -0.0.
    if (value == 0 && std::signbit(value))
        return QStringLiteral("-0");
    return QString::number(value, 'g', QLocale::FloatingPointShortest);
}

// Whether the text \a stored stands for the number or boolean \a expected, as the codec reads it.
bool textMatchesScalar(const QCborValue &stored, const QCborValue &expected)
{
    if (!stored.isString())
        return false;
    if (expected.isInteger()) {
        qint64 v = 0;
        return Private::decodeSigned(stored, &v) && v == expected.toInteger();
    }
    if (expected.isTag() && expected.tag() == PositiveBignumTag) {
        quint64 a = 0;
        quint64 b = 0;
        return Private::decodeUnsigned(stored, &a) && Private::decodeUnsigned(expected, &b)
            && a == b;
    }
    if (expected.isDouble()) {
        double d = 0;
        // Compared as encoded, so -0.0 differs from 0.0 and NaN matches NaN.
        return Private::decodeDouble(stored, &d)
            && Private::wrap(QCborValue(d)) == Private::wrap(expected);
    }
    if (expected.isBool()) {
        bool b = false;
        return Private::decodeBool(stored, &b) && b == expected.toBool();
    }
    return false;
}

// Whether \a stored holds the value \a expected: exactly, or as text that reads as the same
// numbers and booleans, element by element (a hand-written "1, 2, 3" is the list [1, 2, 3]).
bool sameValue(const QCborValue &stored, const QCborValue &expected)
{
    if (textMatchesScalar(stored, expected))
        return true;
    if (stored.isArray() && expected.isArray()) {
        const QCborArray a = stored.toArray();
        const QCborArray b = expected.toArray();
        if (a.size() != b.size())
            return false;
        for (qsizetype i = 0; i < a.size(); ++i) {
            if (!sameValue(a.at(i), b.at(i)))
                return false;
        }
        return true;
    }
    if (stored.isMap() && expected.isMap()) {
        const QCborMap a = stored.toMap();
        const QCborMap b = expected.toMap();
        if (a.size() != b.size())
            return false;
        for (auto it = b.constBegin(); it != b.constEnd(); ++it) {
            if (!a.contains(it.key()) || !sameValue(a.value(it.key()), it.value()))
                return false;
        }
        return true;
    }
    return Private::wrap(stored) == Private::wrap(expected);
}

// The comparison behind compare-and-swap and "already stored, skip the write".
bool sameStored(const std::optional<QByteArray> &stored, const std::optional<QByteArray> &expected)
{
    if (!stored || !expected)
        return !stored && !expected;
    if (*stored == *expected)
        return true;
    QCborValue a;
    QCborValue b;
    return Private::unwrap(*stored, &a) && Private::unwrap(*expected, &b) && sameValue(a, b);
}

// The text a person reads for a number or boolean; other values are returned as they are.
QVariant textFormOf(const QCborValue &cbor, const QVariant &plain)
{
    if (cbor.isInteger())
        return QString::number(cbor.toInteger());
    if (cbor.isTag() && cbor.tag() == PositiveBignumTag
        && plain.metaType().id() == QMetaType::ULongLong)
        return QString::number(plain.toULongLong());
    if (cbor.isDouble())
        return shortestText(cbor.toDouble());
    if (cbor.isBool())
        return cbor.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    return plain;
}

// The QVariant to hand to QSettings::setValue() for \a bytes: the readable form when QSettings
// gives back the same value from it, both from its in-process cache and from the file;
// otherwise the exact encoding. The forms are listed in settingsstorage.h.
QVariant settingsValueFor(const QByteArray &bytes)
{
    QCborValue cbor;
    if (!Private::unwrap(bytes, &cbor))
        return QVariant(rawMarker().toByteArray() + bytes);

    const auto readsBackAs = [&](const QVariant &candidate) {
        const QByteArray back = bytesFromSettings(candidate);
        if (back == bytes)
            return true;
        QCborValue backCbor;
        return Private::unwrap(back, &backCbor) && textMatchesScalar(backCbor, cbor);
    };

    QVariant plain;
    if (Private::bytesToPlainVariant(bytes, &plain)) {
        QVariantList candidates{textFormOf(cbor, plain)};
        // QSettings streams a one-element QVariantList (exact, and still a list to the
        // application's QSettings code) where a one-element QStringList would become a string.
        if (plain.metaType().id() == QMetaType::QStringList && plain.toStringList().size() == 1)
            candidates.append(QVariant(QVariantList{plain.toStringList().constFirst()}));
        for (const QVariant &candidate : std::as_const(candidates)) {
            const std::optional<QVariant> back = iniReadBack(candidate);
            if (back && readsBackAs(*back) && readsBackAs(candidate))
                return candidate;
        }
    }
    return QVariant(bytes);
}

// The first line QSettings cannot parse, for error messages; empty when none is recognised.
QString firstUnreadableLine(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return QString();
    int number = 0;
    while (!file.atEnd()) {
        ++number;
        const QByteArray line = file.readLine().trimmed();
        if (line.isEmpty() || line.startsWith(';'))
            continue;
        if (line.startsWith('[') ? !line.contains(']') : !line.contains('='))
            return QStringLiteral("line %1: \"%2\"")
                .arg(number)
                .arg(QString::fromUtf8(line.left(60)));
    }
    return QString();
}

// Tells whether a file's content changed, nothing more (no one gains by forging it): Qt's own
// 64-bit hash with a fixed seed, and the size. SHA-256 made an INI write of 10,000 keys 30%
// slower than QSettings alone, hashing the file up to six times per write.
QByteArray contentHash(const QByteArray &content)
{
    const quint64 hashes[2] = {quint64(qHashBits(content.constData(), size_t(content.size()),
                                                 size_t(0x5045525349535456))), // "PERSISTV"
                               quint64(content.size())};
    return QByteArray(reinterpret_cast<const char *>(hashes), sizeof hashes);
}
} // namespace

class SettingsStoragePrivate
{
public:
    enum class Kind { IniFile, Native, Borrowed };

    Kind kind = Kind::IniFile;
    QSettings *settings = nullptr; // owned or borrowed; null once closed
    std::unique_ptr<QSettings> owned;
    QString organization; // of native settings
    QString application;
    QString path; // QSettings::fileName()
    QString lockPath;
    QString description;
    bool fileBased = true; // false for the Windows registry
    bool iniText = true; // the file is INI text (IniFormat, or native settings on Linux and BSD)
    mutable QMutex mutex; // threads of this process; the lock file guards against other processes
    std::atomic<qint64> lockTimeoutMs{DefaultLockTimeout.count()};
    bool closed = false;
    QByteArray checkedContent; // hash of the file content last found free of format errors
    // The file's size and modification time, as QSettings compares them.
    struct Stamp
    {
        qint64 size = -1;
        QDateTime modified;
        bool operator==(const Stamp &other) const
        {
            return size == other.size && modified == other.modified;
        }
        bool operator!=(const Stamp &other) const { return !(*this == other); }
    };
    // The file as this storage last saw it after a sync (see syncSettings()).
    struct Seen
    {
        Stamp stamp;
        QByteArray hash; // only when it was seen within RecentChange of its modification
    } seen;
    // Watching: the watcher lives in the context's thread; what it last reported.
    QPointer<QFileSystemWatcher> watcher;
    QByteArray watchedContent; // hash of the file as last seen by the watcher
    QHash<QString, QByteArray> watchedValues;

    std::unique_ptr<QSettings> createSettings() const
    {
        std::unique_ptr<QSettings> created;
        if (kind == Kind::IniFile) {
            created = std::make_unique<QSettings>(path, QSettings::IniFormat);
        } else {
            created = std::make_unique<QSettings>(QSettings::NativeFormat, QSettings::UserScope,
                                                  organization, application);
            // The store is the application's own file, not the organization-wide or system
            // files QSettings would also read.
            created->setFallbacksEnabled(false);
        }
        // Writes are synced right away. Without a thread the object posts itself no deferred-sync
        // event, which would run in the creating thread while another thread uses the storage.
        created->moveToThread(nullptr);
        return created;
    }

    void resetSettings()
    {
        owned = createSettings();
        settings = owned.get();
    }

    static bool isFileBased(QSettings::Format format)
    {
#ifdef Q_OS_WIN
        return format != QSettings::NativeFormat; // the registry
#else
        Q_UNUSED(format)
        return true;
#endif
    }

    void finishSetup()
    {
        path = settings->fileName();
        const QSettings::Format format = settings->format();
        fileBased = isFileBased(format);
#if defined(Q_OS_DARWIN) || defined(Q_OS_WIN)
        iniText = format == QSettings::IniFormat;
#else
        iniText = format == QSettings::IniFormat || format == QSettings::NativeFormat;
#endif
        if (fileBased) {
            // Through a symbolic link or not, one file has one lock.
            const QFileInfo info(path);
            const QString canonical = info.canonicalFilePath();
            lockPath = (canonical.isEmpty() ? info.absoluteFilePath() : canonical)
                + QStringLiteral(".pvlock");
        } else {
            const QByteArray id = QCryptographicHash::hash(path.toUtf8(), QCryptographicHash::Sha1);
            lockPath = QDir::temp().filePath(
                QStringLiteral("persistvar-%1.pvlock").arg(QString::fromLatin1(id.toHex())));
        }
        if (format == QSettings::IniFormat) {
            description = QStringLiteral("ini:") + path;
        } else {
            if (organization.isEmpty() && application.isEmpty()) {
                organization = settings->organizationName();
                application = settings->applicationName();
            }
            description = QStringLiteral("settings:%1/%2").arg(organization, application);
        }
        if (iniText && fileBased) {
            // Reading works; writing will report the problem, so say it early too.
            if (Error e = checkFormat(QString()); e.isError())
                qCWarning(lcStorage).noquote() << e.message();
        }
    }

    std::chrono::milliseconds lockTimeout() const
    {
        return std::chrono::milliseconds(lockTimeoutMs.load(std::memory_order_relaxed));
    }

    // The one place QSettings::Status becomes an Error.
    Error statusError(QSettings::Status status, const QString &key) const
    {
        switch (status) {
        case QSettings::NoError:
            return {};
        case QSettings::AccessError:
            return Error(
                ErrorCode::StorageFailed, key,
                QStringLiteral("QSettings could not access %1 (a read-only file or folder, "
                               "a file it may not read, or a full disk)")
                    .arg(path));
        case QSettings::FormatError: {
            QString where = firstUnreadableLine(path);
            where =
                where.isEmpty() ? QStringLiteral("text") : QStringLiteral("text (%1)").arg(where);
            return Error(ErrorCode::StorageFailed, key,
                         QStringLiteral("%1 has %2 QSettings cannot read; nothing is written to "
                                        "the file until that is fixed, because QSettings would "
                                        "drop it when rewriting the file")
                             .arg(path, where));
        }
        }
        return Error(
            ErrorCode::StorageFailed, key,
            QStringLiteral("QSettings reports error %1 for %2").arg(int(status)).arg(path));
    }

    Error checkUsable(const QString &key) const
    {
        if (closed)
            return Error(ErrorCode::Closed, key,
                         QStringLiteral("the settings store %1 is closed").arg(description));
        if (!settings)
            return Error(ErrorCode::InvalidArgument, key,
                         QStringLiteral("SettingsStorage was given no QSettings object"));
        if (kind == Kind::Borrowed && settings->thread() != QThread::currentThread())
            return Error(ErrorCode::StorageFailed, key,
                         QStringLiteral("the application's QSettings object for %1 belongs to "
                                        "another thread; a SettingsStorage wrapping it may be "
                                        "called only from that thread")
                             .arg(path));
        return {};
    }

    static Error validateKey(const QString &key)
    {
        if (key.isEmpty())
            return Error(ErrorCode::InvalidKey, key, QStringLiteral("the key is empty"));
        if (key.startsWith(QLatin1Char('/')) || key.endsWith(QLatin1Char('/'))
            || key.contains(QLatin1String("//")))
            return Error(ErrorCode::InvalidKey, key,
                         QStringLiteral("QSettings drops leading, trailing and doubled '/' in "
                                        "keys, so this key would be stored under another name"));
        const qsizetype slash = key.indexOf(QLatin1Char('/'));
        if (slash > 0) {
            const QStringView group = QStringView(key).left(slash);
            if (group.compare(QLatin1String("general"), Qt::CaseInsensitive) == 0
                && group != QLatin1String("General"))
                return Error(ErrorCode::InvalidKey, key,
                             QStringLiteral("QSettings reads the group \"%1\" back as "
                                            "\"General\"; use another group name")
                                 .arg(group));
        }
        return {};
    }

    // Locks \a lockFile within the timeout, or says why not and who holds it.
    Error acquire(QLockFile &lockFile, const QString &key) const
    {
        lockFile.setStaleLockTime(StaleLockTime);
        const std::chrono::milliseconds timeout = lockTimeout();
        // QLockFile::tryLock(timeout) sleeps 100 ms, then twice as long each time, up to 5 s:
        // under steady contention from other processes a waiter can sleep through every chance
        // and time out. Short, jittered naps keep waiters in the race.
        QDeadlineTimer deadline(timeout);
        for (int attempt = 0;; ++attempt) {
            if (lockFile.tryLock(0ms))
                return {};
            if (lockFile.error() != QLockFile::LockFailedError || deadline.hasExpired())
                break;
            const qint64 nap =
                std::min<qint64>({qint64(1) << std::min(attempt, 4), deadline.remainingTime()});
            QThread::msleep(nap + QRandomGenerator::global()->bounded(nap + 1));
        }
        const QString name = lockFile.fileName();
        switch (lockFile.error()) {
        case QLockFile::LockFailedError: {
            qint64 pid = 0;
            QString host;
            QString application;
            const QString holder = lockFile.getLockInfo(&pid, &host, &application)
                ? QStringLiteral(" (held by process %1, %2, on %3)").arg(pid).arg(application, host)
                : QString();
            return Error(ErrorCode::StorageFailed, key,
                         QStringLiteral("could not lock %1 within %2 ms%3; nothing was written")
                             .arg(name, QString::number(timeout.count()), holder));
        }
        case QLockFile::PermissionError:
            return Error(ErrorCode::StorageFailed, key,
                         QStringLiteral("cannot create the lock file %1: permission denied (is "
                                        "the folder read-only?); nothing was written")
                             .arg(name));
        default:
            return Error(
                ErrorCode::StorageFailed, key,
                QStringLiteral("cannot create the lock file %1; nothing was written").arg(name));
        }
    }

    Error checkReadable(const QString &key) const
    {
        if (!fileBased || !QFileInfo::exists(path))
            return {};
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return Error(ErrorCode::StorageFailed, key,
                         QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
        return {};
    }

    // QSettings would report a read-only file only after the values were handed to it, and it
    // keeps unsynced values: check first, so a refused write leaves nothing behind.
    Error checkWritable(const QString &key) const
    {
        if (!fileBased || !QFileInfo::exists(path))
            return {};
        QFile file(path);
        if (!file.open(QIODevice::ReadWrite))
            return Error(ErrorCode::StorageFailed, key,
                         QStringLiteral("cannot write %1: %2 (a read-only file?)")
                             .arg(path, file.errorString()));
        return {};
    }

    // QSettings caches a parsed file per process and reports a FormatError only to the object
    // that parsed it first, so another object's earlier read hides it. Whenever the content
    // changed, a private copy is parsed afresh to learn the truth.
    Error checkFormat(const QString &key)
    {
        if (!iniText || !fileBased)
            return {};
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return {}; // missing (empty) or unreadable: reported elsewhere
        const QByteArray content = file.readAll();
        const QByteArray hash = contentHash(content);
        if (content.isEmpty() || hash == checkedContent)
            return {};
        QTemporaryFile copy(QDir::temp().filePath(QStringLiteral("persistvar-check-XXXXXX.ini")));
        QSettings::Status status = QSettings::NoError;
        if (copy.open() && copy.write(content) == content.size() && copy.flush()) {
            QSettings parsed(copy.fileName(), QSettings::IniFormat);
            parsed.allKeys(); // parses every section
            status = parsed.status();
        } else {
            // No scratch space: fall back on what this object saw.
            qCDebug(lcStorage) << "cannot check the format of" << path << "in" << QDir::tempPath()
                               << copy.errorString();
            status = settings->status() == QSettings::FormatError ? QSettings::FormatError
                                                                  : QSettings::NoError;
        }
        if (status == QSettings::FormatError)
            return statusError(status, key);
        checkedContent = hash;
        return {};
    }

    // Checks QSettings' own lock the way QSettings::sync() will take it, but with a timeout:
    // sync() waits without one for a lock held by a live process.
    Error probeSettingsLock(const QString &key) const
    {
        if (!fileBased)
            return {};
        // Only when the lock file is there: probing by locking costs a disk sync.
        const QString name = QFileInfo(path).absoluteFilePath() + QStringLiteral(".lock");
        if (!QFileInfo::exists(name))
            return {};
        QLockFile probe(name);
        return acquire(probe, key);
    }

    Error syncForRead(const QString &key)
    {
        // QSettings keeps the first error it meets forever; a fresh object tells new ones apart.
        if (owned && settings->status() != QSettings::NoError)
            resetSettings();
        const QSettings::Status before = settings->status();
        syncSettings(Lock::NotHeld); // picks up other processes' writes
        // A FormatError still leaves every readable key readable: reads go on.
        if (before == QSettings::NoError && settings->status() == QSettings::AccessError)
            return statusError(QSettings::AccessError, key);
        return checkReadable(key);
    }

    Error syncForWrite(const QString &key)
    {
        if (owned && settings->status() != QSettings::NoError)
            resetSettings();
        if (const QSettings::Status status = settings->status(); status != QSettings::NoError) {
            const Error e = statusError(status, key);
            return Error(e.code(), key,
                         QStringLiteral("the application's QSettings object already reports an "
                                        "error, so the outcome of a write could not be told: %1")
                             .arg(e.message()));
        }
        syncSettings(Lock::Held);
        if (Error e = checkFormat(key); e.isError())
            return e;
        if (Error e = statusError(settings->status(), key); e.isError())
            return e;
        if (Error e = checkReadable(key); e.isError())
            return e;
        if (Error e = checkWritable(key); e.isError())
            return e;
        return probeSettingsLock(key);
    }

    Result<QHash<QString, QByteArray>> readAll()
    {
        if (Error e = checkUsable(QString()); e.isError())
            return e;
        if (Error e = syncForRead(QString()); e.isError())
            return e;
        QHash<QString, QByteArray> all;
        const QStringList keys = settings->allKeys();
        all.reserve(keys.size());
        for (const QString &key : keys)
            all.insert(key, bytesFromSettings(settings->value(key)));
        return all;
    }

    QByteArray fileContentHash() const
    {
        QFile file(path);
        return file.open(QIODevice::ReadOnly) ? contentHash(file.readAll()) : QByteArray();
    }

    // The keys whose values differ from what the watcher saw last; our own writes included, which
    // VarManager recognises.
    QStringList changedKeys()
    {
        const QByteArray hash = fileContentHash();
        if (hash == watchedContent)
            return {}; // a lock file came or went, or the file was rewritten unchanged
        const Result<QHash<QString, QByteArray>> all = readAll();
        if (!all.isOk())
            return {};
        watchedContent = hash;
        QStringList keys;
        for (auto it = all.value().cbegin(); it != all.value().cend(); ++it) {
            const auto seen = watchedValues.constFind(it.key());
            if (seen == watchedValues.cend() || *seen != it.value())
                keys.append(it.key());
        }
        for (auto it = watchedValues.cbegin(); it != watchedValues.cend(); ++it) {
            if (!all.value().contains(it.key()))
                keys.append(it.key());
        }
        watchedValues = all.value();
        keys.sort();
        return keys;
    }

    std::optional<QByteArray> storedBytes(const QString &key) const
    {
        if (!settings->contains(key))
            return std::nullopt;
        return bytesFromSettings(settings->value(key));
    }

    // QSettings::remove() also removes the group of the same name ("key/..."): keep it.
    void removeKeyOnly(const QString &key)
    {
        QList<std::pair<QString, QVariant>> children;
        settings->beginGroup(key);
        const QStringList childKeys = settings->allKeys();
        for (const QString &child : childKeys)
            children.append({child, settings->value(child)});
        settings->endGroup();
        settings->remove(key);
        for (const auto &[child, value] : std::as_const(children))
            settings->setValue(key + QLatin1Char('/') + child, value);
    }

    QDateTime modificationTime() const
    {
        return fileBased ? QFileInfo(path).lastModified() : QDateTime();
    }

    void afterWrite(const QDateTime &before)
    {
        if (!fileBased)
            return;
        // QSettings notices another process's write by the file's size and modification time
        // in milliseconds, and file systems give several writes within one clock tick the same
        // time: a value of the same length written in the same tick would go unnoticed, and
        // compare-and-swap would compare with stale data. Each write moves the time on.
        const QDateTime after = modificationTime();
        if (before.isValid() && after.isValid() && after <= before)
            setModificationTime(before.addMSecs(1));
        recordSeen();
        lockedStamp = seen.stamp;
        // What QSettings wrote parses: the next write need not check it again.
        if (!seen.hash.isEmpty())
            checkedContent = seen.hash;
        else if (QFile file(path); file.open(QIODevice::ReadOnly))
            checkedContent = contentHash(file.readAll());
    }

    void setModificationTime(const QDateTime &time) const
    {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)
            || !file.setFileTime(time, QFileDevice::FileModificationTime))
            qCDebug(lcStorage) << "cannot set the modification time of" << path
                               << file.errorString();
    }

    void recordSeen()
    {
        seen.stamp = stampNow();
        seen.hash.clear();
        // Only a change within one clock tick of this one can keep the same time.
        if (seen.stamp.modified.isValid()
            && seen.stamp.modified.msecsTo(QDateTime::currentDateTime()) < RecentChange.count())
            seen.hash = fileContentHash();
    }
    // The file as this storage left it under the lock, and whether QSettings may since have
    // paired a time with the wrong content (see syncSettings()).
    Stamp lockedStamp;
    bool suspect = false;

    Stamp stampNow() const
    {
        const QFileInfo info(path);
        return info.exists() ? Stamp{info.size(), info.lastModified()} : Stamp{};
    }

    // Makes every QSettings object, in any process, read the file again at its next sync. Only
    // with the lock held: without it another process may replace the file in between, and its
    // new file would get a time that a third process already saw with other content.
    void moveTimeOn()
    {
        const QDateTime now = modificationTime();
        if (now.isValid())
            setModificationTime(now.addMSecs(1));
    }

    // QSettings::sync(), made to notice every change. QSettings re-reads the file only when its
    // size or modification time differs from what it recorded, and it can record the wrong one:
    // it reads the content first and looks at the time afterwards, so a file replaced in between
    // pairs the new time with the old content, which it then keeps (and a compare-and-swap
    // compared with it loses another process's update). Two defences:
    // - A read without the lock looks at the time before and after the sync. If the file changed
    //   meanwhile, it takes the lock and moves the time on, so QSettings reads it again.
    // - Under the lock, before a write, the time is moved on whenever the file is not exactly as
    //   this storage left it under the lock (another process wrote, or a read may have paired the
    //   times wrongly), and always for the application's QSettings object, which other code of
    //   the process may sync. Nobody else writes while the lock is held, so the sync that follows
    //   reads exactly what is there.
    // Besides, a rewrite of the same length within one tick of the file system's clock by a
    // writer that is not a SettingsStorage changes neither size nor time; when this storage saw
    // the file that soon after a change, it compares the content too.
    enum class Lock { NotHeld, Held };
    void syncSettings(Lock lock)
    {
        if (!fileBased) {
            settings->sync();
            return;
        }
        // A missing file has no hash, and its stamp differs from any seen with one.
        const auto unnoticedChange = [this] {
            return !seen.hash.isEmpty() && stampNow() == seen.stamp
                && fileContentHash() != seen.hash;
        };
        if (lock == Lock::Held) {
            if (!owned || suspect || stampNow() != lockedStamp || unnoticedChange())
                moveTimeOn();
            settings->sync();
            suspect = false;
            recordSeen();
            lockedStamp = seen.stamp;
            return;
        }
        const Stamp before = stampNow();
        if (!suspect && !unnoticedChange()) {
            settings->sync();
            if (stampNow() == before) {
                recordSeen();
                return;
            }
        }
        // Rare: the file changed during the sync, or without changing its time. Worth the lock.
        QLockFile lockFile(lockPath);
        if (acquire(lockFile, QString()).isError()) {
            suspect = true; // the next sync or write tries again
            settings->sync();
            return;
        }
        moveTimeOn();
        settings->sync();
        suspect = false;
        recordSeen();
        lockedStamp = seen.stamp;
    }

    struct Undo
    {
        QString key;
        std::optional<QVariant> previous;
    };

    // QSettings keeps values whose sync failed (in a cache shared by every QSettings object of
    // the process on that file) and writes them with the next sync of any of them; there is no
    // way to drop them. Put back what was read under the lock, so that a write reported as
    // failed never lands later, and try once more while the lock is still held.
    void revert(const QList<Undo> &undo)
    {
        for (auto it = undo.crbegin(); it != undo.crend(); ++it) {
            if (it->previous)
                settings->setValue(it->key, *it->previous);
            else
                removeKeyOnly(it->key);
        }
        settings->sync();
    }

    Error conflict(const QString &key) const
    {
        return Error(ErrorCode::Conflict, key,
                     QStringLiteral("the value in %1 changed since it was read").arg(path));
    }

    QList<Error> write(const QList<StorageWrite> &writes)
    {
        QMutexLocker locker(&mutex);
        QList<Error> errors(writes.size());
        const auto failRemaining = [&](const Error &error) {
            for (qsizetype i = 0; i < writes.size(); ++i) {
                if (!errors.at(i).isError())
                    errors[i] = Error(error.code(), writes.at(i).key, error.message());
            }
            return errors;
        };
        if (Error e = checkUsable(QString()); e.isError())
            return failRemaining(e);
        bool anyValid = false;
        for (qsizetype i = 0; i < writes.size(); ++i) {
            errors[i] = validateKey(writes.at(i).key);
            anyValid = anyValid || !errors.at(i).isError();
        }
        if (!anyValid)
            return errors;

        // Taking the lock costs a disk sync (QLockFile syncs the lock file it creates). An entry
        // that conflicts already, or whose value is stored already, needs no lock to say so;
        // under contention this spares every doomed update() attempt the wait.
        QList<bool> pending(writes.size(), false);
        bool anyPending = false;
        const bool preread = !syncForRead(QString()).isError();
        for (qsizetype i = 0; i < writes.size(); ++i) {
            if (errors.at(i).isError())
                continue;
            const StorageWrite &entry = writes.at(i);
            if (preread) {
                const std::optional<QByteArray> stored = storedBytes(entry.key);
                if (entry.compareOldValue && !sameStored(stored, entry.oldValue)) {
                    errors[i] = conflict(entry.key);
                    continue;
                }
                if (sameStored(stored, entry.newValue))
                    continue;
            }
            pending[i] = true;
            anyPending = true;
        }
        if (!anyPending)
            return errors;

        QLockFile lockFile(lockPath);
        if (Error e = acquire(lockFile, QString()); e.isError())
            return failRemaining(e);
        if (Error e = syncForWrite(QString()); e.isError())
            return failRemaining(e);
        const QDateTime readTime = modificationTime();

        QList<Undo> undo;
        QList<qsizetype> changed;
        for (qsizetype i = 0; i < writes.size(); ++i) {
            if (!pending.at(i))
                continue;
            const StorageWrite &entry = writes.at(i);
            const std::optional<QByteArray> stored = storedBytes(entry.key);
            if (entry.compareOldValue && !sameStored(stored, entry.oldValue)) {
                errors[i] = conflict(entry.key);
                continue;
            }
            if (sameStored(stored, entry.newValue))
                continue; // already stored: nothing to write
            undo.append(
                {entry.key,
                 stored ? std::optional<QVariant>(settings->value(entry.key)) : std::nullopt});
            if (entry.newValue)
                settings->setValue(entry.key, settingsValueFor(*entry.newValue));
            else
                removeKeyOnly(entry.key);
            changed.append(i);
        }
        if (changed.isEmpty())
            return errors;

        settings->sync(); // one sync for the whole batch
        if (Error e = statusError(settings->status(), QString()); e.isError()) {
            revert(undo);
            for (qsizetype i : std::as_const(changed))
                errors[i] = Error(e.code(), writes.at(i).key, e.message());
            return errors;
        }
        afterWrite(readTime);
        return errors;
    }
};

namespace {
Error storeFailure(const QString &message)
{
    return Error(ErrorCode::StorageFailed, QString(), message);
}

// Creates the file's folder (0700) and the file (0600) when missing.
Error prepareFile(const QString &path)
{
    const QFileInfo info(path);
    if (info.isDir())
        return storeFailure(QStringLiteral("%1 is a folder, not a settings file").arg(path));
    const QString folder = info.absolutePath();
    if (QFileInfo::exists(folder) && !QFileInfo(folder).isDir())
        return storeFailure(QStringLiteral("cannot use %1: %2 is not a folder").arg(path, folder));
    if (!QFileInfo::exists(folder)) {
        QStringList missing;
        for (QString p = folder; !QFileInfo::exists(p);) {
            missing.prepend(p);
            const QString parent = QFileInfo(p).absolutePath();
            if (parent == p)
                break;
            p = parent;
        }
        if (!QDir().mkpath(folder))
            return storeFailure(QStringLiteral("cannot create the folder %1").arg(folder));
        // Settings often hold personal data: new folders are private to the user.
        for (const QString &created : std::as_const(missing))
            QFile::setPermissions(
                created, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    }
    if (!info.exists()) {
        // QSettings keeps these permissions when it rewrites the file.
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::NewOnly,
                       QFileDevice::ReadOwner | QFileDevice::WriteOwner)
            && !QFileInfo::exists(path)) {
            // A read-only folder: the store reads as empty and writes will say why they fail.
            qCDebug(lcStorage) << "cannot create" << path << file.errorString();
        }
    }
    return {};
}
} // namespace

SettingsStorage::SettingsStorage(std::unique_ptr<SettingsStoragePrivate> d) : d(std::move(d)) { }

SettingsStorage::SettingsStorage(QSettings *settings)
    : d(std::make_unique<SettingsStoragePrivate>())
{
    d->kind = SettingsStoragePrivate::Kind::Borrowed;
    d->settings = settings;
    if (settings)
        d->finishSetup();
}

SettingsStorage::~SettingsStorage()
{
    close();
}

Result<std::unique_ptr<SettingsStorage>> SettingsStorage::openIni(const QString &path)
{
    if (path.trimmed().isEmpty())
        return Error(ErrorCode::InvalidArgument, QString(),
                     QStringLiteral("an INI store needs a file path"));
    const QString absolute = QFileInfo(path).absoluteFilePath();
    if (Error e = prepareFile(absolute); e.isError())
        return e;
    auto d = std::make_unique<SettingsStoragePrivate>();
    d->kind = SettingsStoragePrivate::Kind::IniFile;
    d->path = absolute;
    d->resetSettings();
    d->finishSetup();
    return std::unique_ptr<SettingsStorage>(new SettingsStorage(std::move(d)));
}

Result<std::unique_ptr<SettingsStorage>> SettingsStorage::openNative(const QString &organization,
                                                                     const QString &application)
{
    if (organization.isEmpty() && application.isEmpty())
        return Error(ErrorCode::InvalidArgument, QString(),
                     QStringLiteral("native settings need an organization or application name"));
    auto d = std::make_unique<SettingsStoragePrivate>();
    d->kind = SettingsStoragePrivate::Kind::Native;
    d->organization = organization;
    d->application = application;
    d->resetSettings();
    if (SettingsStoragePrivate::isFileBased(d->settings->format())) {
        if (Error e = prepareFile(d->settings->fileName()); e.isError())
            return e;
        d->resetSettings(); // read the file as it is now
    }
    d->finishSetup();
    return std::unique_ptr<SettingsStorage>(new SettingsStorage(std::move(d)));
}

QString SettingsStorage::fileName() const
{
    return d->path;
}

QString SettingsStorage::lockFileName() const
{
    return d->lockPath;
}

void SettingsStorage::setLockTimeout(std::chrono::milliseconds timeout)
{
    d->lockTimeoutMs.store(std::max<qint64>(timeout.count(), 0), std::memory_order_relaxed);
}

std::chrono::milliseconds SettingsStorage::lockTimeout() const
{
    return d->lockTimeout();
}

Result<void> SettingsStorage::checkKey(const QString &key) const
{
    if (Error e = SettingsStoragePrivate::validateKey(key); e.isError())
        return e;
    return {};
}

Result<QByteArray> SettingsStorage::load(const QString &key)
{
    QMutexLocker locker(&d->mutex);
    if (Error e = d->checkUsable(key); e.isError())
        return e;
    if (Error e = SettingsStoragePrivate::validateKey(key); e.isError())
        return e;
    if (Error e = d->syncForRead(key); e.isError())
        return e;
    if (std::optional<QByteArray> bytes = d->storedBytes(key))
        return *bytes;
    return Error(ErrorCode::NotFound, key, QStringLiteral("no stored value"));
}

Result<void> SettingsStorage::save(const QString &key, const QByteArray &newValue,
                                   const std::optional<QByteArray> &oldValue)
{
    return d->write({StorageWrite{key, newValue, oldValue, true}}).constFirst();
}

Result<void> SettingsStorage::saveUnconditionally(const QString &key, const QByteArray &newValue)
{
    return d->write({StorageWrite{key, newValue, std::nullopt, false}}).constFirst();
}

Result<void> SettingsStorage::remove(const QString &key)
{
    return d->write({StorageWrite{key, std::nullopt, std::nullopt, false}}).constFirst();
}

QList<Error> SettingsStorage::saveBatch(const QList<StorageWrite> &writes)
{
    if (writes.isEmpty())
        return {};
    return d->write(writes);
}

Result<void> SettingsStorage::close()
{
    stopWatching();
    QMutexLocker locker(&d->mutex);
    if (d->closed)
        return {};
    // Every write here was synced already; this flushes what the application's own code may
    // have left pending on a borrowed object (from its thread only: QSettings is not thread-safe).
    if (d->checkUsable(QString()).code() == ErrorCode::NoError)
        d->settings->sync();
    d->closed = true;
    d->owned.reset();
    d->settings = nullptr;
    return {};
}

Result<QHash<QString, QByteArray>> SettingsStorage::loadAll()
{
    QMutexLocker locker(&d->mutex);
    return d->readAll();
}

Result<QStringList> SettingsStorage::keys()
{
    QMutexLocker locker(&d->mutex);
    if (Error e = d->checkUsable(QString()); e.isError())
        return e;
    if (Error e = d->syncForRead(QString()); e.isError())
        return e;
    QStringList keys = d->settings->allKeys();
    keys.sort();
    return keys;
}

Result<void> SettingsStorage::startWatching(QObject *context, ChangeCallback callback)
{
    stopWatching();
    if (!context || !callback)
        return Error(ErrorCode::InvalidArgument, QString(),
                     QStringLiteral("watching needs a context object and a callback"));
    QMutexLocker locker(&d->mutex);
    if (Error e = d->checkUsable(QString()); e.isError())
        return e;
    if (!d->fileBased)
        return Error(ErrorCode::NotSupported, QString(),
                     QStringLiteral("%1 is not a file, so its changes cannot be watched")
                         .arg(d->description));
    // What is stored now is not a change.
    d->watchedContent = d->fileContentHash();
    Result<QHash<QString, QByteArray>> all = d->readAll();
    if (!all.isOk())
        return all.error();
    d->watchedValues = std::move(all).value();

    // QSettings replaces the file by renaming a new one over it, which the folder's watch reports;
    // an editor that writes in place is reported by the file's watch.
    auto *watcher = new QFileSystemWatcher(context);
    watcher->addPath(QFileInfo(d->path).absolutePath());
    if (QFileInfo::exists(d->path))
        watcher->addPath(d->path);
    const auto react = [this, watcher, callback = std::move(callback)] {
        if (!watcher->files().contains(d->path) && QFileInfo::exists(d->path))
            watcher->addPath(d->path); // the renamed-over file is a new one
        QStringList keys;
        {
            QMutexLocker locker(&d->mutex);
            if (d->watcher != watcher)
                return;
            keys = d->changedKeys();
        }
        if (!keys.isEmpty())
            callback(keys);
    };
    QObject::connect(watcher, &QFileSystemWatcher::directoryChanged, watcher, react);
    QObject::connect(watcher, &QFileSystemWatcher::fileChanged, watcher, react);
    d->watcher = watcher;
    return {};
}

void SettingsStorage::stopWatching()
{
    QPointer<QFileSystemWatcher> watcher;
    {
        QMutexLocker locker(&d->mutex);
        watcher = d->watcher;
        d->watcher = nullptr;
        d->watchedValues.clear();
    }
    if (!watcher)
        return;
    watcher->disconnect();
    if (watcher->thread() == QThread::currentThread())
        delete watcher.data();
    else
        watcher->deleteLater();
}

bool SettingsStorage::isSafeFromAnyThread() const
{
    return d->kind != SettingsStoragePrivate::Kind::Borrowed;
}

QString SettingsStorage::description() const
{
    return d->description;
}

} // namespace PersistVar
