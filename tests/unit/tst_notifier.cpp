// SPDX-License-Identifier: MIT
// Change signals, typed observers, QProperty bindings and cross-thread delivery.
#include "testbackends.h"

#include <persistvar/memorystorage.h>
#include <persistvar/varmanager.h>
#include <persistvar/varnotifier.h>

#include <QtCore/QProperty>
#include <QtCore/QThread>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <memory>

using namespace PersistVar;

class TestNotifier : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { TestBackends::initHermetic(); }

    void oneSignalPerRealChange_data()
    {
        QTest::addColumn<QString>("backend");
        TestBackends::forEach([](const QString &b) { QTest::newRow(qPrintable(b)) << b; });
    }

    void oneSignalPerRealChange()
    {
        QFETCH(QString, backend);
        TestBackends::Store store(backend);
        PERSISTVAR_REQUIRE_STORE(store);
        auto manager = store.openManager();
        QVERIFY(manager);
        Var<int> *var = manager->var<int>(QStringLiteral("n"), 0).value();
        QSignalSpy changed(var->notifier(), &VarNotifier::valueChanged);
        QSignalSpy written(var->notifier(), &VarNotifier::written);

        QVERIFY(var->setLazy(1).isOk());
        QCOMPARE(changed.count(), 1);
        QVERIFY(var->setLazy(1).isOk()); // equal value: nothing
        QCOMPARE(changed.count(), 1);
        QVERIFY(var->set(2).isOk());
        QCOMPARE(changed.count(), 2);
        QCOMPARE(written.count(), 1);
        QVERIFY(var->set(2).isOk());
        QCOMPARE(changed.count(), 2);
        QVERIFY(var->update([](int v) { return std::pair(v + 1, true); }).isOk());
        QCOMPARE(changed.count(), 3);
        QVERIFY(var->update([](int v) { return std::pair(v, false); }).isOk());
        QCOMPARE(changed.count(), 3);
        QVERIFY(var->updateLazy([](int v) { return std::pair(v * 10, true); }).isOk());
        QCOMPARE(changed.count(), 4);
        QCOMPARE(var->get(), 30);
        QVERIFY(var->reset().isOk());
        QCOMPARE(changed.count(), 5);
        QCOMPARE(var->get(), 0);
        QVERIFY(var->reset().isOk()); // already the default
        QCOMPARE(changed.count(), 5);

        // What a second manager reads: the reset removed the stored value.
        manager.reset();
        auto reopened = store.openManager();
        QVERIFY(reopened->var<int>(QStringLiteral("n"), 7).value()->isDefault());
    }

    void typedObserverFollowsContextLifetime()
    {
        VarManager manager(std::make_unique<MemoryStorage>());
        Var<QString> *name = manager.var<QString>(QStringLiteral("name")).value();
        QStringList seen;
        auto context = std::make_unique<QObject>();
        name->onChanged(context.get(), [&seen](const QString &value) { seen.append(value); });
        QVERIFY(name->setLazy(QStringLiteral("Ada")).isOk());
        QVERIFY(name->setLazy(QStringLiteral("Grace")).isOk());
        QCOMPARE(seen, QStringList({QStringLiteral("Ada"), QStringLiteral("Grace")}));
        context.reset(); // disconnects
        QVERIFY(name->setLazy(QStringLiteral("Linus")).isOk());
        QCOMPARE(seen.size(), 2);
    }

    void propertyBindingFollowsVariable()
    {
        VarManager manager(std::make_unique<MemoryStorage>());
        Var<int> *width = manager.var<int>(QStringLiteral("width"), 800).value();
        QProperty<int> doubled;
        doubled.setBinding([&] { return width->value() * 2; });
        QCOMPARE(doubled.value(), 1600);
        QVERIFY(width->setLazy(1024).isOk());
        QCOMPARE(doubled.value(), 2048);
        QVERIFY(width->set(10).isOk());
        QCOMPARE(doubled.value(), 20);

        QProperty<int> viaBindable;
        viaBindable.setBinding([&] { return width->bindable().value() + 1; });
        QCOMPARE(viaBindable.value(), 11);
        QVERIFY(width->reset().isOk());
        QCOMPARE(viaBindable.value(), 801);
        QCOMPARE(doubled.value(), 1600);
    }

    void changesFromAnotherThreadArriveQueued()
    {
        VarManager manager(std::make_unique<MemoryStorage>());
        Var<int> *var = manager.var<int>(QStringLiteral("n"), 0).value();
        QList<int> received;
        QList<QThread *> deliveredIn;
        QObject receiver;
        var->onChanged(&receiver, [&](int value) {
            received.append(value);
            deliveredIn.append(QThread::currentThread());
        });
        QProperty<int> mirror;
        mirror.setBinding([&] { return var->value(); });

        std::unique_ptr<QThread> writer(QThread::create([var] {
            for (int i = 1; i <= 100; ++i)
                var->setLazy(i);
        }));
        writer->start();
        QVERIFY(writer->wait(10000));
        QVERIFY(received.isEmpty()); // queued: nothing delivered until the event loop runs
        QTRY_COMPARE(received.size(), 100);
        QCOMPARE(received.last(), 100);
        for (QThread *thread : std::as_const(deliveredIn))
            QCOMPARE(thread, QThread::currentThread());
        QTRY_COMPARE(mirror.value(), 100);
    }

    void unobservedVariablesHaveNoNotifier()
    {
        VarManager manager(std::make_unique<MemoryStorage>());
        Var<int> *var = manager.var<int>(QStringLiteral("n"), 0).value();
        QVERIFY(var->setLazy(5).isOk()); // no notifier yet: nothing to emit, no crash
        QVERIFY(var->notifier());
        QCOMPARE(var->notifier(), var->notifier());
    }
};

QTEST_GUILESS_MAIN(TestNotifier)
#include "tst_notifier.moc"
