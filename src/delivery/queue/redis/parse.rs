//! Decoding what the scripts return: stream entries (fields `i` delivery ID, `h` head record,
//! `b` body, `e` event ID, `c` created ms, `n` charged bytes) and meta records (JSON written by
//! the scripts with `cjson`).

use bytes::Bytes;
use serde::Deserialize;

use crate::delivery::queue::record::decode_head;
use crate::delivery::queue::store::{
    from_unix_ms, MessageId, MessageInfo, MessageState, QueueError, StoredMessage,
};

/// A message's mutable bookkeeping, as the scripts keep it in the route's meta hash.
#[derive(Clone, Debug, Deserialize)]
pub struct Meta {
    /// Stream ID of the live entry.
    pub sid: String,
    pub size: u64,
    pub att: u32,
    /// Accepted at (ms, Redis clock).
    pub c: u64,
    /// Due at (ms, Redis clock): acceptance, the retry time, or the replay time.
    pub due: u64,
    #[serde(default)]
    pub err: Option<String>,
    #[serde(default)]
    pub ev: Option<String>,
    #[serde(default)]
    pub dead: bool,
    /// Stream ID in the dead-letter stream.
    #[serde(default)]
    pub dsid: Option<String>,
}

impl Meta {
    pub fn decode(id: MessageId, json: &[u8]) -> Result<Meta, QueueError> {
        serde_json::from_slice(json).map_err(|e| QueueError::Corrupt {
            id,
            reason: format!("meta: {e}"),
        })
    }

    /// The message's info, `state` decided by the caller (dead letters are always dead).
    pub fn info(&self, id: MessageId, route: &str, leased: bool) -> MessageInfo {
        let state = if self.dead {
            MessageState::Dead
        } else if leased {
            MessageState::Leased
        } else {
            MessageState::Pending
        };
        MessageInfo {
            id,
            route: route.to_string(),
            state,
            attempts: self.att,
            created_at: from_unix_ms(self.c),
            next_due: from_unix_ms(self.due),
            size: self.size,
            event_id: self.ev.clone().filter(|e| !e.is_empty()),
            last_error: self.err.clone(),
        }
    }
}

/// Parses a delivery ID as written in the `i` field and the meta hash.
pub fn message_id(text: &[u8]) -> Option<MessageId> {
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// The delivery ID of an entry's fields.
pub fn entry_id(fields: &[Vec<u8>]) -> Option<MessageId> {
    field(fields, b"i").and_then(|v| message_id(&v))
}

/// One field's value (fields alternate name, value). Moves nothing: entries are small but for
/// the body, which [`stored_message`] takes by value.
pub fn field(fields: &[Vec<u8>], name: &[u8]) -> Option<Vec<u8>> {
    fields
        .chunks_exact(2)
        .find(|kv| kv[0] == name)
        .map(|kv| kv[1].clone())
}

/// The stored message of an entry's `fields` with `info`: head decoded, body moved out.
pub fn stored_message(
    info: MessageInfo,
    mut fields: Vec<Vec<u8>>,
) -> Result<StoredMessage, QueueError> {
    let id = info.id;
    let missing = |what: &str| QueueError::Corrupt {
        id,
        reason: format!("entry has no {what}"),
    };
    let head = field(&fields, b"h").ok_or_else(|| missing("head"))?;
    let at = fields
        .chunks_exact(2)
        .position(|kv| kv[0] == b"b")
        .ok_or_else(|| missing("body"))?;
    let body = std::mem::take(&mut fields[at * 2 + 1]);
    Ok(StoredMessage {
        head: decode_head(id, &head)?,
        body: Bytes::from(body),
        info,
    })
}

/// An entry as the lease script returns it: stream ID, fields, meta JSON.
pub type LeasedEntry = (String, Vec<Vec<u8>>, Vec<u8>);

/// The message of a leased entry, with its stream ID.
pub fn leased(route: &str, entry: LeasedEntry) -> Result<(String, StoredMessage), QueueError> {
    let (sid, fields, meta) = entry;
    let id = entry_id(&fields).ok_or_else(|| {
        QueueError::Unavailable(format!(
            "queue entry {sid} of route {route:?} has no delivery ID"
        ))
    })?;
    let meta = Meta::decode(id, &meta)?;
    let info = meta.info(id, route, true);
    Ok((sid, stored_message(info, fields)?))
}
