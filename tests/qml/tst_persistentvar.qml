// SPDX-License-Identifier: MIT
import QtQuick
import QtTest
import PersistVar

TestCase {
    id: testCase
    name: "PersistentVar"

    Component {
        id: varComponent
        PersistentVar {}
    }

    SignalSpy { id: valueSpy; signalName: "valueChanged" }
    Component { id: spyComponent; SignalSpy {} }
    SignalSpy { id: dirtySpy; signalName: "dirtyChanged" }

    function backendRows() {
        return TestHelper.backends().map(backend => ({ tag: backend, backend: backend }))
    }

    function createVar(properties) {
        const v = createTemporaryObject(varComponent, testCase, properties)
        verify(v, "PersistentVar created")
        return v
    }

    function test_defaultWithNothingStored_data() { return backendRows() }
    function test_defaultWithNothingStored(data) {
        const store = TestHelper.newStoreName(data.backend)
        const v = createVar({ store: store, key: "volume", defaultValue: 0.5 })
        verify(v.ready)
        compare(v.value, 0.5)
        verify(v.isDefault)
        verify(!v.dirty)
        // The default is never written.
        verify(v.sync())
        compare(TestHelper.readBack(store, "volume"), undefined)
    }

    function test_writePersists_data() { return backendRows() }
    function test_writePersists(data) {
        const store = TestHelper.newStoreName(data.backend)
        const v = createVar({ store: store, key: "audio/volume", defaultValue: 0.5 })
        valueSpy.target = v
        dirtySpy.target = v
        valueSpy.clear()
        dirtySpy.clear()

        v.value = 0.8
        compare(v.value, 0.8)
        compare(valueSpy.count, 1)
        verify(v.dirty)
        compare(dirtySpy.count, 1)
        // An equal value is no change.
        v.value = 0.8
        compare(valueSpy.count, 1)

        // Lazy: written by sync() here (autoSync would do it within 500 ms).
        verify(v.sync())
        verify(!v.dirty)
        verify(!v.isDefault)
        compare(Number(TestHelper.readBack(store, "audio/volume")), 0.8)

        // A new engine on the same store reads it back.
        const loaded = TestHelper.loadInNewEngine(
            'import QtQml; import PersistVar; QtObject {'
            + ' property PersistentVar v: PersistentVar { store: "' + store + '";'
            + ' key: "audio/volume"; defaultValue: 0.5 }'
            + ' property var value: v.value; property string type: typeof v.value }')
        compare(loaded.errors, undefined)
        compare(loaded.value, 0.8)
        compare(loaded.type, "number")
    }

    function test_autoSyncWrites_data() { return backendRows() }
    function test_autoSyncWrites(data) {
        const store = TestHelper.newStoreName(data.backend)
        const v = createVar({ store: store, key: "count", defaultValue: 1 })
        v.value = 7
        verify(v.dirty)
        // Stores opened by QML write lazy values every 500 ms.
        tryCompare(v, "dirty", false, 5000)
        compare(Number(TestHelper.readBack(store, "count")), 7)
    }

    function test_destroyedRightAfterChange_data() { return backendRows() }
    function test_destroyedRightAfterChange(data) {
        const store = TestHelper.newStoreName(data.backend)
        const v = varComponent.createObject(testCase,
                                            { store: store, key: "last", defaultValue: "" })
        v.value = "set just before closing"
        v.destroy()
        wait(0) // runs the deferred delete
        // No autoSync has run yet: the element wrote its value when it was destroyed.
        compare(TestHelper.readBack(store, "last"), "set just before closing")
    }

    function test_engineDestroyedRightAfterChange_data() { return backendRows() }
    function test_engineDestroyedRightAfterChange(data) {
        const store = TestHelper.newStoreName(data.backend)
        const loaded = TestHelper.loadInNewEngine(
            'import QtQml; import PersistVar; QtObject {'
            + ' property PersistentVar v: PersistentVar { store: "' + store + '";'
            + ' key: "quit/value"; defaultValue: 1 }'
            + ' Component.onCompleted: v.value = 99 }')
        compare(loaded.errors, undefined)
        compare(Number(TestHelper.readBack(store, "quit/value")), 99)
    }

    // Another process's change reaches the binding: an element's variable is watched.
    function test_otherProcessChange_data() {
        return ["sqlite", "ini"].map(backend => ({ tag: backend, backend: backend }))
    }
    function test_otherProcessChange(data) {
        const store = TestHelper.newStoreName(data.backend)
        const v = createVar({ store: store, key: "remote/count", defaultValue: 1 })
        const item = createTemporaryQmlObject(
            'import QtQuick; Item { property var source: null;'
            + ' width: source ? source.value : 0 }', testCase)
        item.source = v
        compare(item.width, 1)
        valueSpy.target = v
        valueSpy.clear()

        // At once: the manager starts watching on the next turn of the event loop, and must
        // still notice a change made before that.
        verify(TestHelper.setFromOtherProcess(store, "remote/count", 42))
        tryCompare(v, "value", 42, 15000)
        compare(item.width, 42)
        compare(valueSpy.count, 1)
        verify(!v.dirty)
        verify(!v.isDefault)
    }

    function test_writeBeforeComplete() {
        const store = TestHelper.newStoreName("sqlite")
        // value given with the other initial properties is a write once the variable exists.
        const v = createVar({ store: store, key: "early", defaultValue: 1, value: 5 })
        compare(v.value, 5)
        verify(v.dirty)
        verify(v.sync())
        compare(Number(TestHelper.readBack(store, "early")), 5)
    }

    function test_reset_data() { return backendRows() }
    function test_reset(data) {
        const store = TestHelper.newStoreName(data.backend)
        const v = createVar({ store: store, key: "theme", defaultValue: "light" })
        v.value = "dark"
        verify(v.sync())
        compare(TestHelper.readBack(store, "theme"), "dark")
        valueSpy.target = v
        valueSpy.clear()
        verify(v.reset())
        compare(v.value, "light")
        compare(valueSpy.count, 1)
        verify(v.isDefault)
        compare(TestHelper.readBack(store, "theme"), undefined)
    }

    function test_sharedVariable() {
        const store = TestHelper.newStoreName("sqlite")
        const a = createVar({ store: store, key: "shared", defaultValue: 1 })
        const b = createVar({ store: store, key: "shared", defaultValue: 1 })
        a.value = 3
        // Same key, same store, same engine: one variable.
        compare(b.value, 3)
    }

    function test_bindings() {
        const store = TestHelper.newStoreName("sqlite")
        const v = createVar({ store: store, key: "bound", defaultValue: 10 })
        const item = createTemporaryQmlObject(
            'import QtQuick; Item { property var source: null;'
            + ' width: source ? source.value * 2 : 0 }', testCase)
        item.source = v
        compare(item.width, 20)
        v.value = 21
        compare(item.width, 42)
    }

    function test_keyChangeMoves() {
        const store = TestHelper.newStoreName("sqlite")
        const v = createVar({ store: store, key: "user/a", defaultValue: 0 })
        v.value = 1
        valueSpy.target = v
        valueSpy.clear()
        v.key = "user/b"
        verify(v.ready)
        compare(v.value, 0)
        compare(valueSpy.count, 1)
        // Leaving a variable writes what was pending for it.
        compare(Number(TestHelper.readBack(store, "user/a")), 1)
        v.key = "user/a"
        compare(v.value, 1)
        verify(v.ready)
    }

    function test_noKey() {
        ignoreWarning(/PersistentVar has no key/)
        const v = createVar({ defaultValue: 3 })
        verify(!v.ready)
        compare(v.value, 3)
        v.value = 4
        compare(v.value, 4)
        verify(!v.sync())
    }

    function test_badStore() {
        ignoreWarning(/unknown store scheme/)
        const v = createVar({ store: "nosuchscheme:/x", key: "k", defaultValue: 1 })
        verify(!v.ready)
        compare(v.value, 1)
    }

    function test_typeMismatch() {
        const store = TestHelper.newStoreName("sqlite")
        const a = createVar({ store: store, key: "mixed", defaultValue: 1 })
        verify(a.ready)
        ignoreWarning(/mixed.*already used by a variable of type int/)
        const b = createVar({ store: store, key: "mixed", defaultValue: "text" })
        verify(!b.ready)
        compare(b.value, "text")
    }

    function test_fractionIntoInt() {
        const store = TestHelper.newStoreName("sqlite")
        const v = createVar({ store: store, key: "whole", defaultValue: 1 })
        const errorSpy = createTemporaryObject(spyComponent, testCase,
                                               { target: v, signalName: "errorOccurred" })
        // A whole default makes a Var<int>, which refuses a fraction rather than round it.
        ignoreWarning(/"whole".*cannot convert a double to int without loss/)
        v.value = 2.5
        compare(v.value, 1)
        compare(typeof v.value, "number")
        compare(errorSpy.count, 1)
        verify(!v.dirty)
    }
}
