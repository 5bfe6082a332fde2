//! The embedded queue backend: a [fjall](https://docs.rs/fjall) database (an LSM tree with a
//! checksummed journal) in `[queue] dir`, one process per directory.
//!
//! Keyspaces, both keyed by the 16-byte [`MessageId`]: `message` (one record: state, attempts,
//! due time, and the upstream request head; `record`) and `body` (the exact body, key-value
//! separated so bodies stay out of the index). Every change of a message is one atomic fjall
//! batch over the keyspaces it touches. A directory written by an earlier version (separate
//! `head` and `meta` keyspaces) is migrated when opened (`disk_migrate`).
//!
//! **Group commit.** Appends go to one committer thread over a bounded channel. The committer
//! takes every append already waiting (up to [`DiskOptions::max_batch`] messages or
//! [`DiskOptions::max_batch_bytes`]), writes them as one batch with `PersistMode::SyncData` (one
//! journal `fdatasync`), and only then answers each waiter. While one sync runs, the next
//! batch gathers, so throughput is not capped at one sync per request.
//!
//! Other changes (ack, retry, dead letter) are journal writes without a sync of their own: the
//! next append's sync carries them, and losing one in a power cut can only cause a redelivery or
//! a repeated attempt. Admin mutations (replay, drop) sync before they return.
//!
//! **Coalesced acks.** An ack takes the message out of the in-memory index at once (no blocking
//! hand-off) and queues its key for removal; the next [`QueueStore::lease_due`] (any worker's,
//! already on a blocking thread) or closing the queue removes every queued key in one fjall
//! batch. So a worker's cycle is one blocking hand-off and one batch instead of two of each.
//! A removal still queued, or written but not yet synced, when the process dies is lost: the
//! message comes back on the next open and is delivered again (at least once; never a loss).
//!
//! Scheduling state lives in memory (one process owns the directory): on open the `message`
//! keyspace is scanned once (small records, no bodies; the heads are skipped, not decoded) and
//! every pending message, including one leased when the previous process died, is due again.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::SystemTime;

use async_trait::async_trait;
use bytes::Bytes;
use fjall::{Database, Keyspace, KeyspaceCreateOptions, KvSeparationOptions, PersistMode};
use tokio::sync::{oneshot, Notify};

use super::disk_hot::HotSet;
use super::disk_migrate::migrate_v1;
use super::record::{
    decode_message_head, encode_message, reencode_message, MetaRecord, MESSAGE_VERSION,
};
use super::store::{
    from_unix_ms, unix_ms, ListFilter, MessageId, MessageInfo, MessageState, NewMessage,
    QueueError, QueueStats, QueueStore, RouteStats, StoredHead, StoredMessage, Wakeups,
};

/// Settings of a [`DiskQueue`].
#[derive(Clone, Debug)]
pub struct DiskOptions {
    /// The database directory (created if missing).
    pub dir: PathBuf,
    /// Bytes all held messages may take ([`NewMessage::charged_bytes`]); past it appends fail
    /// with [`QueueError::Full`].
    pub max_bytes: u64,
    /// Most appends one group commit takes.
    pub max_batch: usize,
    /// Most body bytes one group commit takes (the first append is always taken).
    pub max_batch_bytes: usize,
    /// Appends waiting for the committer at once; past it appends fail with
    /// [`QueueError::Unavailable`] (back-pressure instead of unbounded memory).
    pub max_waiting: usize,
    /// Charged bytes of committed messages whose head and body stay in memory until their
    /// first lease, so a worker keeping up with the appends does not read them back from disk
    /// (0: always read from disk).
    pub hot_bytes: u64,
}

impl DiskOptions {
    /// Defaults for everything but the directory and the byte budget.
    pub fn new(dir: impl Into<PathBuf>, max_bytes: u64) -> Self {
        DiskOptions {
            dir: dir.into(),
            max_bytes,
            max_batch: 512,
            max_batch_bytes: 32 << 20,
            max_waiting: 4096,
            hot_bytes: QUEUE_HOT_BYTES,
        }
    }
}

