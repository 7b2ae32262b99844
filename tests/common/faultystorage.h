// SPDX-License-Identifier: MIT
#pragma once

#include <persistvar/storage.h>

#include <QtCore/QList>
#include <QtCore/QMutex>
#include <QtCore/QSet>
#include <QtCore/QString>

#include <memory>
#include <optional>

// A Storage decorator over a real backend that fails chosen operations, for fault tests.
//
// It is not a mock: every operation it does not fail is forwarded to the real store underneath
// (opened with PersistVar::openStorage()), so what survives a fault is what the real backend
// really stored. An injected failure is ErrorCode::StorageFailed naming the key, with a message
// that starts with "injected fault". Faults can be set, changed and healed at any time, from any
// thread; injectedFailures() lists every failure handed out, so a test can prove that the manager
// reported each one exactly once.
//
//   auto faulty = std::make_unique<FaultyStorage>(store.openStorage());
//   FaultyStorage *faults = faulty.get();
//   PersistVar::VarManager manager(std::move(faulty));
//   faults->failNthSave(2);       // the second write from now on fails, once
//   ...
//   faults->heal();               // everything works again
class FaultyStorage : public PersistVar::Storage
{
public:
    explicit FaultyStorage(std::unique_ptr<PersistVar::Storage> inner);
    ~FaultyStorage() override;
    Q_DISABLE_COPY_MOVE(FaultyStorage)

    // The real store underneath.
    PersistVar::Storage *inner() const { return m_inner.get(); }

    // The n-th write from now on (1-based) fails, once. Writes are counted one per save(),
    // saveUnconditionally() or remove() call and one per saveBatch() entry, in order.
    void failNthSave(int n);
    // Every load() of key fails, and so does every loadAll() (VarManager then loads key by key,
    // so the key's own load fails). A failed loadAll() is not listed in injectedFailures(): it
    // is an optimisation the manager silently does without.
    void failLoadsOf(const QString &key);
    // Every write of key fails: save(), saveUnconditionally(), remove() and saveBatch() entries.
    void failSavesOf(const QString &key);
    // Only saveBatch() entries of key fail; single writes (Var::set(), Var::sync()) go through.
    void failBatchEntriesOf(const QString &key);
    // Every saveBatch() fails as a whole, as a rolled-back transaction: nothing of it reaches
    // the real store and every entry reports the failure.
    void failWholeBatches();
    // close() closes the real store, then reports a failure.
    void failClose();
    // Removes every fault.
    void heal();

    // Every failure injected so far, in order.
    QList<PersistVar::Error> injectedFailures() const;
    int injectedCount() const;
    // Writes seen (counted as for failNthSave()), whether they failed or not.
    int writeCount() const;

    PersistVar::Result<QByteArray> load(const QString &key) override;
    PersistVar::Result<void> save(const QString &key, const QByteArray &newValue,
                                  const std::optional<QByteArray> &oldValue) override;
    PersistVar::Result<void> saveUnconditionally(const QString &key,
                                                 const QByteArray &newValue) override;
    PersistVar::Result<void> remove(const QString &key) override;
    PersistVar::Result<void> close() override;
    QList<PersistVar::Error> saveBatch(const QList<PersistVar::StorageWrite> &writes) override;
    PersistVar::Result<QHash<QString, QByteArray>> loadAll() override;
    PersistVar::Result<QStringList> keys() override;
    PersistVar::Result<void> startWatching(QObject *context, ChangeCallback callback) override;
    void stopWatching() override;
    bool isSafeFromAnyThread() const override;
    QString description() const override;

private:
    enum class WriteKind { Single, BatchEntry };
    // Counts one write of key and returns the injected failure, or std::nullopt to let it pass.
    std::optional<PersistVar::Error> checkWrite(const QString &key, WriteKind kind);
    PersistVar::Error inject(const QString &key, const QString &what);

    std::unique_ptr<PersistVar::Storage> const m_inner;
    mutable QMutex m_mutex;
    int m_writes = 0;
    int m_failAtWrite = 0; // 0: none
    QSet<QString> m_failingLoads;
    QSet<QString> m_failingSaves;
    QSet<QString> m_failingBatchEntries;
    bool m_failWholeBatches = false;
    bool m_failClose = false;
    QList<PersistVar::Error> m_injected;
};
