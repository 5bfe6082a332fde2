//! Writing an answer the gateway decided itself: rejections as `{"error": "..."}`,
//! acknowledgements as `{"status": "..."}`, handshakes as the scheme wrote them.

use std::borrow::Cow;

use bytes::Bytes;
use pingora::http::ResponseHeader;
use pingora::protocols::http::ServerSession;

use crate::providers::LocalResponse;

/// A response decided by the gateway, not the upstream.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(Cow<'static, str>, String)>,
    pub body: Bytes,
}

impl Reply {
    /// `{"error": reason}` with `status`. `reason` is one of our fixed texts, never input.
    pub fn error(status: u16, reason: &str) -> Reply {
        Reply::json(status, serde_json::json!({ "error": reason }))
    }

    /// `{"status": text}` with 200, for answers that acknowledge a delivery without forwarding it.
    pub fn acknowledged(text: &str) -> Reply {
        Reply::json(200, serde_json::json!({ "status": text }))
    }

    fn json(status: u16, body: serde_json::Value) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            headers: Vec::new(),
            body: Bytes::from(body.to_string()),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((Cow::Borrowed(name), value.into()));
        self
    }

    pub fn local(response: LocalResponse) -> Reply {
        Reply {
            status: response.status,
            content_type: response.content_type,
            headers: response
                .headers
                .into_iter()
                .map(|(n, v)| (Cow::Owned(n), v))
                .collect(),
            body: Bytes::from(response.body),
        }
    }

    /// Writes the reply. `close` ends the connection after it (the request body was not read).
    pub async fn write(&self, session: &mut ServerSession, close: bool) -> pingora::Result<()> {
        let mut header = ResponseHeader::build(self.status, Some(4 + self.headers.len()))?;
        header.insert_header("content-type", self.content_type)?;
        header.insert_header("content-length", self.body.len().to_string())?;
        header.insert_header("cache-control", "no-store")?;
        for (name, value) in &self.headers {
            header.append_header(name.to_string(), value.as_str())?;
        }
        if close {
            session.set_keepalive(None);
        }
        session.write_response_header(Box::new(header)).await?;
        session.write_response_body(self.body.clone(), true).await?;
        session.finish_body().await
    }
}
