// SPDX-License-Identifier: MIT
// The QML side of PersistVar: PersistentSettings keeps the window geometry, PersistentVar a
// slider, a text field and a list. Close it, start it again: everything is where you left it.
//
//   qml-app [STORE]            STORE defaults to the embedded SQLite store
//   qml-app --smoke-test STORE sets a few values, quits, and exits 0 (used by the tests)
#include <persistvar/qml.h>
#include <persistvar/varmanager.h>

#include <QtCore/QCommandLineParser>
#include <QtGui/QGuiApplication>
#include <QtQml/QQmlApplicationEngine>
#include <QtQml/QQmlContext>

int main(int argc, char *argv[])
{
    QGuiApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("PersistVar"));
    QCoreApplication::setApplicationName(QStringLiteral("qml-app"));

    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption smokeTest(QStringLiteral("smoke-test"),
                                       QStringLiteral("Change values, quit, exit 0."));
    parser.addOption(smokeTest);
    parser.addPositionalArgument(QStringLiteral("store"), QStringLiteral("Store name (optional)."));
    parser.process(app);

    auto manager = PersistVar::VarManager::open(parser.positionalArguments().value(0));
    if (!manager.isOk()) {
        qCritical("qml-app: %s", qPrintable(manager.error().toString()));
        return 1;
    }
    manager.value()->setAutoSyncInterval(std::chrono::seconds(1));

    int status = 0;
    {
        QQmlApplicationEngine engine;
#ifdef PERSISTVAR_QML_IMPORT_PATH
        engine.addImportPath(QStringLiteral(PERSISTVAR_QML_IMPORT_PATH));
#endif
        PersistVar::Qml::setDefaultManager(&engine, manager.value().get());
        engine.rootContext()->setContextProperty(QStringLiteral("smokeTest"),
                                                 parser.isSet(smokeTest));
        QObject::connect(
            &engine, &QQmlApplicationEngine::objectCreationFailed, &app,
            [] { QCoreApplication::exit(1); }, Qt::QueuedConnection);
        // qt_add_qml_module puts the QML files under qrc:/<URI>/ (Qt 6.4 has no loadFromModule()).
        engine.load(QUrl(QStringLiteral("qrc:/QmlApp/Main.qml")));
        status = app.exec();
        // Leaving this scope destroys the engine and its QML elements, which write their last
        // values as they go: that must happen before the manager closes.
    }
    return manager.value()->close().isOk() ? status : 1;
}
