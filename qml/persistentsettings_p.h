// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/result.h>

#include <QtCore/QList>
#include <QtCore/QMetaProperty>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QString>
#include <QtCore/QVariant>
#include <QtQml/QQmlParserStatus>
#include <QtQml/qqmlregistration.h>

#include <memory>
#include <vector>

namespace PersistVar {
class VarBase;
class VarManager;
class VarNotifier;
} // namespace PersistVar

namespace PersistVar::Qml {

class PersistentSettings;

// Not API. Ties one property of a PersistentSettings to its variable, both ways.
class PropertyLink : public QObject
{
    Q_OBJECT

public:
    PropertyLink(PersistentSettings *settings, const QMetaProperty &property,
                 const QVariant &declaredValue);
    ~PropertyLink() override;

    QString name() const { return QString::fromUtf8(m_property.name()); }
    QMetaType propertyType() const { return m_property.metaType(); }
    QVariant declaredValue() const { return m_declaredValue; }
    VarBase *variable() const;

    // Restores the stored value into the property and starts following both sides.
    void attach(VarManager *manager, VarBase *variable);
    void detach();
    // Writes the variable now; false when that fails (the error is reported by the settings).
    Result<void> sync();

public Q_SLOTS:
    void propertyChanged();

private:
    void variableChanged();
    void writeProperty(const QVariant &value);

    PersistentSettings *const m_settings;
    const QMetaProperty m_property;
    const QVariant m_declaredValue; // the default: never written
    bool m_writing = false;
    bool m_connectedToProperty = false;
    VarBase *m_variable = nullptr;
    QPointer<VarManager> m_manager;
    QPointer<VarNotifier> m_notifier;
};

/*!
 * \brief The QML type PersistentSettings: every property declared on it persists.
 *
 * \code
 * import PersistVar
 *
 * Window {
 *     id: window
 *     PersistentSettings {
 *         category: "window"
 *         property alias x: window.x          // stored as window/x
 *         property alias width: window.width
 *         property bool maximized: false      // stored as window/maximized
 *     }
 * }
 * \endcode
 *
 * Each property declared in QML on the element (plain or alias) becomes a variable under
 * \c {category/name}, or \c name with no category. Its declared initial value is the default:
 * it is never written, and a stored value overrides it when the component is complete. Changes
 * are written lazily (every 500 ms for stores opened by QML), by sync(), when the application
 * quits, and when the element is destroyed, so a change made just before quitting is kept.
 *
 * The variable's type is the property's declared type, so values keep their types in every
 * store, an INI file included: \c int is Var<int>, \c real Var<double>, \c bool, \c string,
 * \c date, \c url, \c color, \c point, \c size, \c rect likewise, \c var Var<QVariant> (JS arrays
 * and objects become lists and maps), an alias the type of its target, an enum Var<int>.
 * Properties holding objects or lists of objects are skipped with a warning.
 *
 * A key already used by a variable on the same manager (from C++, a PersistentVar, or another
 * PersistentSettings) is shared: all of them see one value. \c category and \c store may
 * change later: the properties then take the values of the new place, or their declared values.
 */
class PersistentSettings : public QObject, public QQmlParserStatus
{
    Q_OBJECT
    Q_INTERFACES(QQmlParserStatus)
    /*! Prefix of every key: "window" stores property width as "window/width". */
    Q_PROPERTY(QString category READ category WRITE setCategory NOTIFY categoryChanged FINAL)
    /*! A store name such as "ini:/path/app.ini"; empty for the default (see qml.h). */
    Q_PROPERTY(QString store READ store WRITE setStore NOTIFY storeChanged FINAL)
    /*! True once the properties are attached to a store. */
    Q_PROPERTY(bool ready READ isReady NOTIFY readyChanged FINAL)
    QML_ELEMENT

public:
    explicit PersistentSettings(QObject *parent = nullptr);
    ~PersistentSettings() override;

    QString category() const { return m_category; }
    void setCategory(const QString &category);
    QString store() const { return m_store; }
    void setStore(const QString &store);
    bool isReady() const { return m_ready; }

    /*!
     * Writes every changed property now. Returns false and emits errorOccurred() for each
     * property that could not be written; those stay pending for the next sync.
     */
    Q_INVOKABLE bool sync();
    /*!
     * Removes the stored value of the property \a name, or of every property when \a name is
     * empty, so that they take their declared values again; the removal is written now.
     */
    Q_INVOKABLE bool reset(const QString &name = QString());

    void classBegin() override;
    void componentComplete() override;

    // For PropertyLink.
    void report(const Error &error);

Q_SIGNALS:
    void categoryChanged();
    void storeChanged();
    void readyChanged();
    /*! Opening the store, creating a variable or writing failed; \a message says why. */
    void errorOccurred(const QString &message);

private:
    void collectProperties();
    void attach();
    void detach();
    void writePending();
    QString keyFor(const QString &name) const;

    QString m_category;
    QString m_store;
    bool m_complete = false;
    bool m_ready = false;
    std::vector<std::unique_ptr<PropertyLink>> m_links;
};

} // namespace PersistVar::Qml
