// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/varmanager.h>

#include <QtGui/QColor>
#include <QtWidgets/QDialog>

QT_BEGIN_NAMESPACE
class QCheckBox;
class QComboBox;
class QLineEdit;
class QPushButton;
class QSpinBox;
QT_END_NAMESPACE

// A preferences dialog in which every field is a persistent variable. The widgets edit copies:
// OK writes them all with one sync, Cancel reloads the widgets from the variables, and
// "Restore Defaults" resets the variables.
class PreferencesDialog : public QDialog
{
    Q_OBJECT

public:
    enum class Theme { System, Light, Dark };
    Q_ENUM(Theme) // stored by name: the store shows "Dark", not 2

    explicit PreferencesDialog(PersistVar::VarManager *manager, QWidget *parent = nullptr);

    void accept() override;
    void reject() override;

private:
    void loadFromVariables();
    void restoreDefaults();
    void chooseColor();
    void showColor(const QColor &color);

    PersistVar::VarManager *m_manager;
    PersistVar::Var<QString> *m_name;
    PersistVar::Var<int> *m_fontSize;
    PersistVar::Var<bool> *m_autosave;
    PersistVar::Var<Theme> *m_theme;
    PersistVar::Var<QString> *m_color; // "#rrggbb", readable in any store
    PersistVar::Var<QByteArray> *m_geometry; // QWidget::saveGeometry()

    QLineEdit *m_nameEdit;
    QSpinBox *m_fontSizeSpinBox;
    QCheckBox *m_autosaveCheckBox;
    QComboBox *m_themeComboBox;
    QPushButton *m_colorButton;
    QColor m_chosenColor;
};
