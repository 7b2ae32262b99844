// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/storage.h>

#include <chrono>

QT_BEGIN_NAMESPACE
class QSettings;
QT_END_NAMESPACE

namespace PersistVar {

class SettingsStoragePrivate;

/*!
 * \brief A Storage that keeps values in a QSettings store: an INI file a person can read and
 * edit, or the application's native settings.
 *
 * \code
 * // ~/.config/app.ini, readable and editable by hand
 * auto storage = PersistVar::SettingsStorage::openIni(QDir::homePath() + "/.config/app.ini");
 * if (!storage.isOk())
 *     return qWarning() << storage.error();
 * PersistVar::VarManager manager(std::move(storage).value());
 * manager.var<double>("volume", 0.8).value()->set(0.5);        // volume=0.5
 * manager.var<int>("window/width", 640).value()->set(800);      // [window] width=800
 * manager.var<QStringList>("recent", {}).value()->set({"a.txt", "b.txt"}); // recent=a.txt, b.txt
 * \endcode
 *
 * The store names \c ini:/path/app.ini and \c settings: (or \c settings:Organization/Application)
 * open this backend through openStorage() and VarManager::open().
 *
 * \section text The text in the file
 * A value is written as plain text whenever that text reads back as exactly the same value;
 * otherwise it is written in an exact form. The file stays a normal QSettings file: keys with
 * \c / are groups (\c window/width is \c width in the \c [window] section), keys without one are in
 * \c [General].
 *
 * As text a person reads and edits:
 * - integers, including all of qint64 and quint64, and enums that are not Q_ENUMs:
 *   \c width=800, \c big=18446744073709551615;
 * - \c double and \c float, in the shortest exact form: \c volume=0.5,
 *   \c 0.30000000000000004, \c 1e+300, \c -0, \c inf, \c nan;
 * - \c bool: \c enabled=true;
 * - QString and Q_ENUM names: \c name=Ada, quoted and escaped by QSettings where needed
 *   (\c "a, b", \c a\\nb, `@@at` for a leading \c @);
 * - QStringList of two or more strings: \c recent=a.txt, b.txt;
 * - QRect, QSize, QPoint and QByteArray in QSettings' own notation: `@Rect(0 0 640 480)`,
 *   `@Size(640 480)`, `@Point(1 2)`, `@ByteArray(hello)`.
 *
 * In QSettings' own binary notation, `@DateTime(...)` or `@Variant(...)`, which the
 * application's QSettings code reads back as that type: QDateTime, QDate, QTime, QUrl, QUuid,
 * QRectF, QSizeF, QPointF, QVariantMap and one-element lists (QSettings would read a
 * one-element list written as text back as a string).
 *
 * As `@ByteArray(...)` holding PersistVar's encoded bytes, exact: everything else, such as an
 * empty list, lists of other values than strings (QList<int>, QVariantList), a null
 * std::optional, gadgets, and values QSettings would change (a QDateTime with a time zone inside
 * a QVariantMap).
 *
 * Values read back with their type: a Var<int> reads the text \c 800 as 800, a Var<double>
 * reads \c 0.5, a Var<bool> reads \c true, \c false, \c 1 or \c 0, a Var<QList<int>> reads a
 * hand-written \c 1, 2, 3. Text that does not convert (\c width=abc for a Var<int>) makes
 * VarManager::var() report ErrorCode::DecodeFailed for that key and serve the default; the file is
 * left as it is until a new value is set.
 *
 * \section locking Several processes and compare-and-swap
 * Every write takes a QLockFile beside the settings file (lockFileName(), \c app.ini.pvlock),
 * re-reads the file (QSettings::sync()), compares what is stored with the value the writer last
 * saw, and only then writes and syncs: save() with an outdated \c oldValue reports
 * ErrorCode::Conflict, so Var::update() has no lost updates across processes. A value stored as
 * text matches the value it stands for (\c 800 matches the integer 800). A batch (saveBatch()) is
 * one lock and one QSettings::sync(). The lock is waited for at most lockTimeout() (10 s by
 * default), after which the write reports ErrorCode::StorageFailed naming the lock file instead
 * of hanging; a lock file left by a process that crashed is recovered at once (QLockFile checks
 * whether its process still runs), one left by a hung process after 30 s. When QSettings' own
 * \c app.ini.lock is present, it is waited for with the same timeout before writing (QSettings
 * itself waits without one). A write that conflicts already, or whose value is stored already,
 * is answered without taking the lock.
 *
 * Each write moves the file's modification time past the one it read: QSettings notices other
 * processes' writes by size and modification time, which writes within one file-system clock
 * tick would share. On a disk, a write costs three disk syncs (the lock file, QSettings' lock
 * file and the file itself), a few milliseconds to tens of milliseconds each.
 *
 * Several managers, several processes and the application's own QSettings code can share one
 * file: QSettings merges each write into the current file, so nobody's keys are clobbered. Only
 * writers through SettingsStorage compare-and-swap; the application's own QSettings code writes
 * last-writer-wins, as always.
 *
 * \section errors Errors
 * QSettings::Status is mapped to ErrorCode::StorageFailed naming the file and the key.
 * - A file QSettings cannot parse completely (QSettings::FormatError: a line that is not a key,
 *   section or \c ; comment) is read as far as it goes, but never written: QSettings would drop the
 *   lines it cannot read when it rewrites the file. Writes report StorageFailed naming the first
 *   such line until the file is fixed. A warning is logged when such a file is opened.
 * - A read-only file or folder reports StorageFailed on write; the stored values stay.
 * - Keys QSettings would change are ErrorCode::InvalidKey: an empty key, a key starting or ending
 *   with \c / or containing \c //, and a first group spelled \c general other than \c General
 *   (QSettings reserves the \c [General] section).
 *
 * \section threads Threads
 * A storage opened by openIni() or openNative() may be called from any thread, one call at a
 * time (VarManager serializes its calls). A storage wrapping the application's QSettings object
 * must be called only from that object's thread, because QSettings objects are not thread-safe;
 * calls from another thread report StorageFailed. Such a storage reads what the object reads,
 * through its current group and its fallbacks; the storages this class opens itself read only
 * their own file.
 *
 * \section limitations Limitations
 * - INI text has no types. Typed variables are exact; a Var<QVariant> holding a number or a
 *   boolean is therefore stored exactly (see above), not as plain text, and a value
 *   edited by hand comes back to a Var<QVariant> as a string. QVariantList and QVariantMap
 *   values keep the types of their elements.
 * - load() returns bytes that decode to the stored value, not always the bytes that were saved
 *   (\c 800 written as text comes back as the text "800", which Var<int> decodes as 800).
 * - QSettings rewrites the whole file on every write: comments are not kept, and values in the
 *   file that this process cannot read (an `@Variant` of a type it does not know) are lost, as
 *   with any QSettings writer.
 * - A Codec specialization whose value is a CBOR number or boolean must also read it back from
 *   text, as the built-in codecs do: from an INI file it comes back as a string.
 * - A QByteArray written by the application's own QSettings code that happens to be a valid
 *   PersistVar encoding is read as that encoding.
 */
class PERSISTVAR_EXPORT SettingsStorage : public Storage
{
public:
    /*!
     * Opens the INI file at \a path, creating its folder (owner-only permissions, 0700) and the
     * file (0600) when they are missing. The file is read once to warn about text QSettings cannot
     * parse (see Errors); it is not locked until the first write.
     * Errors: InvalidArgument for an empty path, StorageFailed when \a path is a folder or the
     * folder cannot be created.
     */
    static Result<std::unique_ptr<SettingsStorage>> openIni(const QString &path);

