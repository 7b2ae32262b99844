// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/storage.h>

#include <QtCore/QString>

#include <chrono>

// The commands of the persistvar tool. Each prints its result on standard output, its errors
// on standard error, and returns the process exit status.
namespace Commands {

enum ExitStatus : int {
    ExitSuccess = 0,
    ExitFailure = 1, // the operation failed: missing key, storage error
    ExitUsage = 2, // the request was wrong: arguments, store name, JSON
};

enum class StringOutput { Json, Raw };
enum class ValueParsing { TypedJson, String };

// "persistvar: message" on standard error.
void printError(const QString &message);

int list(PersistVar::Storage &storage);
int get(PersistVar::Storage &storage, const QString &key, StringOutput output);
int set(PersistVar::Storage &storage, const QString &key, const QString &value,
        ValueParsing parsing);
int remove(PersistVar::Storage &storage, const QString &key);
// An empty \a fileName or "-" is standard output (export) or standard input (import).
int exportValues(PersistVar::Storage &storage, const QString &fileName);
int importValues(PersistVar::Storage &storage, const QString &fileName);
int copy(PersistVar::Storage &from, PersistVar::Storage &to);
// Prints changes until SIGINT or SIGTERM, from the backend's live changes or, where it has
// none, by reading the store every \a interval. Needs a QCoreApplication.
int watch(PersistVar::Storage &storage, std::chrono::milliseconds interval);

} // namespace Commands
