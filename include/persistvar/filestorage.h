// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/storage.h>

namespace PersistVar {

class FileStoragePrivate;

/*!
 * \brief A Storage that keeps one file per key in a directory.
 *
 * Each value is replaced atomically and durably: written to a temporary file with QSaveFile,
 * flushed to disk (fsync) and renamed over the old one, so a crash leaves either the old or the
 * new value, never a torn one. Any key maps to a safe file name inside the directory (keys such
 * as "../x", "a/b", "con", very long or non-ASCII keys all work and nothing is written outside
 * the directory); an empty key is ErrorCode::InvalidKey.
 *
 * Compare-and-swap is guarded by a QLockFile in the directory, so several processes can share
 * one directory. The directory is created (owner-only permissions) when missing.
 *
 * \code
 * PersistVar::VarManager manager(std::make_unique<PersistVar::FileStorage>("/tmp/app-state"));
 * \endcode
 */
class PERSISTVAR_EXPORT FileStorage : public Storage
{
public:
    /*! Uses \a directory; errors opening it are reported by the first call. */
    explicit FileStorage(const QString &directory);
    ~FileStorage() override;

    /*! The directory holding the files. */
    QString directory() const;
    /*! The file name (inside directory()) that holds \a key; empty for an invalid key. */
    QString fileNameForKey(const QString &key) const;

    Result<QByteArray> load(const QString &key) override;
    Result<void> save(const QString &key, const QByteArray &newValue,
                      const std::optional<QByteArray> &oldValue) override;
    Result<void> saveUnconditionally(const QString &key, const QByteArray &newValue) override;
    Result<void> remove(const QString &key) override;
    Result<void> close() override;
    QList<Error> saveBatch(const QList<StorageWrite> &writes) override;
    Result<QStringList> keys() override;
    Result<void> startWatching(QObject *context, ChangeCallback callback) override;
    void stopWatching() override;
    QString description() const override;

private:
    std::unique_ptr<FileStoragePrivate> const d;
};

} // namespace PersistVar