/// The embedded, crash-safe queue (see the module docs).
pub struct DiskQueue {
    shared: Arc<Shared>,
    jobs: Option<SyncSender<Job>>,
    committer: Option<JoinHandle<()>>,
}

struct Shared {
    db: Database,
    /// Message records (bookkeeping and head), small.
    messages: Keyspace,
    bodies: Keyspace,
    index: Mutex<Index>,
    max_bytes: u64,
    syncs: AtomicU64,
    /// Messages read back from disk (a lease or `show` that the hot set did not answer).
    reads: AtomicU64,
    /// Keys of acked messages, out of the index, whose disk removal is still to be written.
    acked: Mutex<Vec<MessageId>>,
    /// fjall batches written to remove acked messages.
    ack_batches: AtomicU64,
    wakeups: Wakeups,
}

struct Entry {
    meta: MetaRecord,
    leased: bool,
}

impl Entry {
    fn state(&self) -> MessageState {
        if self.meta.dead {
            MessageState::Dead
        } else if self.leased {
            MessageState::Leased
        } else {
            MessageState::Pending
        }
    }
}

#[derive(Default)]
struct RouteIndex {
    /// Pending (not leased) messages by due time.
    due: BTreeSet<(u64, MessageId)>,
    /// Pending and leased messages: the first is the oldest not yet delivered.
    live: BTreeSet<MessageId>,
    leased: u64,
    dead: u64,
}

#[derive(Default)]
struct Index {
    messages: BTreeMap<MessageId, Entry>,
    routes: HashMap<String, RouteIndex>,
    /// Bytes of held messages plus appends not yet committed (reserved).
    bytes: u64,
    last_id: u128,
    /// Committed messages not yet leased, served without a disk read (`disk_hot`).
    hot: HotSet,
}

impl Index {
    fn next_id(&mut self, now_ms: u64) -> MessageId {
        let id = (self.last_id + 1).max(u128::from(now_ms) << 64);
        self.last_id = id;
        MessageId(id)
    }

    /// Files `entry` under its route's sets.
    fn insert(&mut self, id: MessageId, entry: Entry) {
        let route = self.routes.entry(entry.meta.route.clone()).or_default();
        if entry.meta.dead {
            route.dead += 1;
        } else {
            route.live.insert(id);
            if entry.leased {
                route.leased += 1;
            } else {
                route.due.insert((entry.meta.due_ms, id));
            }
        }
        self.bytes += entry.meta.size;
        self.messages.insert(id, entry);
    }

    /// Unfiles and returns `id`'s entry.
    fn remove(&mut self, id: MessageId) -> Option<Entry> {
        let entry = self.messages.remove(&id)?;
        let route = self
            .routes
            .get_mut(&entry.meta.route)
            .expect("every entry's route is indexed");
        if entry.meta.dead {
            route.dead -= 1;
        } else {
            route.live.remove(&id);
            if entry.leased {
                route.leased -= 1;
            } else {
                route.due.remove(&(entry.meta.due_ms, id));
            }
        }
        self.bytes -= entry.meta.size;
        self.hot.forget(&id);
        Some(entry)
    }

    fn info(&self, id: MessageId) -> Option<MessageInfo> {
        self.messages.get(&id).map(|e| info_of(id, e))
    }
}

fn info_of(id: MessageId, entry: &Entry) -> MessageInfo {
    MessageInfo {
        id,
        route: entry.meta.route.clone(),
        state: entry.state(),
        attempts: entry.meta.attempts,
        created_at: from_unix_ms(entry.meta.created_ms),
        next_due: from_unix_ms(entry.meta.due_ms),
        size: entry.meta.size,
        event_id: entry.meta.event_id.clone(),
        last_error: entry.meta.last_error.clone(),
    }
}

