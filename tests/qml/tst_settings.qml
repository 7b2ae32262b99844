// SPDX-License-Identifier: MIT
import QtQuick
import QtTest
import PersistVar

TestCase {
    id: testCase
    name: "PersistentSettings"

    // A window whose width is persisted through an alias.
    Component {
        id: windowComponent
        QtObject {
            id: win
            property int width: 800
            property string store
            property string category: "window"
            property PersistentSettings settings: PersistentSettings {
                store: win.store
                category: win.category
                property alias width: win.width
                property int height: 600
                property bool maximized: false
                property string title: "untitled"
            }
        }
    }

    function backendRows() {
        return TestHelper.backends().map(backend => ({ tag: backend, backend: backend }))
    }

    // A window-like root whose geometry is persisted through aliases, and one property of every
    // type declared on the settings themselves.
    function source(store, changes) {
        return [
            'import QtQml',
            'import PersistVar',
            'QtObject {',
            '  id: root',
            '  property int windowWidth: 800',
            '  property real windowOpacity: 1',
            '  property PersistentSettings s: PersistentSettings {',
            '    store: "' + store + '"',
            '    category: "window"',
            '    property alias width: root.windowWidth',
            '    property alias opacity: root.windowOpacity',
            '    property int height: 600',
            '    property real ratio: 1',
            '    property bool maximized: false',
            '    property string title: "untitled"',
            '    property var recent: []',
            '    property var options: ({ dark: false })',
            '    property date when: new Date(2000, 0, 1)',
            '    property url home: "https://example.org/"',
            '    property color accent: "red"',
            '    property point pos: Qt.point(0, 0)',
            '    property size minimum: Qt.size(100, 100)',
            '    property rect geometry: Qt.rect(0, 0, 100, 100)',
            '  }',
            '  property var types: ({ width: typeof s.width, height: typeof s.height,',
            '    ratio: typeof s.ratio, maximized: typeof s.maximized, title: typeof s.title,',
            '    recent: Array.isArray(s.recent) ? "array" : typeof s.recent,',
            '    when: s.when instanceof Date ? "date" : typeof s.when })',
            '  property var values: ({ width: windowWidth, opacity: windowOpacity,',
            '    height: s.height, ratio: s.ratio, maximized: s.maximized, title: s.title,',
            '    recent: JSON.stringify(s.recent), options: JSON.stringify(s.options),',
            '    when: s.when.toISOString(), home: String(s.home), accent: String(s.accent),',
            '    pos: String(s.pos), minimum: String(s.minimum), geometry: String(s.geometry) })',
            changes ? '  Component.onCompleted: {' + changes + '}' : '',
            '}'
        ].join("\n")
    }

    function test_restoresAndPersists_data() { return backendRows() }
    function test_restoresAndPersists(data) {
        const store = TestHelper.newStoreName(data.backend)
        const fresh = TestHelper.loadInNewEngine(source(store, ""))
        compare(fresh.errors, undefined)
        compare(fresh.values.width, 800)
        compare(fresh.values.title, "untitled")

        // Changed just before the engine goes away: no sync in between.
        const written = TestHelper.loadInNewEngine(source(store,
            'windowWidth = 1024; windowOpacity = 0.75; s.height = 700; s.ratio = 1.25;'
            + ' s.maximized = true; s.recent = ["a.txt", 2];'
            + ' s.options = ({ dark: true, size: 3 });'
            + ' s.when = new Date(2022, 2, 4, 5, 6, 7, 8);'
            + ' s.home = "https://example.org/home"; s.accent = "#336699";'
            + ' s.pos = Qt.point(10, 20); s.minimum = Qt.size(320, 240);'
            + ' s.geometry = Qt.rect(5, 6, 700, 500)'))
        compare(written.errors, undefined)

        // Declared values are defaults, never written; changed ones are.
        compare(TestHelper.readBack(store, "window/title"), undefined)
        verify(TestHelper.readBack(store, "window/width") !== undefined)

        const read = TestHelper.loadInNewEngine(source(store, ""))
        compare(read.errors, undefined)
        compare(read.values.width, 1024)
        compare(read.values.opacity, 0.75)
        compare(read.values.height, 700)
        compare(read.values.ratio, 1.25)
        compare(read.values.maximized, true)
        compare(read.values.title, "untitled")
        compare(read.values.recent, '["a.txt",2]')
        compare(read.values.options, '{"dark":true,"size":3}')
        compare(read.values.when, new Date(2022, 2, 4, 5, 6, 7, 8).toISOString())
        compare(read.values.home, "https://example.org/home")
        compare(read.values.accent, "#336699")
        compare(read.values.pos, "QPointF(10, 20)")
        compare(read.values.minimum, "QSizeF(320, 240)")
        compare(read.values.geometry, "QRectF(5, 6, 700, 500)")
        // Types survive every store, INI included.
        compare(read.types.width, "number")
        compare(read.types.height, "number")
        compare(read.types.ratio, "number")
        compare(read.types.maximized, "boolean")
        compare(read.types.title, "string")
        compare(read.types.recent, "array")
        compare(read.types.when, "date")
    }

    function test_iniKeepsTypes() {
        const store = TestHelper.newStoreName("ini")
        TestHelper.loadInNewEngine(source(store,
            'windowWidth = 1024; s.maximized = true; s.title = "800"; s.ratio = 2'))
        const text = TestHelper.iniText(store)
        verify(/\[window\][^\[]*\nwidth=1024\n/.test(text), text)
        verify(/\nmaximized=true\n/.test(text), text)
        const read = TestHelper.loadInNewEngine(source(store, ""))
        // INI stores text; the declared types bring the values back as they were.
        compare(read.types.width, "number")
        compare(read.values.width, 1024)
        compare(read.types.maximized, "boolean")
        compare(read.values.maximized, true)
        compare(read.types.title, "string")
        compare(read.values.title, "800")
        compare(read.types.ratio, "number")
        compare(read.values.ratio, 2)
    }

    function test_lazyWriteInEngine() {
        const store = TestHelper.newStoreName("sqlite")
        const w = createTemporaryObject(windowComponent, testCase, { store: store })
        const s = w.settings
        verify(s.ready)
        w.width = 900 // through the alias
        s.height = 650
        compare(s.width, 900)
        // Written by the store's autoSync, within 500 ms.
        tryVerify(() => TestHelper.readBack(store, "window/width") !== undefined, 5000)
        compare(Number(TestHelper.readBack(store, "window/width")), 900)
        compare(Number(TestHelper.readBack(store, "window/height")), 650)
        verify(s.sync())
    }

    function test_destroyedRightAfterChange() {
        const store = TestHelper.newStoreName("sqlite")
        const w = windowComponent.createObject(testCase, { store: store })
        w.settings.maximized = true
        w.width = 1280
        w.destroy()
        wait(0) // runs the deferred delete
        compare(TestHelper.readBack(store, "window/maximized"), true)
        compare(Number(TestHelper.readBack(store, "window/width")), 1280)

        // A second window restores them, through the alias too.
        const again = createTemporaryObject(windowComponent, testCase, { store: store })
        compare(again.settings.maximized, true)
        compare(again.width, 1280)
    }

    function test_reset() {
        const store = TestHelper.newStoreName("sqlite")
        const s = createTemporaryObject(windowComponent, testCase, { store: store }).settings
        s.height = 100
        s.title = "changed"
        verify(s.sync())
        verify(s.reset("height"))
        compare(s.height, 600)
        compare(s.title, "changed")
        compare(TestHelper.readBack(store, "window/height"), undefined)
        verify(s.reset())
        compare(s.title, "untitled")
        compare(TestHelper.readBack(store, "window/title"), undefined)
        ignoreWarning(/no persisted property nosuch/)
        verify(!s.reset("nosuch"))
    }

    function test_noCategory() {
        const store = TestHelper.newStoreName("sqlite")
        const s = createTemporaryQmlObject('import PersistVar; PersistentSettings {'
            + ' store: "' + store + '"; property int launches: 0 }', testCase)
        s.launches = 3
        verify(s.sync())
        compare(Number(TestHelper.readBack(store, "launches")), 3)
    }

    function test_categoryChange() {
        const store = TestHelper.newStoreName("sqlite")
        const w = createTemporaryObject(windowComponent, testCase,
                                        { store: store, category: "profileA" })
        const s = w.settings
        s.height = 111
        w.category = "profileB"
        // Nothing stored in profileB: the declared value.
        compare(s.height, 600)
        s.height = 222
        w.category = "profileA"
        compare(s.height, 111)
        verify(s.sync())
        compare(Number(TestHelper.readBack(store, "profileA/height")), 111)
        compare(Number(TestHelper.readBack(store, "profileB/height")), 222)
    }

    function test_sharedWithPersistentVar() {
        const store = TestHelper.newStoreName("sqlite")
        const s = createTemporaryQmlObject('import PersistVar; PersistentSettings {'
            + ' store: "' + store + '"; category: "audio"; property real volume: 0.5 }', testCase)
        const v = createTemporaryQmlObject('import PersistVar; PersistentVar {'
            + ' store: "' + store + '"; key: "audio/volume"; defaultValue: 1 }', testCase)
        // The settings made Var<double> first; the PersistentVar shares it, default and all.
        compare(v.value, 0.5)
        v.value = 0.25
        compare(s.volume, 0.25)
        s.volume = 0.75
        compare(v.value, 0.75)
    }

    function test_unsupportedProperty() {
        const store = TestHelper.newStoreName("sqlite")
        ignoreWarning(/property "child" holds a QObject\*, which cannot be persisted/)
        const s = createTemporaryQmlObject('import QtQml; import PersistVar; PersistentSettings {'
            + ' store: "' + store + '"; property QtObject child: QtObject {}; property int n: 1 }',
            testCase)
        verify(s.ready)
        s.n = 2
        verify(s.sync())
        compare(Number(TestHelper.readBack(store, "n")), 2)
    }
}
