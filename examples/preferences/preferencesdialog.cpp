// SPDX-License-Identifier: MIT
#include "preferencesdialog.h"

#include <QtCore/QMetaEnum>
#include <QtGui/QPixmap>
#include <QtWidgets/QCheckBox>
#include <QtWidgets/QColorDialog>
#include <QtWidgets/QComboBox>
#include <QtWidgets/QDialogButtonBox>
#include <QtWidgets/QFormLayout>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QMessageBox>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QSpinBox>

namespace {
// The variable for \a key. A stored value that does not decode (a file edited by hand) is
// reported, and the variable serves its default until the user saves a new value.
template<typename T>
PersistVar::Var<T> *variable(PersistVar::VarManager *manager, const char *key,
                             const T &defaultValue)
{
    auto var = manager->var<T>(QString::fromLatin1(key), defaultValue);
    if (!var.isOk())
        qWarning().noquote() << var.error().toString();
    return var.value();
}
} // namespace

PreferencesDialog::PreferencesDialog(PersistVar::VarManager *manager, QWidget *parent)
    : QDialog(parent)
    , m_manager(manager)
    , m_name(variable(manager, "name", QString()))
    , m_fontSize(variable(manager, "editor/fontSize", 11))
    , m_autosave(variable(manager, "editor/autosave", true))
    , m_theme(variable(manager, "appearance/theme", Theme::System))
    , m_color(variable(manager, "appearance/color", QStringLiteral("#2a82da")))
    , m_geometry(variable(manager, "window/geometry", QByteArray()))
    , m_nameEdit(new QLineEdit)
    , m_fontSizeSpinBox(new QSpinBox)
    , m_autosaveCheckBox(new QCheckBox(tr("Save documents automatically")))
    , m_themeComboBox(new QComboBox)
    , m_colorButton(new QPushButton)
{
    setWindowTitle(tr("Preferences"));
    m_nameEdit->setObjectName(QStringLiteral("name"));
    m_nameEdit->setPlaceholderText(tr("Your name"));
    m_fontSizeSpinBox->setRange(6, 72);
    m_fontSizeSpinBox->setSuffix(tr(" pt"));
    const QMetaEnum themes = QMetaEnum::fromType<Theme>();
    for (int i = 0; i < themes.keyCount(); ++i)
        m_themeComboBox->addItem(QString::fromLatin1(themes.key(i)), themes.value(i));
    connect(m_colorButton, &QPushButton::clicked, this, &PreferencesDialog::chooseColor);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel
                                         | QDialogButtonBox::RestoreDefaults);
    connect(buttons, &QDialogButtonBox::accepted, this, &PreferencesDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &PreferencesDialog::reject);
    connect(buttons->button(QDialogButtonBox::RestoreDefaults), &QPushButton::clicked, this,
            &PreferencesDialog::restoreDefaults);

    auto *form = new QFormLayout(this);
    form->addRow(tr("&Name:"), m_nameEdit);
    form->addRow(tr("&Font size:"), m_fontSizeSpinBox);
    form->addRow(QString(), m_autosaveCheckBox);
    form->addRow(tr("&Theme:"), m_themeComboBox);
    form->addRow(tr("&Accent color:"), m_colorButton);
    form->addRow(buttons);

    loadFromVariables();
    if (const QByteArray geometry = m_geometry->get(); !geometry.isEmpty())
        restoreGeometry(geometry);
}

void PreferencesDialog::loadFromVariables()
{
    m_nameEdit->setText(m_name->get());
    m_fontSizeSpinBox->setValue(m_fontSize->get());
    m_autosaveCheckBox->setChecked(m_autosave->get());
    m_themeComboBox->setCurrentIndex(m_themeComboBox->findData(int(m_theme->get())));
    showColor(QColor::fromString(m_color->get()));
}

void PreferencesDialog::accept()
{
    // setLazy() only changes memory; sync() then writes every changed variable in one batch
    // (one transaction on SQL stores). A value equal to its default removes the stored entry.
    m_name->setLazy(m_nameEdit->text());
    m_fontSize->setLazy(m_fontSizeSpinBox->value());
    m_autosave->setLazy(m_autosaveCheckBox->isChecked());
    m_theme->setLazy(Theme(m_themeComboBox->currentData().toInt()));
    m_color->setLazy(m_chosenColor.name());
    m_geometry->setLazy(saveGeometry());
    if (const auto synced = m_manager->sync(); !synced.isOk()) {
        // The values stay pending, so OK can simply be pressed again.
        QMessageBox::warning(
            this, windowTitle(),
            tr("The preferences could not be saved:\n%1").arg(synced.error().toString()));
        return;
    }
    QDialog::accept();
}

void PreferencesDialog::reject()
{
    loadFromVariables(); // forget the edits; nothing was written
    QDialog::reject();
}

void PreferencesDialog::restoreDefaults()
{
    // reset() removes the stored value at once. The window geometry is not a preference.
    const QList<PersistVar::VarBase *> preferences{m_name, m_fontSize, m_autosave, m_theme,
                                                   m_color};
    for (PersistVar::VarBase *var : preferences) {
        if (const auto reset = var->reset(); !reset.isOk())
            qWarning().noquote() << reset.error().toString();
    }
    loadFromVariables();
}

void PreferencesDialog::chooseColor()
{
    const QColor color = QColorDialog::getColor(m_chosenColor, this, tr("Accent Color"));
    if (color.isValid())
        showColor(color);
}

void PreferencesDialog::showColor(const QColor &color)
{
    m_chosenColor = color.isValid() ? color : QColor(Qt::gray);
    QPixmap swatch(16, 16);
    swatch.fill(m_chosenColor);
    m_colorButton->setIcon(swatch);
    m_colorButton->setText(m_chosenColor.name());
}
