// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/storage.h>

namespace PersistVar {

class MemoryStoragePrivate;

/*!
 * \brief A Storage that keeps values in memory, for tests, previews and throw-away state.
 *
 * It compares-and-swaps like the persistent backends, so code tested on it behaves the same on
 * them. A private store (the default constructor, store name \c memory:) is gone when closed or
 * destroyed. A named store (\c memory:NAME) is shared by every MemoryStorage of that name in the
 * process and lives until the process ends, so a manager can be reopened on it. Thread-safe.
 *
 * \code
 * PersistVar::VarManager manager(std::make_unique<PersistVar::MemoryStorage>());
 * \endcode
 */
class PERSISTVAR_EXPORT MemoryStorage : public Storage
{
public:
    /*! A private store. */
    MemoryStorage();
    /*! The process-wide store called \a sharedName (a private one when it is empty). */
    explicit MemoryStorage(const QString &sharedName);
    ~MemoryStorage() override;

    Result<QByteArray> load(const QString &key) override;
    Result<void> save(const QString &key, const QByteArray &newValue,
                      const std::optional<QByteArray> &oldValue) override;
    Result<void> saveUnconditionally(const QString &key, const QByteArray &newValue) override;
    Result<void> remove(const QString &key) override;
    Result<void> close() override;
    QList<Error> saveBatch(const QList<StorageWrite> &writes) override;
    Result<QHash<QString, QByteArray>> loadAll() override;
    Result<QStringList> keys() override;
    Result<void> startWatching(QObject *context, ChangeCallback callback) override;
    void stopWatching() override;
    QString description() const override;

private:
    std::unique_ptr<MemoryStoragePrivate> const d;
};

} // namespace PersistVar
