// SPDX-License-Identifier: MIT
// The QML module with a QQmlEngine driven from C++: what an application sees when its engine
// goes away right after a change, checked in the store's own format.
#include <testbackends.h>

#include <persistvar/codec.h>
#include <persistvar/memorystorage.h>
#include <persistvar/qml.h>
#include <persistvar/var.h>
#include <persistvar/varmanager.h>

#include <QtCore/QFile>
#include <QtCore/QRegularExpression>
#include <QtQml/QQmlComponent>
#include <QtQml/QQmlEngine>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <memory>

namespace {

// The value of key in section of an INI file's text, or a null string.
QString iniValue(const QString &text, const QString &section, const QString &key)
{
    QString current;
    const QStringList lines = text.split(QLatin1Char('\n'));
    for (QString line : lines) {
        line = line.trimmed();
        if (line.startsWith(QLatin1Char('[')) && line.endsWith(QLatin1Char(']'))) {
            current = line.mid(1, line.size() - 2);
            continue;
        }
        const qsizetype equals = line.indexOf(QLatin1Char('='));
        if (equals > 0 && current == section && line.left(equals).trimmed() == key)
            return line.mid(equals + 1).trimmed();
    }
    return QString();
}

QString readText(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return QString();
    return QString::fromUtf8(file.readAll());
}

std::unique_ptr<QQmlEngine> newEngine()
{
    auto engine = std::make_unique<QQmlEngine>();
    engine->addImportPath(QStringLiteral(PERSISTVAR_QML_IMPORT_DIR));
    return engine;
}

QObject *create(QQmlEngine *engine, const QString &source)
{
    QQmlComponent component(engine);
    component.setData(source.toUtf8(), QUrl(QStringLiteral("file:///tst_qmlengine.qml")));
    QObject *object = component.create();
    if (!object)
        qWarning().noquote() << component.errorString();
    return object;
}

QString settingsSource(const QString &store)
{
    return QStringLiteral(R"(
import QtQml
import PersistVar
QtObject {
    id: root
    property int windowWidth: 800
    property PersistentSettings settings: PersistentSettings {
        store: "%1"
        category: "window"
        property alias width: root.windowWidth
        property bool maximized: false
        property real ratio: 1.5
        property string title: "untitled"
    }
}
)")
        .arg(store);
}

enum class Teardown { ObjectThenEngine, EngineOnly };

} // namespace