struct Job {
    id: MessageId,
    meta: MetaRecord,
    /// The encoded message record (what is written).
    record: Vec<u8>,
    /// The head itself, kept in the hot set after the commit.
    head: StoredHead,
    body: Bytes,
    reply: oneshot::Sender<Result<(), QueueError>>,
}

fn io(e: impl std::fmt::Display) -> QueueError {
    QueueError::Unavailable(e.to_string())
}

/// Largest memtable of the `body` keyspace, in bytes. With the sizes below (8 MiB each and an
/// 8 MiB cache before) the gateway's RSS after load went from 71–83 to 38–56 MiB for 1.03–1.06×
/// the CPU per ack (more, smaller flushes; bench/FINDINGS.md §14).
const QUEUE_BODY_MEMTABLE_BYTES: u64 = 4 * 1024 * 1024;
/// Largest memtable of the `message` keyspace (small records), in bytes: the 2 + 2 MiB that the
/// `head` and `meta` keyspaces of layout 1 had, so records flush as often as before and the
/// store's memory bound is unchanged.
const QUEUE_RECORD_MEMTABLE_BYTES: u64 = 4 * 1024 * 1024;
/// The queue's block cache, in bytes (reads are rare: a message is read once per attempt, and
/// not at all when the hot set answers its first lease).
const QUEUE_CACHE_BYTES: u64 = 4 * 1024 * 1024;
/// Default [`DiskOptions::hot_bytes`].
const QUEUE_HOT_BYTES: u64 = 2 * 1024 * 1024;
/// Acked removals that may wait before a lease takes the blocking path to write them: bounds
/// what a crash can redeliver while the hot path serves every lease.
const ACKS_BEFORE_FLUSH: usize = 64;

impl DiskQueue {
    /// Opens (or creates) the queue in `options.dir` and starts its committer thread. Every
    /// pending message, including those leased when the previous process stopped, is due again.
    ///
    /// Errors: [`QueueError::Unavailable`] when the directory cannot be created or opened (for
    /// example, another process holds it); [`QueueError::Corrupt`] for an unreadable record.
    pub fn open(options: DiskOptions) -> Result<DiskQueue, QueueError> {
        std::fs::create_dir_all(&options.dir)
            .map_err(|e| io(format!("cannot create {}: {e}", options.dir.display())))?;
        // fjall's defaults (a 64 MiB memtable per keyspace, a 32 MiB block cache) let a queue
        // route's gateway grow past 250 MiB RSS under load (bench/FINDINGS.md §5): too much for a
        // sidecar. Small memtables flush more often, which an append-then-delete queue can afford;
        // the store then holds about BODY + RECORD memtables (plus those sealed and waiting
        // for their flush) + CACHE in memory, and the hot set `hot_bytes` more.
        let db = Database::builder(&options.dir)
            .cache_size(QUEUE_CACHE_BYTES)
            .open()
            .map_err(|e| io(format!("cannot open {}: {e}", options.dir.display())))?;
        let small =
            || KeyspaceCreateOptions::default().max_memtable_size(QUEUE_RECORD_MEMTABLE_BYTES);
        let messages = db.keyspace("message", small).map_err(io)?;
        let bodies = db
            .keyspace("body", || {
                KeyspaceCreateOptions::default()
                    .max_memtable_size(QUEUE_BODY_MEMTABLE_BYTES)
                    .with_kv_separation(Some(KvSeparationOptions::default()))
            })
            .map_err(io)?;
        migrate_v1(&db, &messages, small)?;

        let mut index = Index {
            hot: HotSet::new(options.hot_bytes),
            ..Index::default()
        };
        for guard in messages.iter() {
            let (key, value) = guard.into_inner().map_err(io)?;
            let id =
                MessageId::from_key(&key).ok_or_else(|| io("a message key is not 16 bytes"))?;
            let meta = MetaRecord::decode(id, &value, MESSAGE_VERSION)?;
            index.last_id = index.last_id.max(id.0);
            index.insert(
                id,
                Entry {
                    meta,
                    leased: false,
                },
            );
        }

        let shared = Arc::new(Shared {
            db,
            messages,
            bodies,
            index: Mutex::new(index),
            max_bytes: options.max_bytes,
            syncs: AtomicU64::new(0),
            reads: AtomicU64::new(0),
            acked: Mutex::new(Vec::new()),
            ack_batches: AtomicU64::new(0),
            wakeups: Wakeups::default(),
        });
        let (jobs, receiver) = mpsc::sync_channel(options.max_waiting.max(1));
        let committer = {
            let shared = shared.clone();
            let (max_batch, max_bytes) = (options.max_batch.max(1), options.max_batch_bytes);
            std::thread::Builder::new()
                .name("hookgate-queue-commit".into())
                .spawn(move || shared.commit_loop(receiver, max_batch, max_bytes))
                .map_err(io)?
        };
        Ok(DiskQueue {
            shared,
            jobs: Some(jobs),
            committer: Some(committer),
        })
    }

