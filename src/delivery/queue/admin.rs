//! The queue's admin API on the admin listener, used by `hookgate queue ...`. JSON in and out.
//!
//! | request | answer | token |
//! |---|---|---|
//! | `GET /admin/queue/stats` | bytes held, per-route pending/leased/dead, oldest pending age | no |
//! | `GET /admin/queue/messages?state=pending\|leased\|dead&route=R&after=ID&limit=N` | metadata, oldest first, `next_after` for paging (limit ≤ 1000, default 100) | no |
//! | `GET /admin/queue/messages/ID` | metadata, the head and the body (base64) | yes |
//! | `POST /admin/queue/messages/ID/replay` | `{"replayed": bool}` | yes |
//! | `POST /admin/queue/replay?route=R` | every dead letter of R replayed: `{"replayed": n}` | yes |
//! | `DELETE /admin/queue/messages/ID` | `{"dropped": true}`; 404 when no message has that ID | yes |
//!
//! Calls marked "token" need `Authorization: Bearer <[queue] admin_token>` (compared in
//! constant time) and get 401 without it; with no `admin_token` configured they are always
//! refused. Showing a message needs the token too, because its body is the sender's data.

use std::time::SystemTime;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http::{Method, Response, StatusCode};
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

use super::store::{ListFilter, MessageId, MessageInfo, MessageState, QueueError, QueueStore};
use crate::config::secret::Secret;

/// The path prefix of the queue's admin API.
pub const PREFIX: &str = "/admin/queue";
/// Most messages one list call returns.
pub const MAX_LIST: usize = 1000;
const DEFAULT_LIST: usize = 100;

/// Answers an admin request under [`PREFIX`]; `None` for any other path.
///
/// `authorization` is the raw `Authorization` header value, if any.
pub async fn handle(
    store: &dyn QueueStore,
    token: Option<&Secret>,
    method: &Method,
    uri: &http::Uri,
    authorization: Option<&[u8]>,
) -> Option<Response<Vec<u8>>> {
    let rest = uri.path().strip_prefix(PREFIX)?;
    let query = uri.query().unwrap_or("");
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let authorized = || authorized(token, authorization);
    let answer = match (method, segments.as_slice()) {
        (&Method::GET, ["stats"]) => stats(store).await,
        (&Method::GET, ["messages"]) => list(store, query).await,
        (&Method::GET, ["messages", id]) => guarded(authorized(), || show(store, id)).await,
        (&Method::POST, ["messages", id, "replay"]) => {
            guarded(authorized(), || replay(store, id)).await
        }
        (&Method::POST, ["replay"]) => guarded(authorized(), || replay_dead(store, query)).await,
        (&Method::DELETE, ["messages", id]) => guarded(authorized(), || drop(store, id)).await,
        (
            _,
            ["stats"] | ["messages"] | ["messages", _] | ["messages", _, "replay"] | ["replay"],
        ) => Err(error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")),
        _ => Err(error(StatusCode::NOT_FOUND, "no such admin call")),
    };
    Some(answer.unwrap_or_else(|f| respond(f.status, &json!({ "error": f.message }))))
}

/// A refused or failed admin call: its status and the reason shown to the caller.
struct Failure {
    status: StatusCode,
    message: String,
}

type Answer = Result<Response<Vec<u8>>, Failure>;

fn respond(status: StatusCode, body: &Value) -> Response<Vec<u8>> {
    let body = serde_json::to_vec_pretty(body).expect("JSON values serialize");
    let mut response = Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("content-length", body.len())
        .header("cache-control", "no-store");
    if status == StatusCode::UNAUTHORIZED {
        response = response.header("www-authenticate", "Bearer realm=\"hookgate-admin\"");
    }
    response.body(body).expect("valid response")
}

fn error(status: StatusCode, message: &str) -> Failure {
    Failure {
        status,
        message: message.to_string(),
    }
}

fn store_error(e: QueueError) -> Failure {
    tracing::error!(error = %e, "queue admin call failed");
    error(StatusCode::SERVICE_UNAVAILABLE, &e.to_string())
}

fn authorized(token: Option<&Secret>, authorization: Option<&[u8]>) -> bool {
    let (Some(token), Some(given)) = (token, authorization) else {
        return false;
    };
    let Some(given) = given
        .strip_prefix(b"Bearer ")
        .or_else(|| given.strip_prefix(b"bearer "))
    else {
        return false;
    };
    // Lengths are not secret-derived in a way worth hiding; the bytes are compared in constant time.
    given.ct_eq(token.bytes()).into()
}

async fn guarded<F: std::future::Future<Output = Answer>>(
    ok: bool,
    call: impl FnOnce() -> F,
) -> Answer {
    if !ok {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "this call needs the admin token ([queue] admin_token) as a bearer token",
        ));
    }
    call().await
}

