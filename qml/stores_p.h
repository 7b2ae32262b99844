// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/result.h>
#include <persistvar/varmanager.h>

#include <QtCore/QHash>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QString>

#include <memory>

QT_BEGIN_NAMESPACE
class QQmlEngine;
QT_END_NAMESPACE

namespace PersistVar::Qml {

// Not API. The managers the QML elements of one engine use: the default manager set from C++,
// and the managers opened for store names (plus the embedded default store), owned here and
// closed, so flushed, when the engine is destroyed. Lives as a child of its engine; elements
// created without an engine share a process-wide instance closed when QCoreApplication is
// destroyed. GUI thread only.
class Stores : public QObject
{
    Q_OBJECT

public:
    ~Stores() override;

    // The instance for engine (created on first use), or the process-wide one for nullptr.
    static Stores *forEngine(QQmlEngine *engine);
    // Like forEngine(), but never creates one.
    static Stores *existingForEngine(QQmlEngine *engine);

    void setDefaultManager(VarManager *manager) { m_defaultManager = manager; }
    VarManager *defaultManager() const { return m_defaultManager; }

    // The manager for storeName: an opened one for a non-empty name, else the default manager,
    // else the embedded default store. Failures are not cached: the next element retries.
    Result<VarManager *> manager(const QString &storeName);

    // How often managers opened here write lazy values.
    static constexpr int AutoSyncIntervalMs = 500;

private:
    explicit Stores(QObject *parent);

    QPointer<VarManager> m_defaultManager;
    // Key: the store name as given, trimmed; empty for the embedded default store.
    QHash<QString, VarManager *> m_opened; // owned
};

} // namespace PersistVar::Qml
