// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/persistvar_export.h>
#include <persistvar/result.h>

#include <QtCore/QObject>
#include <QtCore/QVariant>

namespace PersistVar {

class VarBase;

/*!
 * \brief The QObject that emits a variable's signals.
 *
 * Var<T> is a template and cannot be a QObject, so each variable gets a notifier the first time
 * someone asks for it (VarBase::notifier()). It lives in the thread that first asked for it.
 * Signals are emitted from the thread that made the change; receivers in other threads get them
 * through Qt's queued delivery as usual. What autoSync writes in its background thread is
 * signalled in the manager's thread.
 *
 * \code
 * QObject::connect(volume->notifier(), &PersistVar::VarNotifier::valueChanged,
 *                  slider, [slider, volume] { slider->setValue(volume->get() * 100); });
 * \endcode
 */
class PERSISTVAR_EXPORT VarNotifier : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QString key READ key CONSTANT)
    Q_PROPERTY(QVariant value READ value NOTIFY valueChanged)

public:
    ~VarNotifier() override;

    /*! The variable's key. */
    QString key() const;
    /*! The variable's value as a QVariant. */
    QVariant value() const;
    /*! The variable this notifier belongs to. */
    VarBase *variable() const { return m_var; }

Q_SIGNALS:
    /*!
     * The value changed: emitted once per real change, by set(), setLazy(), update(),
     * updateLazy(), reset() and when a new value is read from storage. Setting an equal value
     * emits nothing.
     */
    void valueChanged();
    /*! The current value was written to storage successfully. */
    void written();
    /*! Writing the value failed; it stays dirty and the next sync retries. */
    void writeFailed(const PersistVar::Error &error);

private:
    friend class VarBase;
    explicit VarNotifier(VarBase *var);
    VarBase *const m_var;
};

} // namespace PersistVar
