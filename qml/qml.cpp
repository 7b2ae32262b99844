// SPDX-License-Identifier: MIT
#include <persistvar/qml.h>

#include "persistentvar_p.h"
#include "stores_p.h"

#include <persistvar/var.h>

#include <QtQml/QQmlEngine>

namespace PersistVar::Qml {

void setDefaultManager(QQmlEngine *engine, VarManager *manager)
{
    if (!manager && !Stores::existingForEngine(engine))
        return;
    Stores::forEngine(engine)->setDefaultManager(manager);
}

VarManager *defaultManager(QQmlEngine *engine)
{
    Stores *stores = Stores::existingForEngine(engine);
    return stores ? stores->defaultManager() : nullptr;
}

QObject *wrap(VarBase *variable, QObject *parent)
{
    if (!variable)
        return nullptr;
    auto *handle = new PersistentVar(parent);
    handle->attachTo(variable);
    QQmlEngine::setObjectOwnership(handle, QQmlEngine::CppOwnership);
    return handle;
}

} // namespace PersistVar::Qml
