// SPDX-License-Identifier: MIT
#include "persistentsettings_p.h"

#include "logging_p.h"
#include "stores_p.h"
#include "variables_p.h"

#include <persistvar/var.h>
#include <persistvar/varmanager.h>
#include <persistvar/varnotifier.h>

#include <QtQml/QQmlEngine>
#include <QtQml/QQmlInfo>

namespace PersistVar::Qml {

PropertyLink::PropertyLink(PersistentSettings *settings, const QMetaProperty &property,
                           const QVariant &declaredValue)
    : m_settings(settings), m_property(property), m_declaredValue(declaredValue)
{
}

PropertyLink::~PropertyLink() = default;

VarBase *PropertyLink::variable() const
{
    return m_manager ? m_variable : nullptr;
}

void PropertyLink::attach(VarManager *manager, VarBase *variable)
{
    detach();
    m_manager = manager;
    m_variable = variable;
    m_notifier = variable->notifier();

    // The stored value, or the declared one: written only when the property holds another, so
    // that a declared binding survives while nothing is stored.
    const QVariant current = variable->toVariant();
    if (toPlainVariant(m_property.read(m_settings)) != current)
        writeProperty(current);

    connect(m_notifier, &VarNotifier::valueChanged, this, &PropertyLink::variableChanged);
    if (!m_connectedToProperty) {
        // Aliases included: their notify signal follows the aliased property.
        static const int slot = staticMetaObject.indexOfSlot("propertyChanged()");
        m_connectedToProperty =
            QMetaObject::connect(m_settings, m_property.notifySignalIndex(), this, slot);
    }
}

void PropertyLink::detach()
{
    if (m_notifier)
        disconnect(m_notifier, nullptr, this, nullptr);
    m_notifier = nullptr;
    m_manager = nullptr;
    m_variable = nullptr;
}

Result<void> PropertyLink::sync()
{
    VarBase *var = variable();
    if (!var)
        return {};
    return var->sync();
}

void PropertyLink::propertyChanged()
{
    VarBase *var = variable();
    if (m_writing || !var)
        return;
    const Result<void> written = var->setVariantLazy(toPlainVariant(m_property.read(m_settings)));
    if (!written.isOk()) {
        m_settings->report(written.error());
        // Show what is kept, not the refused value (2.5 in a real aliased to a C++ Var<int>).
        variableChanged();
    }
}

void PropertyLink::variableChanged()
{
    if (VarBase *var = variable())
        writeProperty(var->toVariant());
}

void PropertyLink::writeProperty(const QVariant &value)
{
    m_writing = true;
    const bool written = m_property.write(m_settings, value);
    m_writing = false;
    if (!written)
        qmlWarning(m_settings).noquote()
            << "PersistentSettings could not set property \"" << name() << "\" to the stored "
            << typeName(value.metaType()) << " value " << value.toString();
}

PersistentSettings::PersistentSettings(QObject *parent) : QObject(parent) { }

PersistentSettings::~PersistentSettings()
{
    // Values changed just before quitting are written now rather than lost.
    writePending();
    m_links.clear();
}

void PersistentSettings::writePending()
{
    // One batch for all properties: the manager's sync, when any of them is dirty.
    VarManager *manager = nullptr;
    for (const std::unique_ptr<PropertyLink> &link : m_links) {
        if (VarBase *var = link->variable(); var && var->isDirty())
            manager = var->manager();
    }
    if (!manager || manager->isClosed())
        return;
    const Result<void> synced = manager->sync();
    if (!synced.isOk())
        qCWarning(lcQml).noquote()
            << "PersistentSettings could not write its values:" << synced.error().toString();
}

void PersistentSettings::setCategory(const QString &category)
{
    if (category == m_category)
        return;
    m_category = category;
    Q_EMIT categoryChanged();
    if (m_complete)
        attach();
}

void PersistentSettings::setStore(const QString &store)
{
    if (store == m_store)
        return;
    m_store = store;
    Q_EMIT storeChanged();
    if (m_complete)
        attach();
}

bool PersistentSettings::sync()
{
    if (!m_ready)
        return false;
    bool ok = true;
    for (const std::unique_ptr<PropertyLink> &link : m_links) {
        const Result<void> synced = link->sync();
        if (!synced.isOk()) {
            report(synced.error());
            ok = false;
        }
    }
    return ok;
}

bool PersistentSettings::reset(const QString &name)
{
    bool found = false;
    bool ok = true;
    for (const std::unique_ptr<PropertyLink> &link : m_links) {
        if (!name.isEmpty() && link->name() != name)
            continue;
        found = true;
        if (VarBase *var = link->variable()) {
            const Result<void> reset = var->reset();
            if (!reset.isOk()) {
                report(reset.error());
                ok = false;
            }
        } else {
            ok = false;
        }
    }
    if (!found && !name.isEmpty()) {
        qmlWarning(this) << "PersistentSettings has no persisted property " << name;
        return false;
    }
    return ok;
}

void PersistentSettings::classBegin() { }

void PersistentSettings::componentComplete()
{
    m_complete = true;
    collectProperties();
    attach();
}

void PersistentSettings::report(const Error &error)
{
    const QString message = error.toString();
    qmlWarning(this).noquote() << message;
    Q_EMIT errorOccurred(message);
}

void PersistentSettings::collectProperties()
{
    // Everything past PersistentSettings' own properties was declared in QML: plain properties
    // and aliases, of this element and of QML types derived from it.
    const QMetaObject *meta = metaObject();
    for (int i = staticMetaObject.propertyCount(); i < meta->propertyCount(); ++i) {
        const QMetaProperty property = meta->property(i);
        const QString name = QString::fromUtf8(property.name());
        if (!property.isReadable() || !property.isWritable()) {
            qmlWarning(this) << "PersistentSettings property \"" << name
                             << "\" is read-only: not persisted";
            continue;
        }
        if (!property.hasNotifySignal()) {
            qmlWarning(this) << "PersistentSettings property \"" << name
                             << "\" has no change signal: not persisted";
            continue;
        }
        if (!variableType(property.metaType()).isValid()) {
            qmlWarning(this) << "PersistentSettings property \"" << name << "\" holds a "
                             << property.metaType().name()
                             << ", which cannot be persisted; use a value type";
            continue;
        }
        m_links.push_back(
            std::make_unique<PropertyLink>(this, property, toPlainVariant(property.read(this))));
    }
}

void PersistentSettings::attach()
{
    detach();
    if (m_links.empty())
        return;
    Result<VarManager *> manager = Stores::forEngine(qmlEngine(this))->manager(m_store);
    if (!manager.isOk()) {
        report(manager.error());
        return;
    }
    for (const std::unique_ptr<PropertyLink> &link : m_links) {
        const QString key = keyFor(link->name());
        const Result<VarBase *> acquired =
            acquireVariable(manager.value(), key, link->propertyType(), link->declaredValue());
        if (!acquired.value()) {
            report(acquired.error());
            continue;
        }
        if (!acquired.isOk())
            report(acquired.error());
        link->attach(manager.value(), acquired.value());
    }
    connect(manager.value(), &QObject::destroyed, this, [this] {
        for (const std::unique_ptr<PropertyLink> &link : m_links)
            link->detach();
        m_ready = false;
        Q_EMIT readyChanged();
    });
    m_ready = true;
    Q_EMIT readyChanged();
}

void PersistentSettings::detach()
{
    // Leaving the variables (new category or store) writes what is pending for them.
    writePending();
    for (const std::unique_ptr<PropertyLink> &link : m_links) {
        if (VarBase *var = link->variable())
            disconnect(var->manager(), nullptr, this, nullptr);
        link->detach();
    }
    if (m_ready) {
        m_ready = false;
        Q_EMIT readyChanged();
    }
}

QString PersistentSettings::keyFor(const QString &name) const
{
    if (m_category.isEmpty())
        return name;
    if (m_category.endsWith(QLatin1Char('/')))
        return m_category + name;
    return m_category + QLatin1Char('/') + name;
}

} // namespace PersistVar::Qml
