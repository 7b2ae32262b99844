// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/persistvar_export.h>

#include <QtCore/QDebug>
#include <QtCore/QMetaType>
#include <QtCore/QString>

#include <utility>

namespace PersistVar {

/*!
 * \brief What went wrong in a fallible PersistVar call.
 *
 * Every backend maps its native errors (QSettings::Status, QSqlError, QFileDevice::FileError)
 * onto these codes in one place, so application code can react to the code and show the message.
 */
enum class ErrorCode {
    NoError = 0, //!< The call succeeded.
    NotFound, //!< The key is not in the store (Storage::load only; variables serve their default).
    TypeMismatch, //!< The key is already in use by a variable of another type.
    DecodeFailed, //!< The stored bytes could not be decoded into the variable's type.
    StorageFailed, //!< The store could not be opened, read or written (I/O, permissions, server down).
    Conflict, //!< Compare-and-swap refused the write: the stored value changed since it was read.
    Closed, //!< The manager or storage was closed.
    InvalidKey, //!< The key is empty or otherwise unusable.
    InvalidArgument, //!< A store name, table name or other argument is malformed.
    NotSupported, //!< The backend does not implement this operation.
    Locked, //!< A read-only layer locks the key: the value cannot be changed.
};

/*!
 * \brief An error code plus a message that names the key and the cause.
 *
 * A default-constructed Error means success and costs no allocation, so returning it on the hot
 * path is free. Errors are plain values: safe to copy across threads.
 */
class Error
{
public:
    /*! Success: no error. */
    Error() = default;
    /*! An error with \a code about \a key, with \a message saying what went wrong. */
    Error(ErrorCode code, QString key, QString message)
        : m_code(code), m_key(std::move(key)), m_message(std::move(message))
    {
    }

    /*! The error code; ErrorCode::NoError for success. */
    ErrorCode code() const { return m_code; }
    /*! True when this describes a failure. */
    bool isError() const { return m_code != ErrorCode::NoError; }
    /*! The key the error concerns; may be empty for store-wide errors. */
    QString key() const { return m_key; }
    /*! The cause, in words, without the key (see toString()). */
    QString message() const { return m_message; }
    /*! A complete sentence for logs and dialogs: code, key and cause. */
    PERSISTVAR_EXPORT QString toString() const;

    /*! Errors are equal when code, key and message are. */
    friend bool operator==(const Error &a, const Error &b)
    {
        return a.m_code == b.m_code && a.m_key == b.m_key && a.m_message == b.m_message;
    }
    /*! The opposite of operator==(). */
    friend bool operator!=(const Error &a, const Error &b) { return !(a == b); }

private:
    ErrorCode m_code = ErrorCode::NoError;
    QString m_key;
    QString m_message;
};

/*! The name of an error code, for example "Conflict". */
PERSISTVAR_EXPORT QString errorCodeName(ErrorCode code);

PERSISTVAR_EXPORT QDebug operator<<(QDebug debug, const Error &error);

/*!
 * \brief The outcome of a fallible call: a value, an error, or (rarely) both.
 *
 * \c isOk() is true when there is no error. A few calls return a usable value together with an
 * error: VarManager::var() returns the variable serving its default when the stored bytes could
 * not be decoded (ErrorCode::DecodeFailed). Such calls say so in their documentation.
 *
 * \code
 * PersistVar::Result<QByteArray> r = storage.load("volume");
 * if (!r.isOk())
 *     qWarning() << r.error();
 * \endcode
 */
template<typename T>
class Result
{
public:
    /*! Success with \a value. */
    Result(T value) : m_value(std::move(value)) { }
    /*! Failure with \a error; value() is a default-constructed \c T. */
    Result(Error error) : m_value(), m_error(std::move(error)) { }
    /*! A usable \a value together with an \a error (see the class description). */
    Result(T value, Error error) : m_value(std::move(value)), m_error(std::move(error)) { }

    /*! True when there is no error. */
    bool isOk() const { return !m_error.isError(); }
    /*! The error; a default Error on success. */
    const Error &error() const { return m_error; }
    /*! Shorthand for error().code(). */
    ErrorCode errorCode() const { return m_error.code(); }
    /*! The value. */
    const T &value() const & { return m_value; }
    /*! The value, moved out (for move-only types such as std::unique_ptr). */
    T &&value() && { return std::move(m_value); }
    /*! The value, or \a fallback when there is an error. */
    T valueOr(T fallback) const { return isOk() ? m_value : std::move(fallback); }

private:
    T m_value;
    Error m_error;
};

/*! \brief The outcome of a fallible call that returns nothing: success or an Error. */
template<>
class Result<void>
{
public:
    /*! Success. */
    Result() = default;
    /*! Failure with \a error. */
    Result(Error error) : m_error(std::move(error)) { }
    /*! True when there is no error. */
    bool isOk() const { return !m_error.isError(); }
    /*! The error; a default Error on success. */
    const Error &error() const { return m_error; }
    /*! Shorthand for error().code(). */
    ErrorCode errorCode() const { return m_error.code(); }

private:
    Error m_error;
};

} // namespace PersistVar

Q_DECLARE_METATYPE(PersistVar::Error)
