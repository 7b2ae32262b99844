// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/result.h>

#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QString>
#include <QtCore/QVariant>
#include <QtQml/QQmlParserStatus>
#include <QtQml/qqmlregistration.h>

#include <optional>

namespace PersistVar {
class VarBase;
class VarManager;
class VarNotifier;
} // namespace PersistVar

namespace PersistVar::Qml {

/*!
 * \brief The QML type PersistentVar: one persistent value, readable, writable and bindable.
 *
 * \code
 * import PersistVar
 *
 * PersistentVar { id: volume; key: "audio/volume"; defaultValue: 0.5 }
 * Slider { value: volume.value; onMoved: volume.value = value }
 * \endcode
 *
 * The variable's C++ type follows the type of \c defaultValue when the component is complete:
 * an integer gives Var<int>, any other number Var<double>, and likewise bool, string, a JS array
 * (QVariantList), a JS object (QVariantMap), date (QDateTime), url, color (QColor, see
 * colorcodec.h), point (QPointF), size (QSizeF) and rect (QRectF). No defaultValue gives
 * Var<QVariant>. A JS number with no fraction is an integer (1.0 too), and a Var<int> refuses
 * 0.5 with a warning and errorOccurred(): for a real whose default is whole, use a C++
 * Var<double> or a \c real property of PersistentSettings.
 *
 * When a variable with this key already exists on the manager, created in C++ or by another
 * element, this element uses it: the same variable, with its own default. Its type must be
 * compatible (numbers with numbers, point with point, ...); otherwise a warning names the key
 * and the element keeps a value of its own in memory only.
 *
 * Writes (\c {value = x}) are lazy: they go to memory at once and are written by the manager's
 * next sync (every 500 ms for stores opened by QML), by sync(), when the application quits, and
 * when this element is destroyed, so a value set just before the window closes is kept.
 *
 * \c key and \c store may change later: the element then moves to the new variable.
 * \c defaultValue is read when the variable is created. See qml.h for which store is used.
 */
class PersistentVar : public QObject, public QQmlParserStatus
{
    Q_OBJECT
    Q_INTERFACES(QQmlParserStatus)
    /*! The key the value is stored under. Required. */
    Q_PROPERTY(QString key READ key WRITE setKey NOTIFY keyChanged FINAL)
    /*! The value served when nothing is stored; its type decides the variable's type. */
    Q_PROPERTY(QVariant defaultValue READ defaultValue WRITE setDefaultValue NOTIFY
                   defaultValueChanged FINAL)
    /*! The current value. Setting it is a lazy write. */
    Q_PROPERTY(QVariant value READ value WRITE setValue NOTIFY valueChanged FINAL)
    /*! A store name such as "ini:/path/app.ini"; empty for the default (see qml.h). */
    Q_PROPERTY(QString store READ store WRITE setStore NOTIFY storeChanged FINAL)
    /*! True while the value in memory has not been written yet. */
    Q_PROPERTY(bool dirty READ isDirty NOTIFY dirtyChanged FINAL)
    /*! True when nothing is stored for the key, so the default is in effect. */
    Q_PROPERTY(bool isDefault READ isDefault NOTIFY isDefaultChanged FINAL)
    /*!
     * True when a read-only layer locks the key (VarManager::addLayer()): the value is the
     * layer's and writes are refused, so a control can be disabled on it
     * (\c {enabled: !proxy.locked}).
     */
    Q_PROPERTY(bool locked READ isLocked NOTIFY lockedChanged FINAL)
    /*! True once the element is attached to a variable of a store. */
    Q_PROPERTY(bool ready READ isReady NOTIFY readyChanged FINAL)
    QML_ELEMENT

public:
    explicit PersistentVar(QObject *parent = nullptr);
    ~PersistentVar() override;

    QString key() const { return m_key; }
    void setKey(const QString &key);
    QVariant defaultValue() const { return m_defaultValue; }
    void setDefaultValue(const QVariant &defaultValue);
    QVariant value() const;
    void setValue(const QVariant &value);
    QString store() const { return m_store; }
    void setStore(const QString &store);
    bool isDirty() const { return m_dirty; }
    bool isDefault() const { return m_isDefault; }
    bool isLocked() const { return m_locked; }
    bool isReady() const { return variable() != nullptr; }

    /*!
     * Writes the value now if it is dirty. Returns false, emits errorOccurred() and leaves the
     * value dirty when the write fails.
     */
    Q_INVOKABLE bool sync();
    /*!
     * Removes the stored value, so that the default is in effect again, and writes the removal
     * now. Returns false and emits errorOccurred() when that fails.
     */
    Q_INVOKABLE bool reset();

    void classBegin() override;
    void componentComplete() override;

    // For wrap(): attaches to variable right away, with no engine involved.
    void attachTo(VarBase *variable);

Q_SIGNALS:
    void keyChanged();
    void defaultValueChanged();
    void valueChanged();
    void storeChanged();
    void dirtyChanged();
    void isDefaultChanged();
    void lockedChanged();
    void readyChanged();
    /*! Opening the store, creating the variable or writing failed; \a message says why. */
    void errorOccurred(const QString &message);

private:
    VarBase *variable() const;
    void attach();
    void detach();
    void writePending();
    void bind(VarManager *manager, VarBase *variable);
    void refreshState();
    void onManagerDestroyed();
    void report(const Error &error);

    QString m_key;
    QString m_store;
    QVariant m_defaultValue;
    // The value while no variable is attached: set before completion, or without a store.
    std::optional<QVariant> m_localValue;
    bool m_complete = false;
    bool m_dirty = false;
    bool m_isDefault = true;
    bool m_locked = false;

    VarBase *m_variable = nullptr;
    QPointer<VarManager> m_manager; // guards m_variable: the manager owns it
    QPointer<VarNotifier> m_notifier;
};

} // namespace PersistVar::Qml
