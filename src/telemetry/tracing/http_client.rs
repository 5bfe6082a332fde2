//! The OTLP/HTTP exporter's HTTP client: the gateway's own reqwest 0.12 (rustls, already built for
//! key fetching) behind `opentelemetry_http::HttpClient`, instead of a second HTTP stack.

use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};

/// The collector's answer body is read up to this size (it is a small protobuf status).
const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// A reqwest client that sends export requests; the export timeout is the caller's.
#[derive(Debug, Clone)]
pub struct ReqwestClient(pub reqwest::Client);

#[async_trait::async_trait]
impl HttpClient for ReqwestClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let request = reqwest::Request::try_from(request)?;
        let mut response = self.0.execute(request).await?;
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err("the collector's answer is over 1 MiB".into());
            }
            body.extend_from_slice(&chunk);
        }
        let mut answer = Response::builder().status(status).body(Bytes::from(body))?;
        *answer.headers_mut() = headers;
        Ok(answer)
    }
}
