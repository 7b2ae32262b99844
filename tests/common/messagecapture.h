// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QLoggingCategory>
#include <QtCore/QStringList>

// Collects every message logged while it lives, from any thread: to prove that something was
// logged (a decision, a timing) or that nothing logged holds a secret. One at a time.
//
// With filterRules, those logging categories are on meanwhile (QLoggingCategory::setFilterRules()).
// Messages also go on to the handler installed before, QTest's, which prints them and applies
// failOnWarning() and ignoreMessage(), unless \a passing is Keep.
class MessageCapture
{
public:
    enum class Passing { ToPreviousHandler, Keep };

    explicit MessageCapture(const QString &filterRules = QString(),
                            Passing passing = Passing::ToPreviousHandler);
    ~MessageCapture();
    Q_DISABLE_COPY_MOVE(MessageCapture)

    QStringList messages() const;

private:
    static void handle(QtMsgType type, const QMessageLogContext &context, const QString &text);

    const bool m_setRules;
    const Passing m_passing;
    QtMessageHandler m_previous = nullptr;
    QStringList m_messages; // guarded by the handler's mutex
};
