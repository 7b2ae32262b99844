// SPDX-License-Identifier: MIT
// The Qt Quick Test runner for tst_*.qml in this folder. Each QML file gets its own engine, with
// TestHelper as a context property and an SQLite store as the engine's default manager.
#include "testhelper.h"

#include <testbackends.h>

#include <persistvar/qml.h>

#include <QtQml/QQmlContext>
#include <QtQml/QQmlEngine>
#include <QtQuickTest/quicktest.h>

#include <memory>

class Setup : public QObject
{
    Q_OBJECT

public Q_SLOTS:
    void applicationAvailable()
    {
        // Hermetic: test-mode standard paths, settings in a temporary folder.
        TestBackends::initHermetic();
        m_helper = std::make_unique<TestHelper>();
    }

    void qmlEngineAvailable(QQmlEngine *engine)
    {
        m_helper->setImportPaths(engine->importPathList());
        engine->rootContext()->setContextProperty(QStringLiteral("TestHelper"), m_helper.get());
        PersistVar::Qml::setDefaultManager(engine, m_helper->defaultManager());
    }

    void cleanupTestCase()
    {
        // Stores close while the application still exists.
        m_helper.reset();
    }

private:
    std::unique_ptr<TestHelper> m_helper;
};

QUICK_TEST_MAIN_WITH_SETUP(persistvar_qml, Setup)

#include "tst_qml.moc"
