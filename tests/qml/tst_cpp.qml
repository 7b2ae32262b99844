// SPDX-License-Identifier: MIT
import QtQuick
import QtTest
import PersistVar

// Variables created in C++ on the engine's default manager (PersistVar::Qml::setDefaultManager)
// are the same variables in QML.
TestCase {
    id: testCase
    name: "CppVariables"

    Component {
        id: varComponent
        PersistentVar {}
    }

    Item {
        id: consumer
        property var source: null
        width: source ? source.value * 2 : 0
    }

    function init() {
        consumer.source = null
    }

    function test_cppVariableInQml() {
        verify(TestHelper.createIntVar("cpp/count", 7))
        // No store: the default manager. The C++ variable keeps its default.
        const v = createTemporaryObject(varComponent, testCase, { key: "cpp/count", defaultValue: 0 })
        verify(v.ready)
        compare(v.value, 7)
        compare(typeof v.value, "number")

        consumer.source = v
        compare(consumer.width, 14)
        // C++ sets the Var<int>: the binding follows.
        verify(TestHelper.setFromCpp("cpp/count", 21))
        compare(v.value, 21)
        compare(consumer.width, 42)

        // QML writes reach C++.
        v.value = 5
        compare(TestHelper.cppValue("cpp/count"), 5)
    }

    function test_changeFromAnotherThread() {
        verify(TestHelper.createIntVar("cpp/threaded", 1))
        const v = createTemporaryObject(varComponent, testCase,
                                        { key: "cpp/threaded", defaultValue: 0 })
        consumer.source = v
        TestHelper.setIntFromThread("cpp/threaded", 99)
        // The signal is delivered queued to the GUI thread (a read may see the value before).
        tryCompare(consumer, "width", 198)
        compare(v.value, 99)
    }

    function test_wrappedCppVariable() {
        verify(TestHelper.createIntVar("cpp/wrapped", 3))
        const handle = TestHelper.wrapped("cpp/wrapped")
        verify(handle)
        compare(handle.key, "cpp/wrapped")
        compare(handle.value, 3)
        consumer.source = handle
        compare(consumer.width, 6)
        verify(TestHelper.setFromCpp("cpp/wrapped", 10))
        compare(consumer.width, 20)
        handle.value = 4
        compare(TestHelper.cppValue("cpp/wrapped"), 4)
    }

    function test_numbersAreCompatible() {
        verify(TestHelper.createIntVar("cpp/number", 1))
        // A JS number is a number: a real default still binds to the C++ Var<int>.
        const v = createTemporaryObject(varComponent, testCase,
                                        { key: "cpp/number", defaultValue: 0.5 })
        verify(v.ready)
        compare(v.value, 1)
    }

    function test_typeMismatchWarns() {
        verify(TestHelper.createStringVar("cpp/name", "ada"))
        ignoreWarning(/cpp\/name.*already used by a variable of type string, which cannot hold a bool/)
        const v = createTemporaryObject(varComponent, testCase,
                                        { key: "cpp/name", defaultValue: true })
        verify(!v.ready)
        compare(v.value, true)
        compare(TestHelper.cppValue("cpp/name"), "ada")
    }
}
