// SPDX-License-Identifier: MIT
import QtQuick
import QtTest

// Every QML value type round-trips through every backend: one engine writes it just before it
// is destroyed, a new engine reads it back with the same type.
TestCase {
    name: "Types"

    // QML expressions: the default (which decides the variable's type) and a value to store.
    readonly property var types: [
        { type: "int", defaultValue: "1", value: "42", jsType: "number" },
        { type: "negative int", defaultValue: "0", value: "-2147483648", jsType: "number" },
        { type: "real", defaultValue: "0.5", value: "2.75", jsType: "number" },
        { type: "bool", defaultValue: "false", value: "true", jsType: "boolean" },
        { type: "string", defaultValue: '""', value: '"h\\u00e9llo, w\\u00f6rld = 1; [x]"',
          jsType: "string" },
        { type: "numeric string", defaultValue: '"a"', value: '"800"', jsType: "string" },
        { type: "list", defaultValue: "[]", value: '[1, "two", 3.5, true, [4]]',
          jsType: "object" },
        { type: "object", defaultValue: "({})", value: '({a: 1, b: "x", c: [1, 2], d: {e: true}})',
          jsType: "object" },
        { type: "date", defaultValue: "new Date(2000, 0, 1)",
          value: "new Date(2021, 5, 15, 12, 30, 45, 123)", jsType: "object" },
        { type: "url", defaultValue: 'Qt.resolvedUrl("https://example.org/")',
          value: 'Qt.resolvedUrl("https://example.org/a%20b?q=1#f")', jsType: "object" },
        { type: "color", defaultValue: "Qt.rgba(0, 0, 0, 1)", value: "Qt.rgba(0.2, 0.4, 0.6, 0.8)",
          jsType: "object" },
        { type: "point", defaultValue: "Qt.point(0, 0)", value: "Qt.point(1.5, -2)",
          jsType: "object" },
        { type: "size", defaultValue: "Qt.size(0, 0)", value: "Qt.size(640, 480.5)",
          jsType: "object" },
        { type: "rect", defaultValue: "Qt.rect(0, 0, 0, 0)", value: "Qt.rect(1, 2, 3.5, 4)",
          jsType: "object" }
    ]

    function source(store, row, assign) {
        return [
            'import QtQml',
            'import PersistVar',
            'QtObject {',
            '  function describe(x) {',
            '    if (x === undefined || x === null) return String(x)',
            '    if (x instanceof Date) return "date " + x.toISOString()',
            '    if (Array.isArray(x)) return "array " + JSON.stringify(x)',
            '    return typeof x + " " + String(x) + " " + JSON.stringify(x)',
            '  }',
            '  property PersistentVar v: PersistentVar {',
            '    store: "' + store + '"',
            '    key: "types/' + row.type + '"',
            '    defaultValue: ' + row.defaultValue,
            '  }',
            '  property string expected: describe(' + row.value + ')',
            '  property string actual: describe(v.value)',
            '  property string type: typeof v.value',
            '  property bool isDefault: v.isDefault',
            assign ? '  Component.onCompleted: v.value = ' + row.value : '',
            '}'
        ].join("\n")
    }

    function test_roundTrip_data() {
        const rows = []
        for (const backend of TestHelper.backends()) {
            for (const row of types)
                rows.push(Object.assign({ tag: backend + " " + row.type, backend: backend }, row))
        }
        return rows
    }

    function test_roundTrip(data) {
        const store = TestHelper.newStoreName(data.backend)
        const written = TestHelper.loadInNewEngine(source(store, data, true))
        compare(written.errors, undefined)
        verify(written.isDefault, "nothing stored yet")
        // What QML held before storing it.
        compare(written.actual, written.expected)

        const read = TestHelper.loadInNewEngine(source(store, data, false))
        compare(read.errors, undefined)
        verify(!read.isDefault, "a value is stored")
        compare(read.type, data.jsType)
        compare(read.actual, written.expected)
    }
}
