// SPDX-License-Identifier: MIT
#include "persistentvar_p.h"

#include "logging_p.h"
#include "stores_p.h"
#include "variables_p.h"

#include <persistvar/var.h>
#include <persistvar/varmanager.h>
#include <persistvar/varnotifier.h>

#include <QtQml/QQmlEngine>
#include <QtQml/QQmlInfo>

namespace PersistVar::Qml {

PersistentVar::PersistentVar(QObject *parent) : QObject(parent) { }

PersistentVar::~PersistentVar()
{
    // A value set just before the window closes must not wait for an autoSync that never comes.
    writePending();
}

void PersistentVar::writePending()
{
    VarBase *var = variable();
    if (!var || m_manager->isClosed() || !var->isDirty())
        return;
    const Result<void> synced = var->sync();
    if (!synced.isOk())
        qCWarning(lcQml).noquote()
            << "PersistentVar could not write its value:" << synced.error().toString();
}

void PersistentVar::setKey(const QString &key)
{
    if (key == m_key)
        return;
    m_key = key;
    Q_EMIT keyChanged();
    if (m_complete) {
        m_localValue.reset();
        attach();
    }
}

void PersistentVar::setDefaultValue(const QVariant &defaultValue)
{
    if (defaultValue == m_defaultValue)
        return;
    const QVariant old = value();
    m_defaultValue = defaultValue;
    Q_EMIT defaultValueChanged();
    if (variable())
        qCDebug(lcQml).noquote() << "PersistentVar" << m_key
                                 << ": defaultValue changed after the variable was created; "
                                    "the variable keeps its default";
    else if (value() != old)
        Q_EMIT valueChanged();
}

void PersistentVar::setStore(const QString &store)
{
    if (store == m_store)
        return;
    m_store = store;
    Q_EMIT storeChanged();
    if (m_complete) {
        m_localValue.reset();
        attach();
    }
}

QVariant PersistentVar::value() const
{
    if (VarBase *var = variable())
        return var->toVariant();
    if (m_localValue)
        return *m_localValue;
    return m_defaultValue;
}

void PersistentVar::setValue(const QVariant &value)
{
    const QVariant plain = toPlainVariant(value);
    if (VarBase *var = variable()) {
        const Result<void> written = var->setVariantLazy(plain);
        if (!written.isOk()) {
            // Refused (2.5 for an int, a locked key, a closed manager): bindings re-read the
            // value that is kept, so a control moved by the user springs back to it.
            report(written.error());
            Q_EMIT valueChanged();
        }
        refreshState();
        return;
    }
    const QVariant old = this->value();
    m_localValue = plain;
    if (plain != old)
        Q_EMIT valueChanged();
}

bool PersistentVar::sync()
{
    VarBase *var = variable();
    if (!var)
        return false;
    const Result<void> synced = var->sync();
    refreshState();
    if (!synced.isOk()) {
        report(synced.error());
        return false;
    }
    return true;
}

bool PersistentVar::reset()
{
    VarBase *var = variable();
    if (!var) {
        const QVariant old = value();
        m_localValue.reset();
        if (value() != old)
            Q_EMIT valueChanged();
        return false;
    }
    const Result<void> reset = var->reset();
    refreshState();
    if (!reset.isOk()) {
        report(reset.error());
        return false;
    }
    return true;
}

void PersistentVar::classBegin() { }

void PersistentVar::componentComplete()
{
    m_complete = true;
    attach();
}

void PersistentVar::attachTo(VarBase *variable)
{
    m_complete = true;
    m_key = variable->key();
    m_defaultValue = variable->defaultVariant();
    bind(variable->manager(), variable);
}

VarBase *PersistentVar::variable() const
{
    // The manager owns its variables: once it is gone, so is m_variable.
    return m_manager ? m_variable : nullptr;
}

void PersistentVar::attach()
{
    if (m_key.isEmpty()) {
        detach();
        qmlWarning(this) << "PersistentVar has no key: its value is kept in memory only";
        return;
    }
    Result<VarManager *> manager = Stores::forEngine(qmlEngine(this))->manager(m_store);
    if (!manager.isOk()) {
        detach();
        report(manager.error());
        return;
    }
    const QVariant defaultValue = toPlainVariant(m_defaultValue);
    const Result<VarBase *> acquired =
        acquireVariable(manager.value(), m_key, defaultValue.metaType(), defaultValue);
    if (!acquired.value()) {
        detach();
        report(acquired.error());
        return;
    }
    if (!acquired.isOk())
        report(acquired.error()); // attached all the same: a stored value that did not decode
    bind(manager.value(), acquired.value());
}

void PersistentVar::bind(VarManager *manager, VarBase *var)
{
    const QVariant oldValue = value();
    detach(); // not ready from here on, and said so if it was
    // A value written before the component was complete is a write like any other.
    const std::optional<QVariant> pending = std::exchange(m_localValue, std::nullopt);

    m_manager = manager;
    m_variable = var;
    m_notifier = var->notifier();
    connect(m_notifier, &VarNotifier::valueChanged, this, [this] {
        refreshState();
        Q_EMIT valueChanged();
    });
    connect(m_notifier, &VarNotifier::written, this, &PersistentVar::refreshState);
    connect(m_notifier, &VarNotifier::writeFailed, this, [this](const Error &error) {
        refreshState();
        Q_EMIT errorOccurred(error.toString());
    });
    connect(manager, &QObject::destroyed, this, &PersistentVar::onManagerDestroyed);

    if (pending)
        setValue(*pending);
    refreshState();
    Q_EMIT readyChanged();
    if (value() != oldValue)
        Q_EMIT valueChanged();
}

void PersistentVar::detach()
{
    // Leaving a variable (new key or store, destruction) writes what is pending for it.
    writePending();
    if (m_notifier)
        disconnect(m_notifier, nullptr, this, nullptr);
    if (m_manager)
        disconnect(m_manager, nullptr, this, nullptr);
    const bool wasReady = isReady();
    m_notifier = nullptr;
    m_manager = nullptr;
    m_variable = nullptr;
    if (wasReady) {
        refreshState();
        Q_EMIT readyChanged();
    }
}

void PersistentVar::onManagerDestroyed()
{
    m_notifier = nullptr;
    m_manager = nullptr;
    m_variable = nullptr;
    refreshState();
    Q_EMIT readyChanged();
    Q_EMIT valueChanged();
}

void PersistentVar::refreshState()
{
    VarBase *var = variable();
    const bool dirty = var && var->isDirty();
    const bool isDefault = !var || var->isDefault();
    if (dirty != m_dirty) {
        m_dirty = dirty;
        Q_EMIT dirtyChanged();
    }
    if (isDefault != m_isDefault) {
        m_isDefault = isDefault;
        Q_EMIT isDefaultChanged();
    }
    if (const bool locked = var && var->isLocked(); locked != m_locked) {
        m_locked = locked;
        Q_EMIT lockedChanged();
    }
}

void PersistentVar::report(const Error &error)
{
    const QString message = error.toString();
    qmlWarning(this).noquote() << message;
    Q_EMIT errorOccurred(message);
}

} // namespace PersistVar::Qml