    /// Journal syncs (`fdatasync`) made so far by group commits and admin mutations. With N
    /// concurrent appends this grows by far fewer than N.
    pub fn sync_count(&self) -> u64 {
        self.shared.syncs.load(Ordering::SeqCst)
    }

    /// Messages read back from disk so far (leases and `show`s the hot set did not answer).
    pub fn disk_read_count(&self) -> u64 {
        self.shared.reads.load(Ordering::SeqCst)
    }

    /// Charged bytes of the messages held in memory for their first lease (the hot set).
    pub fn hot_bytes(&self) -> u64 {
        self.shared.index().hot.bytes()
    }

    /// fjall batches written so far to remove acked messages. Acks are coalesced (module docs):
    /// N acks between two leases cost one batch, not N.
    pub fn ack_batch_count(&self) -> u64 {
        self.shared.ack_batches.load(Ordering::SeqCst)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Shared) -> Result<T, QueueError> + Send + 'static,
    ) -> Result<T, QueueError> {
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || f(&shared))
            .await
            .map_err(|e| io(format!("queue task failed: {e}")))?
    }
}

impl Drop for DiskQueue {
    fn drop(&mut self) {
        // Closing the channel ends the committer after the appends already sent.
        self.jobs.take();
        if let Err(e) = self.shared.flush_acks() {
            tracing::error!(error = %e, "queue ack removal failed at close; redelivered on reopen");
        }
        if let Some(committer) = self.committer.take() {
            let _ = committer.join();
        }
    }
}

impl Shared {
    fn index(&self) -> MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn commit_loop(&self, receiver: Receiver<Job>, max_batch: usize, max_bytes: usize) {
        while let Ok(first) = receiver.recv() {
            let mut bytes = first.body.len();
            let mut jobs = vec![first];
            while jobs.len() < max_batch && bytes < max_bytes {
                match receiver.try_recv() {
                    Ok(job) => {
                        bytes += job.body.len();
                        jobs.push(job);
                    }
                    Err(_) => break,
                }
            }
            let result = self.write_appends(&jobs);
            self.settle(jobs, result);
        }
    }

    /// Writes `jobs` as one batch with one journal `fdatasync` (the acknowledgement point).
    fn write_appends(&self, jobs: &[Job]) -> fjall::Result<()> {
        let mut batch = self.db.batch().durability(Some(PersistMode::SyncData));
        for job in jobs {
            let key = job.id.to_key();
            batch.insert(&self.messages, &key[..], job.record.as_slice());
            batch.insert(&self.bodies, &key[..], &job.body[..]);
        }
        let result = batch.commit();
        self.syncs.fetch_add(1, Ordering::SeqCst);
        result
    }

