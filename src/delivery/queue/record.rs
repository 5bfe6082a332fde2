//! The stored form of a message, independent of the engine: a head record (immutable: the
//! upstream request head), a meta record (mutable: state, attempts, due time) and the body as
//! raw bytes. Head and meta are versioned JSON (serde), so a record stays readable by a later
//! version and by eye; header values are base64 because HTTP allows non-UTF-8 bytes in them.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::store::{MessageId, QueueError, StoredHead};

/// Version of the head and meta records written by this build.
pub const RECORD_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct HeadRecord {
    v: u32,
    method: String,
    path: String,
    /// The provider request's query string. Absent in records written before it was kept: the
    /// stored path's query is taken instead (see [`decode_head`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    query: Option<String>,
    /// `[name, base64(value)]` in sending order.
    headers: Vec<(String, String)>,
    /// The accepting span's `traceparent` (absent in records written without tracing, and in
    /// those of earlier builds: still version 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    trace: Option<String>,
}

/// A message's mutable bookkeeping.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaRecord {
    pub v: u32,
    pub route: String,
    /// Append time, ms since the Unix epoch.
    pub created_ms: u64,
    /// Next due time, ms since the Unix epoch.
    pub due_ms: u64,
    pub attempts: u32,
    pub dead: bool,
    /// Bytes charged against `max_bytes`.
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// Encodes a head record.
pub fn encode_head(head: &StoredHead) -> Vec<u8> {
    let record = HeadRecord {
        v: RECORD_VERSION,
        method: head.method.clone(),
        path: head.path.clone(),
        query: head.query.clone(),
        headers: head
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), STANDARD.encode(v)))
            .collect(),
        trace: head.trace.clone(),
    };
    serde_json::to_vec(&record).expect("a head record always serializes")
}

/// Decodes a head record; errors name the message only. A record without `query` (written by an
/// earlier version) takes the query of its stored path: right unless the upstream URL itself had
/// a query, which such a record would then repeat.
pub fn decode_head(id: MessageId, bytes: &[u8]) -> Result<StoredHead, QueueError> {
    let corrupt = |reason: String| QueueError::Corrupt { id, reason };
    let record: HeadRecord =
        serde_json::from_slice(bytes).map_err(|e| corrupt(format!("head: {e}")))?;
    if record.v != RECORD_VERSION {
        return Err(corrupt(format!("head version {} is unknown", record.v)));
    }
    let headers = record
        .headers
        .into_iter()
        .map(|(n, v)| {
            STANDARD
                .decode(v)
                .map(|v| (n, v))
                .map_err(|e| corrupt(format!("head: header value: {e}")))
        })
        .collect::<Result<_, _>>()?;
    let query = record.query.or_else(|| {
        record
            .path
            .split_once('?')
            .map(|(_, q)| q.to_string())
            .filter(|q| !q.is_empty())
    });
    Ok(StoredHead {
        method: record.method,
        path: record.path,
        query,
        headers,
        trace: record.trace,
    })
}

impl MetaRecord {
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a meta record always serializes")
    }

    pub fn decode(id: MessageId, bytes: &[u8]) -> Result<MetaRecord, QueueError> {
        let record: MetaRecord =
            serde_json::from_slice(bytes).map_err(|e| QueueError::Corrupt {
                id,
                reason: format!("meta: {e}"),
            })?;
        if record.v != RECORD_VERSION {
            return Err(QueueError::Corrupt {
                id,
                reason: format!("meta version {} is unknown", record.v),
            });
        }
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_round_trips_non_utf8_values_in_order() {
        let head = StoredHead {
            method: "POST".into(),
            path: "/a?b=1".into(),
            query: Some("b=1".into()),
            headers: vec![
                ("x-b".into(), vec![0xff, 0x00, b'z']),
                ("x-a".into(), b"1".to_vec()),
                ("x-b".into(), b"second".to_vec()),
            ],
            trace: Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into()),
        };
        let id = MessageId(1);
        assert_eq!(decode_head(id, &encode_head(&head)).unwrap(), head);
        // A record of an earlier version (no `query`) takes its path's query.
        let legacy = br#"{"v":1,"method":"POST","path":"/up?x=1&y=2","headers":[]}"#;
        let old = decode_head(id, legacy).unwrap();
        assert_eq!(old.query.as_deref(), Some("x=1&y=2"));
        let bare = br#"{"v":1,"method":"POST","path":"/up","headers":[]}"#;
        assert_eq!(decode_head(id, bare).unwrap().query, None);
        assert!(matches!(
            decode_head(
                id,
                b"{\"v\":9,\"method\":\"\",\"path\":\"\",\"headers\":[]}"
            ),
            Err(QueueError::Corrupt { .. })
        ));
    }
}