fn parse_id(text: &str) -> Result<MessageId, Failure> {
    text.parse()
        .map_err(|e: String| error(StatusCode::BAD_REQUEST, &e))
}

fn age_seconds(created: SystemTime) -> f64 {
    SystemTime::now()
        .duration_since(created)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn unix_seconds(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The JSON form of a message's metadata.
pub fn info_json(info: &MessageInfo) -> Value {
    json!({
        "id": info.id.to_string(),
        "route": info.route,
        "state": info.state.as_str(),
        "attempts": info.attempts,
        "created_at": unix_seconds(info.created_at),
        "age_seconds": age_seconds(info.created_at),
        "next_due": unix_seconds(info.next_due),
        "size": info.size,
        "event_id": info.event_id,
        "last_error": info.last_error,
    })
}

async fn stats(store: &dyn QueueStore) -> Answer {
    let stats = store.stats().await.map_err(store_error)?;
    let routes: serde_json::Map<String, Value> = stats
        .routes
        .iter()
        .map(|(name, r)| {
            (
                name.clone(),
                json!({
                    "pending": r.pending,
                    "leased": r.leased,
                    "dead": r.dead,
                    "oldest_pending_age_seconds": r.oldest_pending.map_or(0.0, age_seconds),
                }),
            )
        })
        .collect();
    Ok(respond(
        StatusCode::OK,
        &json!({ "bytes": stats.bytes, "max_bytes": stats.max_bytes, "routes": routes }),
    ))
}

async fn list(store: &dyn QueueStore, query: &str) -> Answer {
    let mut filter = ListFilter {
        limit: DEFAULT_LIST,
        ..ListFilter::default()
    };
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "route" => filter.route = Some(value.into_owned()),
            "state" => {
                filter.state = Some(match value.as_ref() {
                    "pending" => MessageState::Pending,
                    "leased" => MessageState::Leased,
                    "dead" => MessageState::Dead,
                    other => {
                        return Err(error(
                            StatusCode::BAD_REQUEST,
                            &format!("state {other:?} is not pending, leased or dead"),
                        ))
                    }
                })
            }
            "after" => filter.after = Some(parse_id(&value)?),
            "limit" => {
                filter.limit = value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_LIST).contains(n))
                    .ok_or_else(|| {
                        error(
                            StatusCode::BAD_REQUEST,
                            &format!("limit must be between 1 and {MAX_LIST}"),
                        )
                    })?
            }
            other => {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    &format!("unknown parameter {other:?}"),
                ))
            }
        }
    }
    let messages = store.list(&filter).await.map_err(store_error)?;
    let next_after = (messages.len() == filter.limit)
        .then(|| messages.last().map(|m| m.id.to_string()))
        .flatten();
    Ok(respond(
        StatusCode::OK,
        &json!({
            "messages": messages.iter().map(info_json).collect::<Vec<_>>(),
            "next_after": next_after,
        }),
    ))
}

async fn show(store: &dyn QueueStore, id: &str) -> Answer {
    let id = parse_id(id)?;
    let Some(message) = store.show(id).await.map_err(store_error)? else {
        return Err(error(StatusCode::NOT_FOUND, "no such message"));
    };
    let mut body = info_json(&message.info);
    body["method"] = json!(message.head.method);
    body["path"] = json!(message.head.path);
    body["headers"] = message
        .head
        .headers
        .iter()
        .map(|(n, v)| json!([n, String::from_utf8_lossy(v)]))
        .collect();
    body["body_base64"] = json!(STANDARD.encode(&message.body));
    Ok(respond(StatusCode::OK, &body))
}

async fn replay(store: &dyn QueueStore, id: &str) -> Answer {
    let id = parse_id(id)?;
    let replayed = store.replay(id).await.map_err(store_error)?;
    Ok(respond(StatusCode::OK, &json!({ "replayed": replayed })))
}

async fn replay_dead(store: &dyn QueueStore, query: &str) -> Answer {
    let mut route = None;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "route" => route = Some(value.into_owned()),
            // `dead=true` is the only replay-by-route there is; accepted for explicitness.
            "dead" if value == "true" => {}
            other => {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    &format!("unknown parameter {other:?}"),
                ))
            }
        }
    }
    let Some(route) = route else {
        return Err(error(StatusCode::BAD_REQUEST, "route is required"));
    };
    let replayed = store.replay_dead(&route).await.map_err(store_error)?;
    Ok(respond(StatusCode::OK, &json!({ "replayed": replayed })))
}

async fn drop(store: &dyn QueueStore, id: &str) -> Answer {
    let id = parse_id(id)?;
    // An unknown ID is a 404, as `show` answers and as a REST client expects of a DELETE
    // (a drop sent twice gets 200, then 404).
    if !store.drop_message(id).await.map_err(store_error)? {
        return Err(error(StatusCode::NOT_FOUND, "no such message"));
    }
    Ok(respond(StatusCode::OK, &json!({ "dropped": true })))
}
