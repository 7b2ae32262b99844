// SPDX-License-Identifier: MIT
#include "stores_p.h"

#include "logging_p.h"

#include <QtCore/QCoreApplication>
#include <QtQml/QQmlEngine>

#include <chrono>

namespace PersistVar::Qml {

namespace {
const QString ObjectName = QStringLiteral("_persistvar_qml_stores");

Stores *&processStores()
{
    static Stores *stores = nullptr;
    return stores;
}

void deleteProcessStores()
{
    delete processStores();
    processStores() = nullptr;
}
} // namespace

Stores::Stores(QObject *parent) : QObject(parent)
{
    setObjectName(ObjectName);
}

Stores::~Stores()
{
    // Close in a fixed order; each close writes what is still pending.
    QStringList names = m_opened.keys();
    names.sort();
    for (const QString &name : std::as_const(names)) {
        VarManager *manager = m_opened.value(name);
        const Result<void> closed = manager->close();
        if (!closed.isOk())
            qCWarning(lcQml).noquote()
                << "closing the QML store" << manager->storage()->description()
                << "failed:" << closed.error().toString();
        delete manager;
    }
}

Stores *Stores::existingForEngine(QQmlEngine *engine)
{
    if (!engine)
        return processStores();
    return engine->findChild<Stores *>(ObjectName, Qt::FindDirectChildrenOnly);
}

Stores *Stores::forEngine(QQmlEngine *engine)
{
    if (Stores *existing = existingForEngine(engine))
        return existing;
    if (engine)
        return new Stores(engine);
    processStores() = new Stores(nullptr);
    // Closed while QCoreApplication still exists: SQL connections and QSettings need it.
    qAddPostRoutine(deleteProcessStores);
    return processStores();
}

Result<VarManager *> Stores::manager(const QString &storeName)
{
    const QString name = storeName.trimmed();
    if (name.isEmpty()) {
        if (m_defaultManager)
            return m_defaultManager.data();
        // The process-wide default, set with a null engine, serves engines without their own.
        if (Stores *process = processStores();
            process && process != this && process->m_defaultManager)
            return process->m_defaultManager.data();
    }
    if (VarManager *opened = m_opened.value(name))
        return opened;
    Result<std::unique_ptr<VarManager>> opened = VarManager::open(name);
    if (!opened.isOk())
        return opened.error();
    VarManager *manager = std::move(opened).value().release();
    manager->setParent(this);
    manager->setAutoSyncInterval(std::chrono::milliseconds(AutoSyncIntervalMs));
    qCDebug(lcQml).noquote() << "opened" << manager->storage()->description() << "for QML";
    m_opened.insert(name, manager);
    return manager;
}

} // namespace PersistVar::Qml
