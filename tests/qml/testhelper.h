// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/varmanager.h>

#include <QtCore/QHash>
#include <QtCore/QObject>
#include <QtCore/QStringList>
#include <QtCore/QVariant>

#include <memory>

QT_BEGIN_NAMESPACE
class QQmlEngine;
QT_END_NAMESPACE

namespace TestBackends {
class Store;
}

// What the QML tests cannot do themselves: name stores, read them back through a new manager,
// run QML in a new engine, and change variables from C++. Exposed as the context property
// TestHelper.
class TestHelper : public QObject
{
    Q_OBJECT

public:
    TestHelper();
    ~TestHelper() override;

    // The default manager of every test engine (PersistVar::Qml::setDefaultManager).
    PersistVar::VarManager *defaultManager() const { return m_defaultManager.get(); }
    void setImportPaths(const QStringList &paths) { m_importPaths = paths; }

    // The backends usable here (PostgreSQL only when a server is configured).
    Q_INVOKABLE QStringList backends() const;
    // The name of the store called name of backend; the same name gives the same store.
    Q_INVOKABLE QString storeName(const QString &backend, const QString &name = QString());
    // A store of backend that no other call returns.
    Q_INVOKABLE QString newStoreName(const QString &backend);

    // What a new manager on store reads for key, decoded without a type hint (so an INI file
    // gives text for numbers); undefined when nothing is stored.
    Q_INVOKABLE QVariant readBack(const QString &store, const QString &key) const;
    // The text of the INI file behind an "ini:" store.
    Q_INVOKABLE QString iniText(const QString &store) const;

    // Creates a QML component from source in a new QQmlEngine, returns the root object's own
    // properties (plus "errors" when creating failed), then destroys the object and the engine.
    Q_INVOKABLE QVariantMap loadInNewEngine(const QString &source) const;

    // C++ variables on the default manager.
    Q_INVOKABLE bool createIntVar(const QString &key, int defaultValue);
    Q_INVOKABLE bool createStringVar(const QString &key, const QString &defaultValue);
    Q_INVOKABLE QVariant cppValue(const QString &key) const;
    // Var<int>::set() (or setVariantLazy() for other types) in this thread.
    Q_INVOKABLE bool setFromCpp(const QString &key, const QVariant &value);
    // Var<int>::setLazy() from a short-lived worker thread.
    Q_INVOKABLE void setIntFromThread(const QString &key, int value);
    // Another process (pvworker) sets the int key of store to value; false when it failed.
    Q_INVOKABLE bool setFromOtherProcess(const QString &store, const QString &key, int value);

    // PersistVar::Qml::wrap() of a variable of the default manager.
    Q_INVOKABLE QObject *wrapped(const QString &key);

private:
    TestBackends::Store *store(const QString &backend, const QString &name);

    QHash<QString, TestBackends::Store *> m_stores; // owned
    QHash<QString, QString> m_storeByName; // store name -> key in m_stores
    std::unique_ptr<TestBackends::Store> m_defaultStore;
    std::unique_ptr<PersistVar::VarManager> m_defaultManager;
    QStringList m_importPaths;
    int m_unique = 0;
};