    /// Files committed appends in the index (and their heads and bodies in the hot set), then
    /// answers every waiter; on failure releases their reservations and answers the error.
    fn settle(&self, jobs: Vec<Job>, result: fjall::Result<()>) {
        let mut index = self.index();
        let mut replies = Vec::with_capacity(jobs.len());
        let outcome = match result {
            Ok(()) => Ok(()),
            Err(e) => {
                tracing::error!(error = %e, appends = jobs.len(), "queue append failed");
                Err(io(e))
            }
        };
        for job in jobs {
            // The reservation made at append becomes the entry's own bytes.
            index.bytes -= job.meta.size;
            if outcome.is_ok() {
                // Under the index lock: the worker woken sees the entry.
                self.wakeups.due(&job.meta.route, 1);
                let size = job.meta.size;
                index.hot.insert(job.id, job.head, job.body, size);
                let entry = Entry {
                    meta: job.meta,
                    leased: false,
                };
                index.insert(job.id, entry);
            }
            replies.push(job.reply);
        }
        drop(index);
        for reply in replies {
            let _ = reply.send(outcome.clone());
        }
    }

    /// Rewrites `id`'s message record with `meta`, its head unchanged (journal only; the next
    /// sync carries it). A point read of a small record: only retries, dead letters and replays
    /// rewrite.
    fn write_meta(&self, id: MessageId, meta: &MetaRecord) -> Result<(), QueueError> {
        let key = id.to_key();
        let stored = self
            .messages
            .get(key)
            .map_err(io)?
            .ok_or_else(|| QueueError::Corrupt {
                id,
                reason: "message record missing".into(),
            })?;
        let record = reencode_message(id, &stored, meta)?;
        self.messages.insert(&key[..], record).map_err(io)
    }

    fn remove_on_disk(&self, ids: &[MessageId]) -> Result<(), QueueError> {
        let mut batch = self.db.batch();
        for id in ids {
            let key = id.to_key();
            batch.remove(&self.messages, &key[..]);
            batch.remove(&self.bodies, &key[..]);
        }
        batch.commit().map_err(io)
    }

    /// Writes the removals of every acked message queued since the last flush as one batch (no
    /// sync of its own: the next append's carries it). On failure the keys stay queued for the
    /// next flush; if none succeeds before the process dies, those messages are redelivered.
    fn flush_acks(&self) -> Result<(), QueueError> {
        let ids = std::mem::take(&mut *self.acked.lock().unwrap_or_else(|p| p.into_inner()));
        if ids.is_empty() {
            return Ok(());
        }
        self.ack_batches.fetch_add(1, Ordering::SeqCst);
        self.remove_on_disk(&ids).inspect_err(|_| {
            let mut acked = self.acked.lock().unwrap_or_else(|p| p.into_inner());
            acked.extend_from_slice(&ids);
        })
    }

    /// Delivered: out of the index now, off the disk at the next [`Shared::flush_acks`].
    fn ack(&self, id: MessageId) {
        if self.index().remove(id).is_some() {
            let mut acked = self.acked.lock().unwrap_or_else(|p| p.into_inner());
            acked.push(id);
        }
    }

    fn sync(&self) -> Result<(), QueueError> {
        let result = self.db.persist(PersistMode::SyncData).map_err(io);
        self.syncs.fetch_add(1, Ordering::SeqCst);
        result
    }

