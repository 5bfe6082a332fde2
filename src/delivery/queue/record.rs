//! The stored form of a message, independent of the engine: one message record (the mutable
//! bookkeeping — state, attempts, due time — with the immutable upstream request head nested in
//! it) and the body as raw bytes. Records are versioned JSON (serde), so a record stays readable
//! by a later version and by eye; header values are base64 because HTTP allows non-UTF-8 bytes
//! in them.
//!
//! Layouts: version 1 (up to main 223e826) kept the head and the bookkeeping as two records (a
//! head record and a meta record, each with `"v":1`); version 2 writes one message record, the
//! meta record's fields plus `head` (a version 1 head record), so a message is two writes and
//! two removals instead of three (bench/FINDINGS.md §19). [`MetaRecord::decode`] reads both
//! forms; the disk queue migrates a version 1 directory when it opens it (`disk_migrate`).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::store::{MessageId, QueueError, StoredHead};

/// Version of a head record (alone in layout 1, nested in a message record since layout 2).
pub const HEAD_VERSION: u32 = 1;
/// Version of the meta records of layout 1 (beside a separate head record).
pub const LEGACY_META_VERSION: u32 = 1;
/// Version of the message records written by this build (meta fields plus the nested head).
pub const MESSAGE_VERSION: u32 = 2;

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

/// A message's mutable bookkeeping: the fields of a message record besides its head (or, in
/// layout 1, a meta record of its own).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaRecord {
    /// [`MESSAGE_VERSION`] (or [`LEGACY_META_VERSION`] in a layout 1 meta record).
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

/// A message record as written: the meta fields and the head, one JSON object.
#[derive(Serialize)]
struct MessageOut<'a> {
    #[serde(flatten)]
    meta: &'a MetaRecord,
    head: &'a HeadRecord,
}

/// The head of a message record (the meta fields are skipped, not decoded).
#[derive(Deserialize)]
struct MessageHead {
    head: HeadRecord,
}

/// Encodes the message record of `meta` (whose `v` is [`MESSAGE_VERSION`]) and `head`.
pub fn encode_message(meta: &MetaRecord, head: &StoredHead) -> Vec<u8> {
    encode_with(meta, &head_record(head))
}

/// Re-encodes a stored message record with new bookkeeping (its head unchanged).
pub fn reencode_message(
    id: MessageId,
    stored: &[u8],
    meta: &MetaRecord,
) -> Result<Vec<u8>, QueueError> {
    let part: MessageHead = serde_json::from_slice(stored).map_err(|e| QueueError::Corrupt {
        id,
        reason: format!("message: {e}"),
    })?;
    Ok(encode_with(meta, &part.head))
}

/// The layout 2 message record of a layout 1 pair (meta record, head record), for migration.
pub fn upgrade_v1(id: MessageId, meta: &[u8], head: &[u8]) -> Result<Vec<u8>, QueueError> {
    let mut meta = MetaRecord::decode(id, meta, LEGACY_META_VERSION)?;
    meta.v = MESSAGE_VERSION;
    let corrupt = |reason: String| QueueError::Corrupt { id, reason };
    let head: HeadRecord =
        serde_json::from_slice(head).map_err(|e| corrupt(format!("head: {e}")))?;
    if head.v != HEAD_VERSION {
        return Err(corrupt(format!("head version {} is unknown", head.v)));
    }
    Ok(encode_with(&meta, &head))
}

fn encode_with(meta: &MetaRecord, head: &HeadRecord) -> Vec<u8> {
    debug_assert_eq!(meta.v, MESSAGE_VERSION);
    serde_json::to_vec(&MessageOut { meta, head }).expect("a message record always serializes")
}

/// Decodes the head of a message record; errors name the message only.
pub fn decode_message_head(id: MessageId, bytes: &[u8]) -> Result<StoredHead, QueueError> {
    let part: MessageHead = serde_json::from_slice(bytes).map_err(|e| QueueError::Corrupt {
        id,
        reason: format!("message head: {e}"),
    })?;
    head_of(id, part.head)
}

fn head_record(head: &StoredHead) -> HeadRecord {
    HeadRecord {
        v: HEAD_VERSION,
        method: head.method.clone(),
        path: head.path.clone(),
        query: head.query.clone(),
        headers: head
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), STANDARD.encode(v)))
            .collect(),
        trace: head.trace.clone(),
    }
}