class tst_QmlEngine : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { TestBackends::initHermetic(); }

    void iniFileAfterEngineDestroyed_data()
    {
        QTest::addColumn<Teardown>("teardown");
        QTest::newRow("object, then engine") << Teardown::ObjectThenEngine;
        QTest::newRow("engine only") << Teardown::EngineOnly;
    }

    void iniFileAfterEngineDestroyed()
    {
        QFETCH(Teardown, teardown);
        TestBackends::Store store(QStringLiteral("ini"));
        PERSISTVAR_REQUIRE_STORE(store);
        const QString path = store.name().mid(int(qstrlen("ini:")));

        auto engine = newEngine();
        std::unique_ptr<QObject> root(create(engine.get(), settingsSource(store.name())));
        QVERIFY(root);
        QObject *settings = root->property("settings").value<QObject *>();
        QVERIFY(settings);
        QVERIFY(settings->property("ready").toBool());

        // Through the alias and directly; nothing has been synced yet.
        root->setProperty("windowWidth", 1024);
        QCOMPARE(settings->property("width").toInt(), 1024);
        settings->setProperty("maximized", true);
        settings->setProperty("ratio", 2.25);

        if (teardown == Teardown::ObjectThenEngine)
            root.reset();
        engine.reset();
        root.reset(); // EngineOnly: outlived its engine, as a C++-owned root may

        const QString text = readText(path);
        QCOMPARE(iniValue(text, QStringLiteral("window"), QStringLiteral("width")),
                 QStringLiteral("1024"));
        QCOMPARE(iniValue(text, QStringLiteral("window"), QStringLiteral("maximized")),
                 QStringLiteral("true"));
        QCOMPARE(iniValue(text, QStringLiteral("window"), QStringLiteral("ratio")),
                 QStringLiteral("2.25"));
        // Declared values are defaults: never written.
        QVERIFY2(iniValue(text, QStringLiteral("window"), QStringLiteral("title")).isNull(),
                 qPrintable(text));

        // A new engine restores them with their types.
        auto engine2 = newEngine();
        std::unique_ptr<QObject> root2(create(engine2.get(), settingsSource(store.name())));
        QVERIFY(root2);
        QObject *settings2 = root2->property("settings").value<QObject *>();
        QCOMPARE(root2->property("windowWidth"), QVariant(1024));
        QCOMPARE(settings2->property("maximized"), QVariant(true));
        QCOMPARE(settings2->property("ratio"), QVariant(2.25));
        QCOMPARE(settings2->property("title"), QVariant(QStringLiteral("untitled")));
    }

    void defaultManagerFromCpp()
    {
        TestBackends::Store store(QStringLiteral("sqlite"));
        PERSISTVAR_REQUIRE_STORE(store);
        std::unique_ptr<PersistVar::VarManager> manager = store.openManager();
        QVERIFY(manager);
        PersistVar::Var<int> *count = manager->var<int>(QStringLiteral("count"), 1).value();
        QVERIFY(count);

        auto engine = newEngine();
        PersistVar::Qml::setDefaultManager(engine.get(), manager.get());
        QCOMPARE(PersistVar::Qml::defaultManager(engine.get()), manager.get());
        std::unique_ptr<QObject> root(create(engine.get(), QStringLiteral(R"(
import QtQml
import PersistVar
QtObject {
    property PersistentVar v: PersistentVar { key: "count"; defaultValue: 0 }
    property int doubled: v.value * 2
}
)")));
        QVERIFY(root);
        // The C++ variable, with its own default.
        QCOMPARE(root->property("doubled").toInt(), 2);
        QVERIFY(count->set(21).isOk());
        QCOMPARE(root->property("doubled").toInt(), 42);

        // And QML writes reach C++.
        QObject *v = root->property("v").value<QObject *>();
        v->setProperty("value", 5);
        QCOMPARE(count->get(), 5);
        QVERIFY(count->isDirty());

        // The element writes on destruction; the manager, owned by the application, stays.
        root.reset();
        QVERIFY(!count->isDirty());
        engine.reset();
        QVERIFY(!manager->isClosed());
        QCOMPARE(count->get(), 5);
    }

    void lockedKeyRefusesQmlWrites()
    {
        // An administrator's layer locks a key: QML sees locked, the layer's value, and a
        // write from QML is refused and never reaches the user's store.
        TestBackends::Store store(QStringLiteral("ini"));
        PERSISTVAR_REQUIRE_STORE(store);
        std::unique_ptr<PersistVar::VarManager> manager = store.openManager();
        QVERIFY(manager);
        auto layer = std::make_unique<PersistVar::MemoryStorage>();
        QVERIFY(layer
                    ->save(QStringLiteral("network/proxy"),
                           PersistVar::encode(QStringLiteral("proxy.example.org")), std::nullopt)
                    .isOk());
        QVERIFY(layer
                    ->save(QStringLiteral(".persistvar/locked"),
                           PersistVar::encode(QStringList{QStringLiteral("network/proxy")}),
                           std::nullopt)
                    .isOk());
        QVERIFY(manager->addLayer(std::move(layer)).isOk());

        auto engine = newEngine();
        PersistVar::Qml::setDefaultManager(engine.get(), manager.get());
        std::unique_ptr<QObject> root(create(engine.get(), QStringLiteral(R"(
import QtQml
import PersistVar
QtObject {
    property PersistentVar proxy: PersistentVar { key: "network/proxy"; defaultValue: "" }
    property PersistentVar other: PersistentVar { key: "network/port"; defaultValue: 8080 }
    property bool editable: !proxy.locked
    property int errors: 0
    property Connections watch: Connections {
        target: proxy
        function onErrorOccurred() { errors += 1 }
    }
}
)")));
        QVERIFY(root);
        QObject *proxy = root->property("proxy").value<QObject *>();
        QObject *other = root->property("other").value<QObject *>();
        QCOMPARE(proxy->property("locked").toBool(), true);
        QCOMPARE(root->property("editable").toBool(), false);
        QCOMPARE(other->property("locked").toBool(), false);
        QCOMPARE(proxy->property("value").toString(), QStringLiteral("proxy.example.org"));

        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("Locked")));
        proxy->setProperty("value", QStringLiteral("elsewhere"));
        QCOMPARE(root->property("errors").toInt(), 1);
        QCOMPARE(proxy->property("value").toString(), QStringLiteral("proxy.example.org"));
        QVERIFY(QMetaObject::invokeMethod(proxy, "sync"));
        root.reset();
        engine.reset();
        QVERIFY(manager->close().isOk());
        // Read back from the user's own store: nothing was written for the locked key.
        auto storage = store.openStorage();
        QVERIFY(storage);
        QCOMPARE(storage->load(QStringLiteral("network/proxy")).errorCode(),
                 PersistVar::ErrorCode::NotFound);
    }

    void wrapFollowsCppVariable()
    {
        TestBackends::Store store(QStringLiteral("memory"));
        std::unique_ptr<PersistVar::VarManager> manager = store.openManager();
        QVERIFY(manager);
        PersistVar::Var<double> *volume =
            manager->var<double>(QStringLiteral("volume"), 0.5).value();
        std::unique_ptr<QObject> handle(PersistVar::Qml::wrap(volume));
        QVERIFY(handle);
        QCOMPARE(handle->property("value"), QVariant(0.5));
        QCOMPARE(handle->property("key"), QVariant(QStringLiteral("volume")));
        QSignalSpy spy(handle.get(), SIGNAL(valueChanged()));
        QVERIFY(volume->set(0.75).isOk());
        QCOMPARE(spy.count(), 1);
        QCOMPARE(handle->property("value"), QVariant(0.75));
        QVERIFY(handle->setProperty("value", 0.25));
        QCOMPARE(volume->get(), 0.25);

        // The manager goes first: the handle serves the default and never touches freed memory.
        manager.reset();
        QCOMPARE(handle->property("ready"), QVariant(false));
        QCOMPARE(handle->property("value"), QVariant(0.5));
    }
};

QTEST_MAIN(tst_QmlEngine)

#include "tst_qmlengine.moc"
