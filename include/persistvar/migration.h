// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/codec.h>
#include <persistvar/persistvar_export.h>
#include <persistvar/result.h>

#include <QtCore/QHash>
#include <QtCore/QString>
#include <QtCore/QStringList>

#include <functional>
#include <memory>
#include <optional>

namespace PersistVar {

class Storage;
class MigrationContextPrivate;

/*!
 * \brief The store as a migration step sees it: reads see earlier steps' changes, writes are
 * staged and reach the store only when every step succeeded.
 */
class PERSISTVAR_EXPORT MigrationContext
{
public:
    ~MigrationContext();
    Q_DISABLE_COPY_MOVE(MigrationContext)

    /*! The stored bytes of \a key, ErrorCode::NotFound when absent. */
    Result<QByteArray> load(const QString &key) const;
    /*! True when \a key has a value. */
    bool contains(const QString &key) const;
    /*! Every key, or those under \a prefix ("window" matches "window/width"), sorted. */
    QStringList keys(const QString &prefix = QString()) const;
    /*! Stages a new value for \a key. */
    void save(const QString &key, const QByteArray &bytes);
    /*! Stages the removal of \a key. */
    void remove(const QString &key);

    /*! The value of \a key decoded as \c T: NotFound, DecodeFailed, or the value. */
    template<typename T>
    Result<T> value(const QString &key) const
    {
        const Result<QByteArray> bytes = load(key);
        if (!bytes.isOk())
            return bytes.error();
        T decoded{};
        if (!decode(bytes.value(), &decoded))
            return Error(ErrorCode::DecodeFailed, key,
                         QStringLiteral("the stored value is not a valid %1")
                             .arg(QString::fromLatin1(QMetaType::fromType<T>().name())));
        return decoded;
    }
    /*! Stages \a value for \a key. */
    template<typename T>
    void setValue(const QString &key, const T &value)
    {
        save(key, encode(value));
    }

private:
    friend class VarManager;
    explicit MigrationContext(Storage *storage);
    std::unique_ptr<MigrationContextPrivate> const d;
};

/*!
 * \brief One numbered step of a store's migration, run once per store.
 *
 * VarManager::migrate() runs, in order of \c version, the steps the store has not run yet, and
 * records them in the store (under the reserved key ".persistvar/migrations") in the same batch
 * as their changes. A step that fails leaves the store as it was.
 *
 * \code
 * manager->migrate({
 *     PersistVar::Migration::renameKey(1, "volume", "audio/volume"),
 *     PersistVar::Migration::convert<int, double>(2, "audio/volume",
 *                                                 [](int percent) { return percent / 100.0; }),
 *     PersistVar::Migration::dropKey(3, "legacy/splash"),
 * });
 * \endcode
 */
struct PERSISTVAR_EXPORT Migration
{
    /*! The step's number; steps run in increasing order, each once per store. */
    int version = 0;
    /*! What the step does, for error messages. */
    QString description;
    /*! The step itself: reads and stages writes through the context; an error aborts all. */
    std::function<Result<void>(MigrationContext &context)> apply;

    /*! Moves the value of \a from to \a to (nothing when \a from is absent). */
    static Migration renameKey(int version, const QString &from, const QString &to);
    /*! Moves every key of the group \a from into the group \a to. */
    static Migration moveGroup(int version, const QString &from, const QString &to);
    /*! Removes \a key. */
    static Migration dropKey(int version, const QString &key);
    /*!
     * Converts the value of \a key from \c From to \c To with \a convert. Fails with
     * DecodeFailed when the stored value is not a \c From.
     */
    template<typename From, typename To, typename Fn>
    static Migration convert(int version, const QString &key, Fn convert)
    {
        Migration step;
        step.version = version;
        step.description = QStringLiteral("convert %1").arg(key);
        step.apply = [key, convert](MigrationContext &context) -> Result<void> {
            if (!context.contains(key))
                return {};
            const Result<From> old = context.value<From>(key);
            if (!old.isOk())
                return old.error();
            context.setValue<To>(key, convert(old.value()));
            return {};
        };
        return step;
    }
};

} // namespace PersistVar
