//! A test OpenTelemetry collector on 127.0.0.1 (hyper): an OTLP/HTTP receiver (HTTP/1.1,
//! `POST /v1/traces`) or an OTLP/gRPC one (HTTP/2, `TraceService/Export`, length-prefixed
//! messages, `grpc-status` trailer). It decodes every export with opentelemetry-proto, keeps the
//! spans, and answers with an empty `ExportTraceServiceResponse`, as a collector does.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::{Request, Response};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

/// One exported span with what the tests look at.
#[derive(Clone, Debug)]
pub struct Exported {
    pub span: Span,
    /// The resource's `service.name`.
    pub service: String,
}

impl Exported {
    pub fn name(&self) -> &str {
        &self.span.name
    }

    pub fn trace_id(&self) -> String {
        hex::encode(&self.span.trace_id)
    }

    pub fn span_id(&self) -> String {
        hex::encode(&self.span.span_id)
    }

    pub fn parent_id(&self) -> String {
        hex::encode(&self.span.parent_span_id)
    }

    /// An attribute's value as text (strings as they are, numbers and booleans formatted).
    pub fn attr(&self, key: &str) -> Option<String> {
        let value = self
            .span
            .attributes
            .iter()
            .find(|kv| kv.key == key)?
            .value
            .as_ref()?
            .value
            .as_ref()?;
        Some(match value {
            Value::StringValue(s) => s.clone(),
            Value::IntValue(i) => i.to_string(),
            Value::BoolValue(b) => b.to_string(),
            Value::DoubleValue(d) => d.to_string(),
            other => format!("{other:?}"),
        })
    }

    /// The status code: 0 unset, 1 ok, 2 error.
    pub fn status_code(&self) -> i32 {
        self.span.status.as_ref().map_or(0, |s| s.code)
    }
}

/// A running receiver; it stops with the test process.
pub struct Collector {
    pub port: u16,
    spans: Arc<Mutex<Vec<Exported>>>,
    /// Raw request bodies, to check no secret went out.
    pub bodies: Arc<Mutex<Vec<Vec<u8>>>>,
}

/// Each export's `x-api-key` header, when it had one.
static API_KEYS: Mutex<Vec<(u16, String)>> = Mutex::new(Vec::new());

impl Collector {
    /// An OTLP/HTTP receiver.
    pub fn start() -> Collector {
        Self::start_with(false)
    }

    /// An OTLP/gRPC receiver.
    pub fn start_grpc() -> Collector {
        Self::start_with(true)
    }

    fn start_with(grpc: bool) -> Collector {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let spans = Arc::new(Mutex::new(Vec::new()));
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let (s, b) = (spans.clone(), bodies.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(serve(listener, port, grpc, s, b));
        });
        Collector {
            port,
            spans,
            bodies,
        }
    }

    /// The `[tracing]` endpoint of this receiver (OTLP/HTTP).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The `[tracing]` endpoint of this receiver (OTLP/gRPC).
    pub fn grpc_endpoint(&self) -> String {
        format!("grpc://127.0.0.1:{}", self.port)
    }

    /// The distinct `x-api-key` values exports to this receiver carried.
    pub fn api_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = API_KEYS
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| *p == self.port)
            .map(|(_, k)| k.clone())
            .collect();
        keys.dedup();
        keys
    }

    pub fn spans(&self) -> Vec<Exported> {
        self.spans.lock().unwrap().clone()
    }

    /// Waits (at most 10 s) until `done` holds for the spans received, and returns them.
    pub fn wait_for(&self, what: &str, done: impl Fn(&[Exported]) -> bool) -> Vec<Exported> {
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            let spans = self.spans();
            if done(&spans) {
                return spans;
            }
            assert!(
                Instant::now() < until,
                "timed out waiting for {what}; got {spans:#?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

async fn serve(
    listener: std::net::TcpListener,
    port: u16,
    grpc: bool,
    spans: Arc<Mutex<Vec<Exported>>>,
    bodies: Arc<Mutex<Vec<Vec<u8>>>>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (spans, bodies) = (spans.clone(), bodies.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                if let Some(key) = req.headers().get("x-api-key") {
                    let key = key.to_str().unwrap_or_default().to_string();
                    API_KEYS.lock().unwrap().push((port, key));
                }
                receive(req, spans.clone(), bodies.clone())
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            if grpc {
                let executor = hyper_util::rt::TokioExecutor::new();
                let _ = hyper::server::conn::http2::Builder::new(executor)
                    .serve_connection(io, service)
                    .await;
            } else {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            }
        });
    }
}

/// The gRPC method of OTLP trace export.
const GRPC_EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

type Body = BoxBody<Bytes, Infallible>;

async fn receive(
    req: Request<hyper::body::Incoming>,
    spans: Arc<Mutex<Vec<Exported>>>,
    bodies: Arc<Mutex<Vec<Vec<u8>>>>,
) -> Result<Response<Body>, Infallible> {
    let grpc = req.uri().path() == GRPC_EXPORT;
    let content_type = req.headers().get("content-type").cloned();
    let http_ok = req.uri().path() == "/v1/traces"
        && content_type
            .as_ref()
            .is_some_and(|v| v == "application/x-protobuf");
    let grpc_ok = grpc
        && content_type
            .as_ref()
            .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"));
    let body = req.into_body().collect().await.unwrap().to_bytes();
    if !http_ok && !grpc_ok {
        let empty = Full::default().boxed();
        return Ok(Response::builder().status(404).body(empty).unwrap());
    }
    bodies.lock().unwrap().push(body.to_vec());
    let message = if grpc {
        // gRPC framing: a compressed flag (0: not compressed) and a 4-byte big-endian length.
        assert_eq!(body[0], 0, "uncompressed");
        let len = u32::from_be_bytes(body[1..5].try_into().unwrap()) as usize;
        body.slice(5..5 + len)
    } else {
        body
    };
    let request = ExportTraceServiceRequest::decode(message).expect("an OTLP trace export");
    let mut got = spans.lock().unwrap();
    for resource_spans in request.resource_spans {
        let service = resource_spans
            .resource
            .iter()
            .flat_map(|r| r.attributes.iter())
            .find(|kv| kv.key == "service.name")
            .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                Value::StringValue(s) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_default();
        for scope in resource_spans.scope_spans {
            for span in scope.spans {
                got.push(Exported {
                    span,
                    service: service.clone(),
                });
            }
        }
    }
    drop(got);
    let answer = ExportTraceServiceResponse::default().encode_to_vec();
    if grpc {
        return Ok(grpc_answer(&answer));
    }
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/x-protobuf")
        .body(Full::new(Bytes::from(answer)).boxed())
        .unwrap())
}

/// A unary gRPC answer: the framed message, then `grpc-status: 0` as a trailer.
fn grpc_answer(message: &[u8]) -> Response<Body> {
    let mut framed = vec![0u8];
    framed.extend_from_slice(&(message.len() as u32).to_be_bytes());
    framed.extend_from_slice(message);
    let mut trailers = http::HeaderMap::new();
    trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
    let frames: Vec<Result<Frame<Bytes>, Infallible>> = vec![
        Ok(Frame::data(Bytes::from(framed))),
        Ok(Frame::trailers(trailers)),
    ];
    let body = StreamBody::new(futures_util::stream::iter(frames)).boxed();
    Response::builder()
        .status(200)
        .header("content-type", "application/grpc")
        .body(body)
        .unwrap()
}
