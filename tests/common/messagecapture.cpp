// SPDX-License-Identifier: MIT
#include "messagecapture.h"

#include <QtCore/QMutex>

namespace {
QMutex captureMutex;
MessageCapture *current = nullptr; // guarded by captureMutex
} // namespace

MessageCapture::MessageCapture(const QString &filterRules, Passing passing)
    : m_setRules(!filterRules.isEmpty()), m_passing(passing)
{
    {
        QMutexLocker lock(&captureMutex);
        Q_ASSERT(!current);
        current = this;
    }
    m_previous = qInstallMessageHandler(&MessageCapture::handle);
    if (m_setRules)
        QLoggingCategory::setFilterRules(filterRules);
}

MessageCapture::~MessageCapture()
{
    if (m_setRules)
        QLoggingCategory::setFilterRules(QString());
    qInstallMessageHandler(m_previous);
    QMutexLocker lock(&captureMutex);
    current = nullptr;
}

QStringList MessageCapture::messages() const
{
    QMutexLocker lock(&captureMutex);
    return m_messages;
}

void MessageCapture::handle(QtMsgType type, const QMessageLogContext &context, const QString &text)
{
    QtMessageHandler next = nullptr;
    {
        QMutexLocker lock(&captureMutex);
        if (!current)
            return;
        current->m_messages.append(text);
        if (current->m_passing == Passing::ToPreviousHandler)
            next = current->m_previous;
    }
    if (next)
        next(type, context, text);
}