    fn read(&self, info: MessageInfo) -> Result<StoredMessage, QueueError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        let key = info.id.to_key();
        let missing = |what: &str| QueueError::Corrupt {
            id: info.id,
            reason: format!("{what} record missing"),
        };
        let record = self
            .messages
            .get(key)
            .map_err(io)?
            .ok_or_else(|| missing("message"))?;
        let body = self
            .bodies
            .get(key)
            .map_err(io)?
            .ok_or_else(|| missing("body"))?;
        Ok(StoredMessage {
            head: decode_message_head(info.id, &record)?,
            body: Bytes::copy_from_slice(&body),
            info,
        })
    }

    fn lease_due(&self, route: &str, max: usize) -> Result<Vec<StoredMessage>, QueueError> {
        // Folded in here: this call is already on a blocking thread, so acks need none.
        self.flush_acks()?;
        let now = unix_ms(SystemTime::now());
        let mut picked = Vec::new();
        {
            let mut index = self.index();
            let Some(r) = index.routes.get_mut(route) else {
                return Ok(Vec::new());
            };
            while picked.len() < max {
                match r.due.first() {
                    Some(&(due, id)) if due <= now => {
                        r.due.pop_first();
                        r.leased += 1;
                        picked.push(id);
                    }
                    _ => break,
                }
            }
            for id in &picked {
                index
                    .messages
                    .get_mut(id)
                    .expect("a due message is indexed")
                    .leased = true;
            }
        }
        let mut leased = Vec::with_capacity(picked.len());
        for (n, id) in picked.iter().enumerate() {
            let (info, hot) = {
                let mut index = self.index();
                (index.info(*id), index.hot.take(id))
            };
            let Some(info) = info else { continue }; // dropped meanwhile
            let message = match hot {
                Some((head, body)) => Ok(StoredMessage { info, head, body }),
                None => self.read(info),
            };
            match message {
                Ok(message) => leased.push(message),
                Err(e) => {
                    // Hand back what was not read, so nothing stays leased without a worker.
                    for id in &picked[n..] {
                        self.unlease(*id);
                    }
                    return Err(e);
                }
            }
        }
        Ok(leased)
    }

    /// The hot path of a lease: leases up to `max` due messages of `route` from the hot set, with
    /// no disk read and no blocking hand-off. `None` (take the blocking path) when a due message
    /// is not in the hot set, or when [`ACKS_BEFORE_FLUSH`] acks wait to be written (or any do
    /// and nothing is due: an idle worker writes them).
    fn lease_hot(&self, route: &str, max: usize) -> Option<Vec<StoredMessage>> {
        let acks_waiting = self.acked.lock().unwrap_or_else(|p| p.into_inner()).len();
        if acks_waiting >= ACKS_BEFORE_FLUSH {
            return None;
        }
        let now = unix_ms(SystemTime::now());
        let mut guard = self.index();
        let index = &mut *guard;
        let none_due = if acks_waiting == 0 {
            Some(Vec::new())
        } else {
            None
        };
        let Some(r) = index.routes.get_mut(route) else {
            return none_due;
        };
        let due: Vec<(u64, MessageId)> = r
            .due
            .iter()
            .take_while(|(due, _)| *due <= now)
            .take(max)
            .copied()
            .collect();
        if due.is_empty() {
            return none_due;
        }
        if !due.iter().all(|(_, id)| index.hot.contains(id)) {
            return None;
        }
        let mut leased = Vec::with_capacity(due.len());
        for key @ (_, id) in due {
            r.due.remove(&key);
            r.leased += 1;
            let entry = index
                .messages
                .get_mut(&id)
                .expect("a due message is indexed");
            entry.leased = true;
            let (head, body) = index.hot.take(&id).expect("checked above");
            leased.push(StoredMessage {
                info: info_of(id, entry),
                head,
                body,
            });
        }
        Some(leased)
    }

    fn unlease(&self, id: MessageId) {
        let mut index = self.index();
        if let Some(mut entry) = index.remove(id) {
            entry.leased = false;
            index.insert(id, entry);
        }
    }

    /// Applies `change` to a known message's meta under the index lock and writes it.
    fn update(
        &self,
        id: MessageId,
        change: impl FnOnce(&mut Entry, u64) -> bool,
    ) -> Result<bool, QueueError> {
        let now = unix_ms(SystemTime::now());
        let mut index = self.index();
        let Some(mut entry) = index.remove(id) else {
            return Ok(false);
        };
        let before = entry.meta.clone();
        let was_leased = entry.leased;
        if !change(&mut entry, now) {
            index.insert(id, entry);
            return Ok(false);
        }
        match self.write_meta(id, &entry.meta) {
            Ok(()) => {
                index.insert(id, entry);
                Ok(true)
            }
            Err(e) => {
                entry.meta = before;
                entry.leased = was_leased;
                index.insert(id, entry);
                Err(e)
            }
        }
    }

    /// Removes `id` from the index, then from disk; `false` when unknown. Once out of the index
    /// no other call touches the ID, so the disk write needs no lock (appends are not held up
    /// behind a journal write). If the write fails, the message comes back after a restart and
    /// is delivered again, which at-least-once allows.
    fn remove(&self, id: MessageId) -> Result<bool, QueueError> {
        let removed = self.index().remove(id).is_some();
        if removed {
            self.remove_on_disk(&[id])?;
        }
        Ok(removed)
    }

    fn replay_dead(&self, route: &str) -> Result<usize, QueueError> {
        let ids: Vec<MessageId> = {
            let index = self.index();
            index
                .messages
                .iter()
                .filter(|(_, e)| e.meta.dead && e.meta.route == route)
                .map(|(id, _)| *id)
                .collect()
        };
        let mut replayed = 0;
        for id in ids {
            if self.update(id, replay_change)? {
                replayed += 1;
            }
        }
        if replayed > 0 {
            self.sync()?;
            self.wakeups.due(route, replayed);
        }
        Ok(replayed)
    }
}

