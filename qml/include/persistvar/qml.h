// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/persistvarqml_export.h>

#include <QtCore/qglobal.h>

QT_BEGIN_NAMESPACE
class QObject;
class QQmlEngine;
QT_END_NAMESPACE

namespace PersistVar {

class VarBase;
class VarManager;

/*!
 * \brief The C++ side of the QML module \c PersistVar (\c {import PersistVar}).
 *
 * Link \c PersistVar::Qml to call these functions; QML code needs only the import.
 *
 * \section stores Which store QML uses
 * PersistentVar and PersistentSettings decide when their component is complete, in this order:
 * 1. their \c store property, when set: a store name such as \c "ini:/path/app.ini" (see
 *    PersistVar::openStorage()). Each distinct name opens one VarManager per QQmlEngine, shared by
 *    every element of that engine, syncing every 500 ms and closed (so flushed) with the engine;
 * 2. else the manager set with setDefaultManager() for the element's engine;
 * 3. else the embedded default store (VarManager::open() with no name: an SQLite file in
 *    QStandardPaths::AppDataLocation), opened once per engine like a named store.
 *
 * A variable the application created in C++ on the default manager is the same variable in QML:
 * \c {PersistentVar { key: "volume" }} binds to the C++ \c Var<double> "volume".
 */
namespace Qml {

/*!
 * Makes \a manager the store of every PersistentVar and PersistentSettings of \a engine that
 * has no \c store of its own. Call it before loading QML: elements pick their manager once, when
 * their component is complete. The manager stays owned by the caller and must outlive the
 * engine's QML objects, or be destroyed after them; elements holding variables of a destroyed
 * manager fall back to their default value and write nothing. Pass a null \a manager to return
 * to the embedded default store. A null \a engine sets the default for every engine that has
 * none of its own. The manager's autoSync, if any, is the application's choice: QML
 * writes are lazy (Var::setLazy()) and are written by autoSync, VarManager::sync(), close(), when
 * the application is about to quit, and when the QML element is destroyed.
 *
 * GUI thread only (the engine's thread).
 *
 * \code
 * QQmlApplicationEngine engine;
 * auto manager = PersistVar::VarManager::open("ini:" + configDir + "/app.ini").value();
 * manager->setAutoSyncInterval(std::chrono::seconds(1));
 * PersistVar::Qml::setDefaultManager(&engine, manager.get());
 * engine.load(QUrl("qrc:/main.qml"));
 * \endcode
 */
PERSISTVARQML_EXPORT void setDefaultManager(QQmlEngine *engine, VarManager *manager);

/*! The manager set with setDefaultManager() for \a engine, or nullptr. */
PERSISTVARQML_EXPORT VarManager *defaultManager(QQmlEngine *engine);

/*!
 * Returns a QML object for the C++ variable \a variable: the same API as PersistentVar (\c value
 * readable, writable and bindable, \c dirty, \c isDefault, \c reset(), \c sync()), already
 * attached, for a context property or a QObject* property of your own.
 *
 * \code
 * auto *volume = manager->var<double>("volume", 0.5).value();
 * engine.rootContext()->setContextProperty("volume", PersistVar::Qml::wrap(volume, &engine));
 * // QML: Slider { value: volume.value; onMoved: volume.value = value }
 * \endcode
 *
 * The object is owned by \a parent (C++ ownership for QML). It follows \a variable until the
 * variable's manager is destroyed. GUI thread only.
 */
PERSISTVARQML_EXPORT QObject *wrap(VarBase *variable, QObject *parent = nullptr);

} // namespace Qml
} // namespace PersistVar
