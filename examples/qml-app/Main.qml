// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import PersistVar

ApplicationWindow {
    id: window
    width: 480
    height: 360
    visible: true
    title: qsTr("PersistVar QML example")

    // Every property declared here is stored under "window/<name>" and restored at start-up.
    PersistentSettings {
        category: "window"
        property alias x: window.x
        property alias y: window.y
        property alias width: window.width
        property alias height: window.height
    }

    PersistentVar { id: volume; key: "volume"; defaultValue: 0.5 }
    PersistentVar { id: userName; key: "user/name"; defaultValue: "" }
    PersistentVar { id: notes; key: "notes"; defaultValue: [] }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 12

        Label { text: qsTr("Volume: %1 %").arg(Math.round(volume.value * 100)) }
        Slider {
            objectName: "volumeSlider"
            Layout.fillWidth: true
            value: volume.value
            onMoved: volume.value = value
        }
        TextField {
            objectName: "nameField"
            Layout.fillWidth: true
            placeholderText: qsTr("Your name")
            text: userName.value
            onTextEdited: userName.value = text
        }
        RowLayout {
            TextField { id: newNote; Layout.fillWidth: true; placeholderText: qsTr("A note") }
            Button {
                text: qsTr("Add")
                onClicked: {
                    notes.value = notes.value.concat([newNote.text])
                    newNote.clear()
                }
            }
            Button { text: qsTr("Reset all"); onClicked: { volume.reset(); userName.reset(); notes.reset() } }
        }
        ListView {
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: notes.value
            delegate: Label { required property string modelData; text: "• " + modelData }
        }
    }

    // Used by the tests: change every kind of value, then quit.
    Timer {
        running: smokeTest
        interval: 100
        onTriggered: {
            volume.value = 0.25
            userName.value = "Smoke"
            notes.value = ["first", "second"]
            window.width = 640
            Qt.quit()
        }
    }
}
