// SPDX-License-Identifier: MIT
// Run by qmltestrunner (tst_qmlplugin), which does not link PersistVarQml: the module must load as a plugin
// from the build's qml folder, as in a QML-only application.
import QtQuick
import QtTest
import PersistVar

TestCase {
    name: "Plugin"

    PersistentVar { id: volume; store: "memory:plugin-test"; key: "volume"; defaultValue: 0.5 }

    PersistentSettings {
        id: settings
        store: "memory:plugin-test"
        category: "window"
        property int width: 800
    }

    function test_typesWork() {
        verify(volume.ready)
        compare(volume.value, 0.5)
        volume.value = 0.75
        verify(volume.dirty)
        verify(volume.sync())
        verify(!volume.dirty)

        verify(settings.ready)
        settings.width = 1024
        verify(settings.sync())
    }
}
