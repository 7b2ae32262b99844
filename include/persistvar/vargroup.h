// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/persistvar_export.h>
#include <persistvar/result.h>
#include <persistvar/varmanager.h>

#include <QtCore/QString>
#include <QtCore/QStringList>

namespace PersistVar {

/*!
 * \brief A view of the keys under one prefix: the group "window" turns "width" into
 * "window/width".
 *
 * Groups are light values (a manager pointer and a prefix), nest with group(), and map onto
 * QSettings groups in INI stores. QML's PersistentSettings.category uses the same mapping.
 *
 * \code
 * PersistVar::VarGroup window = manager->group("window");
 * auto *width = window.var<int>("width", 800).value();      // key "window/width"
 * auto *dock = window.group("dock").var<bool>("visible", true).value(); // "window/dock/visible"
 * window.remove();                                           // every stored window/... key
 * \endcode
 */
class PERSISTVAR_EXPORT VarGroup
{
public:
    /*! The group \a prefix of \a manager; an empty prefix is the whole store. */
    VarGroup(VarManager *manager, const QString &prefix);

    /*! The group's path, for example "window/dock". */
    QString prefix() const { return m_prefix; }
    /*! The manager the group belongs to. */
    VarManager *manager() const { return m_manager; }
    /*! The full key of \a name in this group. */
    QString keyFor(const QString &name) const;

    /*! The variable \a name of this group: VarManager::var() with keyFor(name). */
    template<typename T>
    Result<Var<T> *> var(const QString &name, const T &defaultValue = T()) const
    {
        return m_manager->var<T>(keyFor(name), defaultValue);
    }

    /*! The subgroup \a name. */
    VarGroup group(const QString &name) const;

    /*!
     * The keys in this group and its subgroups, relative to the group ("width",
     * "dock/visible"), sorted: those stored plus those with values not yet synced.
     */
    Result<QStringList> keys() const;

    /*! The names of the direct subgroups, sorted. */
    Result<QStringList> childGroups() const;

    /*!
     * Removes every key of this group and its subgroups from the store, as one batch, and
     * returns their variables to their defaults (emitting valueChanged where a value changes).
     */
    Result<void> remove() const;

private:
    VarManager *m_manager;
    QString m_prefix;
};

} // namespace PersistVar