fn replay_change(entry: &mut Entry, now: u64) -> bool {
    if entry.leased {
        return false;
    }
    entry.meta.dead = false;
    entry.meta.attempts = 0;
    entry.meta.due_ms = now;
    entry.meta.last_error = None;
    true
}

#[async_trait]
impl QueueStore for DiskQueue {
    async fn append(&self, message: NewMessage) -> Result<MessageId, QueueError> {
        let size = message.charged_bytes();
        let now = unix_ms(SystemTime::now());
        let id = {
            let mut index = self.shared.index();
            if index.bytes.saturating_add(size) > self.shared.max_bytes {
                return Err(QueueError::Full {
                    held: index.bytes,
                    wanted: size,
                    max_bytes: self.shared.max_bytes,
                });
            }
            index.bytes += size;
            index.next_id(now)
        };
        let (reply, answer) = oneshot::channel();
        let meta = MetaRecord {
            v: MESSAGE_VERSION,
            route: message.route,
            created_ms: now,
            due_ms: now,
            attempts: 0,
            dead: false,
            size,
            event_id: message.event_id,
            last_error: None,
        };
        let job = Job {
            id,
            record: encode_message(&meta, &message.head),
            meta,
            head: message.head,
            body: message.body,
            reply,
        };
        let unreserve = |why: &str| {
            self.shared.index().bytes -= size;
            QueueError::Unavailable(why.to_string())
        };
        let jobs = self.jobs.as_ref().expect("open until dropped");
        match jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(unreserve("too many appends waiting")),
            Err(TrySendError::Disconnected(_)) => return Err(unreserve("queue writer stopped")),
        }
        match answer.await {
            Ok(Ok(())) => Ok(id),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(QueueError::Unavailable("queue writer stopped".into())),
        }
    }

    /// Answered in place when the hot set holds every due message (or none is due) and few acks
    /// wait to be written; otherwise on a blocking thread, which reads from disk and writes the
    /// waiting acks.
    async fn lease_due(&self, route: &str, max: usize) -> Result<Vec<StoredMessage>, QueueError> {
        if let Some(leased) = self.shared.lease_hot(route, max) {
            return Ok(leased);
        }
        let route = route.to_string();
        self.blocking(move |s| s.lease_due(&route, max)).await
    }

    async fn next_due(&self, route: &str) -> Result<Option<SystemTime>, QueueError> {
        let index = self.shared.index();
        Ok(index
            .routes
            .get(route)
            .and_then(|r| r.due.first())
            .map(|(due, _)| from_unix_ms(*due)))
    }

    /// Coalesced (module docs): the disk removal is written by the next lease or at close.
    async fn ack(&self, id: MessageId) -> Result<(), QueueError> {
        self.shared.ack(id);
        Ok(())
    }

    async fn retry_later(
        &self,
        id: MessageId,
        due: SystemTime,
        error: &str,
    ) -> Result<(), QueueError> {
        let error = error.to_string();
        let due = unix_ms(due);
        let route = self
            .blocking(move |s| {
                // Only the worker holding the lease reschedules (a dropped or replayed message
                // is left alone).
                let mut route = None;
                s.update(id, |entry, _| {
                    if !entry.leased {
                        return false;
                    }
                    entry.leased = false;
                    entry.meta.attempts = entry.meta.attempts.saturating_add(1);
                    entry.meta.due_ms = due;
                    entry.meta.last_error = Some(error);
                    route = Some(entry.meta.route.clone());
                    true
                })?;
                Ok(route)
            })
            .await?;
        // One worker of the route looks again: the retry may be due before its sleep ends.
        if let Some(route) = route {
            self.shared.wakeups.due(&route, 1);
        }
        Ok(())
    }

    async fn dead(&self, id: MessageId, reason: &str, attempted: bool) -> Result<(), QueueError> {
        let reason = reason.to_string();
        self.blocking(move |s| {
            s.update(id, |entry, _| {
                if !entry.leased {
                    return false;
                }
                entry.leased = false;
                entry.meta.dead = true;
                entry.meta.attempts = entry.meta.attempts.saturating_add(u32::from(attempted));
                entry.meta.last_error = Some(reason);
                true
            })
            .map(|_| ())
        })
        .await
    }

    async fn list(&self, filter: &ListFilter) -> Result<Vec<MessageInfo>, QueueError> {
        let index = self.shared.index();
        let start = filter.after.map_or(Bound::Unbounded, Bound::Excluded);
        Ok(index
            .messages
            .range((start, Bound::Unbounded))
            .filter(|(_, e)| filter.route.as_ref().is_none_or(|r| *r == e.meta.route))
            .filter(|(_, e)| filter.state.is_none_or(|s| s == e.state()))
            .take(filter.limit)
            .map(|(id, e)| info_of(*id, e))
            .collect())
    }

    async fn show(&self, id: MessageId) -> Result<Option<StoredMessage>, QueueError> {
        self.blocking(move |s| {
            let info = s.index().info(id);
            info.map(|info| s.read(info)).transpose()
        })
        .await
    }

    async fn replay(&self, id: MessageId) -> Result<bool, QueueError> {
        let route = self
            .blocking(move |s| {
                let mut route = None;
                s.update(id, |entry, now| {
                    let replayed = replay_change(entry, now);
                    if replayed {
                        route = Some(entry.meta.route.clone());
                    }
                    replayed
                })?;
                if route.is_some() {
                    s.sync()?;
                }
                Ok(route)
            })
            .await?;
        if let Some(route) = &route {
            self.shared.wakeups.due(route, 1);
        }
        Ok(route.is_some())
    }

    async fn replay_dead(&self, route: &str) -> Result<usize, QueueError> {
        let route = route.to_string();
        self.blocking(move |s| s.replay_dead(&route)).await
    }

    async fn drop_message(&self, id: MessageId) -> Result<bool, QueueError> {
        self.blocking(move |s| {
            let removed = s.remove(id)?;
            if removed {
                s.sync()?;
            }
            Ok(removed)
        })
        .await
    }

    async fn stats(&self) -> Result<QueueStats, QueueError> {
        let index = self.shared.index();
        let routes = index
            .routes
            .iter()
            .map(|(name, r)| {
                let oldest = r
                    .live
                    .first()
                    .and_then(|id| index.messages.get(id))
                    .map(|e| from_unix_ms(e.meta.created_ms));
                (
                    name.clone(),
                    RouteStats {
                        pending: r.due.len() as u64,
                        leased: r.leased,
                        dead: r.dead,
                        oldest_pending: oldest,
                    },
                )
            })
            .collect();
        Ok(QueueStats {
            routes,
            bytes: index.bytes,
            max_bytes: self.shared.max_bytes,
        })
    }

    fn wakeup(&self, route: &str) -> Arc<Notify> {
        self.shared.wakeups.route(route)
    }
}
