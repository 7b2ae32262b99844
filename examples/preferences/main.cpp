// SPDX-License-Identifier: MIT
// A Qt Widgets preferences dialog whose fields are persistent variables: a line edit, a spin box,
// a check box, a combo box for a Q_ENUM (stored by name), a color button and the window geometry.
// OK writes every change in one sync, Cancel forgets the edits, "Restore Defaults" resets the
// variables. Run it twice: the second time it shows what the first one saved.
//
//   preferences               the embedded default store (SQLite in the app data folder)
//   preferences STORE         any store name, e.g. ini:/tmp/preferences.ini, sqlite:/tmp/p.db
//
// Inspect the store with the persistvar tool: persistvar ini:/tmp/preferences.ini list
#include "preferencesdialog.h"

#include <QtCore/QCommandLineParser>
#include <QtCore/QTimer>
#include <QtWidgets/QApplication>
#include <QtWidgets/QDialogButtonBox>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QPushButton>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("PersistVar"));
    QApplication::setApplicationName(QStringLiteral("preferences"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("A preferences dialog bound to persistent "
                                                    "variables."));
    parser.addHelpOption();
    const QCommandLineOption smokeTest(QStringLiteral("smoke-test"),
                                       QStringLiteral("Types \"Smoke\" as the name, clicks OK and "
                                                      "exits (for automated tests)."));
    parser.addOption(smokeTest);
    parser.addPositionalArgument(QStringLiteral("store"),
                                 QStringLiteral("The store, e.g. sqlite:/tmp/p.db (default: the "
                                                "embedded default store)."),
                                 QStringLiteral("[store]"));
    parser.process(app);

    auto manager = PersistVar::VarManager::open(parser.positionalArguments().value(0));
    if (!manager.isOk()) {
        qCritical().noquote() << manager.error().toString();
        return 1;
    }

    PreferencesDialog dialog(manager.value().get());
    if (parser.isSet(smokeTest)) {
        // Drive the real widgets once the dialog is up, as a user would.
        QTimer::singleShot(0, &dialog, [&dialog] {
            dialog.findChild<QLineEdit *>(QStringLiteral("name"))->setText(QStringLiteral("Smoke"));
            dialog.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok)->click();
        });
    }
    const int result = dialog.exec();
    const bool closed = manager.value()->close().isOk();
    if (parser.isSet(smokeTest))
        return result == QDialog::Accepted && closed ? 0 : 1;
    return closed ? 0 : 1;
}
