// SPDX-License-Identifier: MIT
#include "testhelper.h"

#include <testbackends.h>

#include <persistvar/codec.h>
#include <persistvar/qml.h>
#include <persistvar/var.h>

#include <QtCore/QFile>
#include <QtCore/QMetaProperty>
#include <QtCore/QProcess>
#include <QtCore/QThread>
#include <QtQml/QJSValue>
#include <QtQml/QQmlComponent>
#include <QtQml/QQmlEngine>

TestHelper::TestHelper()
    : m_defaultStore(std::make_unique<TestBackends::Store>(QStringLiteral("sqlite")))
    , m_defaultManager(m_defaultStore->openManager())
{
}

TestHelper::~TestHelper()
{
    m_defaultManager.reset();
    qDeleteAll(m_stores);
}

QStringList TestHelper::backends() const
{
    QStringList usable;
    for (const QString &backend : TestBackends::all()) {
        if (TestBackends::Store(backend).skipReason().isEmpty())
            usable.append(backend);
    }
    return usable;
}

TestBackends::Store *TestHelper::store(const QString &backend, const QString &name)
{
    const QString id = backend + QLatin1Char('/') + name;
    TestBackends::Store *&store = m_stores[id];
    if (!store) {
        store = new TestBackends::Store(backend);
        m_storeByName.insert(store->name(), id);
    }
    return store;
}

QString TestHelper::storeName(const QString &backend, const QString &name)
{
    TestBackends::Store *s = store(backend, name.isEmpty() ? QStringLiteral("main") : name);
    if (!s->skipReason().isEmpty()) {
        qWarning().noquote() << "store" << backend << "is not usable:" << s->skipReason();
        return QString();
    }
    return s->name();
}

QString TestHelper::newStoreName(const QString &backend)
{
    return storeName(backend, QStringLiteral("unique-%1").arg(++m_unique));
}

QVariant TestHelper::readBack(const QString &store, const QString &key) const
{
    // A new manager, as a later run of the application would open.
    auto opened = PersistVar::VarManager::open(store);
    if (!opened.isOk()) {
        qWarning() << "readBack: cannot open" << store << opened.error();
        return QVariant();
    }
    std::unique_ptr<PersistVar::VarManager> manager = std::move(opened).value();
    const PersistVar::Result<QByteArray> loaded = manager->storage()->load(key);
    manager->close();
    if (!loaded.isOk()) {
        if (loaded.errorCode() != PersistVar::ErrorCode::NotFound)
            qWarning() << "readBack:" << loaded.error();
        return QVariant();
    }
    QVariant value;
    if (!PersistVar::decode(loaded.value(), &value)) {
        qWarning() << "readBack: cannot decode" << key << loaded.value().toHex();
        return QVariant();
    }
    return value;
}

QString TestHelper::iniText(const QString &store) const
{
    if (!store.startsWith(QLatin1String("ini:")))
        return QString();
    QFile file(store.mid(4));
    if (!file.open(QIODevice::ReadOnly))
        return QString();
    return QString::fromUtf8(file.readAll());
}

QVariantMap TestHelper::loadInNewEngine(const QString &source) const
{
    QVariantMap result;
    auto engine = std::make_unique<QQmlEngine>();
    engine->setImportPathList(m_importPaths);
    QQmlComponent component(engine.get());
    component.setData(source.toUtf8(), QUrl(QStringLiteral("file:///newengine.qml")));
    std::unique_ptr<QObject> root(component.create());
    if (!root) {
        QStringList errors;
        for (const QQmlError &error : component.errors())
            errors.append(error.toString());
        result.insert(QStringLiteral("errors"), errors);
        return result;
    }
    const QMetaObject *meta = root->metaObject();
    for (int i = QObject::staticMetaObject.propertyCount(); i < meta->propertyCount(); ++i) {
        const QMetaProperty property = meta->property(i);
        QVariant value = property.read(root.get());
        if (value.metaType() == QMetaType::fromType<QJSValue>())
            value = value.value<QJSValue>().toVariant(QJSValue::ConvertJSObjects);
        if (value.metaType().flags() & QMetaType::PointerToQObject)
            continue; // owned by the engine that is about to go
        result.insert(QString::fromUtf8(property.name()), value);
    }
    // As an application quits: the objects go first, then the engine.
    root.reset();
    engine.reset();
    return result;
}

bool TestHelper::createIntVar(const QString &key, int defaultValue)
{
    return m_defaultManager->var<int>(key, defaultValue).value() != nullptr;
}

bool TestHelper::createStringVar(const QString &key, const QString &defaultValue)
{
    return m_defaultManager->var<QString>(key, defaultValue).value() != nullptr;
}

QVariant TestHelper::cppValue(const QString &key) const
{
    PersistVar::VarBase *var = m_defaultManager->find(key);
    return var ? var->toVariant() : QVariant();
}

bool TestHelper::setFromCpp(const QString &key, const QVariant &value)
{
    PersistVar::VarBase *var = m_defaultManager->find(key);
    if (!var)
        return false;
    if (var->metaType() == QMetaType::fromType<int>())
        return static_cast<PersistVar::Var<int> *>(var)->set(value.toInt()).isOk();
    return var->setVariantLazy(value).isOk();
}

void TestHelper::setIntFromThread(const QString &key, int value)
{
    auto *var = static_cast<PersistVar::Var<int> *>(m_defaultManager->find(key));
    if (!var || var->metaType() != QMetaType::fromType<int>())
        return;
    std::unique_ptr<QThread> thread(QThread::create([var, value] { var->setLazy(value); }));
    thread->start();
    thread->wait();
}

bool TestHelper::setFromOtherProcess(const QString &store, const QString &key, int value)
{
    QProcess worker;
    worker.start(QStringLiteral(PVWORKER_PATH),
                 {store, QStringLiteral("set"), key, QString::number(value)});
    if (!worker.waitForFinished(60000)) {
        qWarning() << "pvworker did not finish:" << worker.errorString();
        return false;
    }
    if (worker.exitStatus() != QProcess::NormalExit || worker.exitCode() != 0) {
        qWarning().noquote() << "pvworker failed:" << worker.readAllStandardError();
        return false;
    }
    return true;
}

QObject *TestHelper::wrapped(const QString &key)
{
    return PersistVar::Qml::wrap(m_defaultManager->find(key), this);
}
