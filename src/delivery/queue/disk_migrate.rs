//! Opens a disk queue directory written in record layout 1 (main up to 223e826: separate `head`
//! and `meta` keyspaces) in layout 2 (one `message` keyspace; `body` is unchanged; see
//! `record`). Every pending, leased or dead message is moved with its attempts, due time, event
//! ID and last error, so it is delivered exactly as the earlier version would have.
//!
//! Crash safety: messages move in chunks, each one atomic fjall batch (insert the message record,
//! remove the head and meta records) synced before the next, so a directory is at every point
//! readable as a mix of both layouts; an interrupted migration resumes on the next open. The old
//! keyspaces are deleted once empty.

use std::ops::Bound;

use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};

use super::record::upgrade_v1;
use super::store::{MessageId, QueueError};

/// Messages moved per batch: bounds the memory of a migration, whatever the backlog.
const CHUNK: usize = 1024;

/// Moves every layout 1 message of `db` into `messages`; returns how many were moved. A
/// directory without the layout 1 keyspaces is left alone.
///
/// Errors: [`QueueError::Unavailable`] for an I/O failure; [`QueueError::Corrupt`] for a meta
/// record without its head record, or an unreadable one (the earlier version could not have
/// delivered it either).
pub(super) fn migrate_v1(
    db: &Database,
    messages: &Keyspace,
    options: impl Fn() -> KeyspaceCreateOptions,
) -> Result<u64, QueueError> {
    if !db.keyspace_exists("meta") && !db.keyspace_exists("head") {
        return Ok(0);
    }
    let heads = db.keyspace("head", &options).map_err(io)?;
    let metas = db.keyspace("meta", &options).map_err(io)?;
    let mut moved = 0;
    let mut after = None;
    loop {
        let chunk = next_chunk(&metas, after)?;
        let Some((last, _)) = chunk.last() else {
            break;
        };
        after = Some(last.to_key());
        let mut batch = db.batch().durability(Some(PersistMode::SyncData));
        for (id, meta) in &chunk {
            let key = id.to_key();
            let head = heads.get(key).map_err(io)?.ok_or(QueueError::Corrupt {
                id: *id,
                reason: "head record missing".into(),
            })?;
            batch.insert(messages, &key[..], upgrade_v1(*id, meta, &head)?);
            batch.remove(&heads, &key[..]);
            batch.remove(&metas, &key[..]);
        }
        batch.commit().map_err(io)?;
        moved += chunk.len() as u64;
    }
    tracing::info!(messages = moved, "disk queue migrated to record layout 2");
    db.delete_keyspace(heads).map_err(io)?;
    db.delete_keyspace(metas).map_err(io)?;
    Ok(moved)
}

/// The first [`CHUNK`] layout 1 meta records still in place after key `after` (the last one
/// moved). Seeking past the records already moved, rather than scanning from the start, keeps
/// the migration linear: their deletions are tombstones that a scan from the first key would
/// step over again for every chunk (quadratic in the backlog: minutes of start-up at a million
/// messages).
fn next_chunk(
    metas: &Keyspace,
    after: Option<[u8; 16]>,
) -> Result<Vec<(MessageId, Vec<u8>)>, QueueError> {
    let records = match after {
        Some(key) => metas.range::<[u8; 16], _>((Bound::Excluded(key), Bound::Unbounded)),
        None => metas.iter(),
    };
    let mut chunk = Vec::new();
    for guard in records.take(CHUNK) {
        let (key, value) = guard.into_inner().map_err(io)?;
        let id = MessageId::from_key(&key).ok_or_else(|| io("a meta key is not 16 bytes"))?;
        chunk.push((id, value.to_vec()));
    }
    Ok(chunk)
}

fn io(e: impl std::fmt::Display) -> QueueError {
    QueueError::Unavailable(e.to_string())
}