/// Encodes a head record (layout 1's separate record; the `head` of a message record).
pub fn encode_head(head: &StoredHead) -> Vec<u8> {
    serde_json::to_vec(&head_record(head)).expect("a head record always serializes")
}

/// Decodes a head record; errors name the message only. A record without `query` (written by an
/// earlier version) takes the query of its stored path: right unless the upstream URL itself had
/// a query, which such a record would then repeat.
pub fn decode_head(id: MessageId, bytes: &[u8]) -> Result<StoredHead, QueueError> {
    let record: HeadRecord = serde_json::from_slice(bytes).map_err(|e| QueueError::Corrupt {
        id,
        reason: format!("head: {e}"),
    })?;
    head_of(id, record)
}

fn head_of(id: MessageId, record: HeadRecord) -> Result<StoredHead, QueueError> {
    let corrupt = |reason: String| QueueError::Corrupt { id, reason };
    if record.v != HEAD_VERSION {
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
    /// The bookkeeping of a record of version `version` (a message record, [`MESSAGE_VERSION`],
    /// whose head is skipped; or a layout 1 meta record, [`LEGACY_META_VERSION`]). Errors:
    /// [`QueueError::Corrupt`] for bad JSON or another version.
    pub fn decode(id: MessageId, bytes: &[u8], version: u32) -> Result<MetaRecord, QueueError> {
        let record: MetaRecord =
            serde_json::from_slice(bytes).map_err(|e| QueueError::Corrupt {
                id,
                reason: format!("meta: {e}"),
            })?;
        if record.v != version {
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

    fn meta() -> MetaRecord {
        MetaRecord {
            v: MESSAGE_VERSION,
            route: "erp".into(),
            created_ms: 1,
            due_ms: 2,
            attempts: 0,
            dead: false,
            size: 10,
            event_id: Some("evt_1".into()),
            last_error: None,
        }
    }

    #[test]
    fn a_message_record_holds_meta_and_head_and_a_rewrite_keeps_the_head() {
        let head = StoredHead {
            method: "POST".into(),
            path: "/a".into(),
            query: None,
            headers: vec![("x-b".into(), vec![0xff, 0x00])],
            trace: None,
        };
        let id = MessageId(7);
        let record = encode_message(&meta(), &head);
        assert_eq!(
            MetaRecord::decode(id, &record, MESSAGE_VERSION).unwrap(),
            meta()
        );
        assert_eq!(decode_message_head(id, &record).unwrap(), head);
        // A layout 1 meta record is not read as a message record, nor the other way round.
        assert!(MetaRecord::decode(id, &record, LEGACY_META_VERSION).is_err());

        let mut retried = meta();
        retried.attempts = 3;
        retried.last_error = Some("503".into());
        let rewritten = reencode_message(id, &record, &retried).unwrap();
        assert_eq!(
            MetaRecord::decode(id, &rewritten, MESSAGE_VERSION).unwrap(),
            retried
        );
        assert_eq!(decode_message_head(id, &rewritten).unwrap(), head);
    }

    #[test]
    fn a_layout_1_pair_upgrades_to_one_message_record() {
        let id = MessageId(9);
        let mut old = meta();
        old.v = LEGACY_META_VERSION;
        old.attempts = 2;
        let legacy_meta = serde_json::to_vec(&old).unwrap();
        let legacy_head = br#"{"v":1,"method":"POST","path":"/up?x=1","headers":[["a","Yg=="]]}"#;
        let record = upgrade_v1(id, &legacy_meta, legacy_head).unwrap();
        let upgraded = MetaRecord::decode(id, &record, MESSAGE_VERSION).unwrap();
        assert_eq!(
            upgraded,
            MetaRecord {
                v: MESSAGE_VERSION,
                ..old
            }
        );
        let head = decode_message_head(id, &record).unwrap();
        assert_eq!(head.headers, vec![("a".to_string(), b"b".to_vec())]);
        assert_eq!(head.query.as_deref(), Some("x=1"));
        assert!(matches!(
            upgrade_v1(id, &legacy_meta, b"not json"),
            Err(QueueError::Corrupt { .. })
        ));
    }
}
