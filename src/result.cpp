// SPDX-License-Identifier: MIT
#include <persistvar/result.h>

namespace PersistVar {

QString errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::NoError:
        return QStringLiteral("NoError");
    case ErrorCode::NotFound:
        return QStringLiteral("NotFound");
    case ErrorCode::TypeMismatch:
        return QStringLiteral("TypeMismatch");
    case ErrorCode::DecodeFailed:
        return QStringLiteral("DecodeFailed");
    case ErrorCode::StorageFailed:
        return QStringLiteral("StorageFailed");
    case ErrorCode::Conflict:
        return QStringLiteral("Conflict");
    case ErrorCode::Closed:
        return QStringLiteral("Closed");
    case ErrorCode::InvalidKey:
        return QStringLiteral("InvalidKey");
    case ErrorCode::InvalidArgument:
        return QStringLiteral("InvalidArgument");
    case ErrorCode::NotSupported:
        return QStringLiteral("NotSupported");
    case ErrorCode::Locked:
        return QStringLiteral("Locked");
    }
    return QStringLiteral("Unknown");
}

QString Error::toString() const
{
    if (!isError())
        return QStringLiteral("no error");
    if (m_key.isEmpty())
        return QStringLiteral("%1: %2").arg(errorCodeName(m_code), m_message);
    // Keys can be arbitrarily long; a log line should stay readable.
    QString shownKey = m_key;
    if (shownKey.size() > 120)
        shownKey = shownKey.left(100) + QStringLiteral("... (%1 characters)").arg(m_key.size());
    return QStringLiteral("%1: key \"%2\": %3").arg(errorCodeName(m_code), shownKey, m_message);
}

QDebug operator<<(QDebug debug, const Error &error)
{
    QDebugStateSaver saver(debug);
    debug.noquote() << "PersistVar::Error(" << error.toString() << ')';
    return debug;
}

} // namespace PersistVar