    /*!
     * Opens the application's native settings for \a organization and \a application
     * (QSettings::NativeFormat, QSettings::UserScope): an INI file in \c ~/.config on Linux, the
     * property list on macOS, the registry on Windows. A missing file is created as in openIni().
     */
    static Result<std::unique_ptr<SettingsStorage>> openNative(const QString &organization,
                                                               const QString &application);

    /*!
     * Uses \a settings, an object the application already has. The storage does not own it: it
     * must outlive the storage (or the storage must be closed first), and the storage may be
     * called only from the thread \a settings lives in. Keys are relative to the group \a settings
     * is in when each call is made. QSettings keeps the first error it meets in status(); when
     * \a settings already reports an error, writes report StorageFailed, since their own outcome
     * could not be told apart.
     */
    explicit SettingsStorage(QSettings *settings);
    ~SettingsStorage() override;
    Q_DISABLE_COPY_MOVE(SettingsStorage)

    /*! The settings file (QSettings::fileName()); a registry path for Windows native settings. */
    QString fileName() const;

    /*! The lock file guarding compare-and-swap: fileName() (symbolic links resolved) + .pvlock. */
    QString lockFileName() const;

    /*!
     * How long a write waits for the lock files before reporting StorageFailed; 10 seconds by
     * default. A negative \a timeout is treated as zero (try once). Any thread.
     */
    void setLockTimeout(std::chrono::milliseconds timeout);
    /*! How long a write waits for the lock files; see setLockTimeout(). */
    std::chrono::milliseconds lockTimeout() const;

    Result<QByteArray> load(const QString &key) override;
    Result<void> save(const QString &key, const QByteArray &newValue,
                      const std::optional<QByteArray> &oldValue) override;
    Result<void> saveUnconditionally(const QString &key, const QByteArray &newValue) override;
    /*! Removes \a key only: values in a group of the same name (\c key/...) stay. */
    Result<void> remove(const QString &key) override;
    /*!
     * Syncs and releases the QSettings object (an owned one is deleted; a borrowed one is synced
     * only when called from its thread). Later calls return Closed.
     */
    Result<void> close() override;
    QList<Error> saveBatch(const QList<StorageWrite> &writes) override;
    /*! Every key in the file, including keys written by the application's own QSettings code. */
    Result<QHash<QString, QByteArray>> loadAll() override;
    Result<QStringList> keys() override;
    /*!
     * Reports keys whose values changed in the file, by this or any other writer (VarManager
     * ignores its own), through a QFileSystemWatcher on the file and its folder, created as a
     * child of \a context in the calling thread. For a wrapped QSettings object, \a context must
     * live in that object's thread. ErrorCode::NotSupported for the Windows registry.
     */
    Result<void> startWatching(QObject *context, ChangeCallback callback) override;
    void stopWatching() override;
    /*! False for a wrapped QSettings object, which must be used from its own thread only. */
    bool isSafeFromAnyThread() const override;
    /*! \c ini:/path/app.ini or \c settings:Organization/Application. */
    QString description() const override;
    Result<void> checkKey(const QString &key) const override;

private:
    explicit SettingsStorage(std::unique_ptr<SettingsStoragePrivate> d);

    std::unique_ptr<SettingsStoragePrivate> const d;
};

} // namespace PersistVar
