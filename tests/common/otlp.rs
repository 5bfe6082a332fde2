//! A test OpenTelemetry collector: an OTLP/HTTP receiver on 127.0.0.1 (hyper) that decodes every
//! `POST /v1/traces` with opentelemetry-proto, keeps the spans, and answers 200 with an empty
//! `ExportTraceServiceResponse`, as a collector does.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
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

impl Collector {
    pub fn start() -> Collector {
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
            rt.block_on(serve(listener, s, b));
        });
        Collector {
            port,
            spans,
            bodies,
        }
    }

    /// The `[tracing]` endpoint of this receiver.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
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
            assert!(Instant::now() < until, "timed out waiting for {what}; got {spans:#?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

async fn serve(
    listener: std::net::TcpListener,
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
            let service = hyper::service::service_fn(move |req| {
                receive(req, spans.clone(), bodies.clone())
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
    }
}

async fn receive(
    req: Request<hyper::body::Incoming>,
    spans: Arc<Mutex<Vec<Exported>>>,
    bodies: Arc<Mutex<Vec<Vec<u8>>>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path_ok = req.uri().path() == "/v1/traces";
    let protobuf = req
        .headers()
        .get("content-type")
        .is_some_and(|v| v == "application/x-protobuf");
    let body = req.into_body().collect().await.unwrap().to_bytes();
    if !path_ok || !protobuf {
        return Ok(Response::builder().status(404).body(Full::default()).unwrap());
    }
    bodies.lock().unwrap().push(body.to_vec());
    let request = ExportTraceServiceRequest::decode(body).expect("an OTLP trace export");
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
    let answer = ExportTraceServiceResponse::default().encode_to_vec();
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/x-protobuf")
        .body(Full::new(Bytes::from(answer)))
        .unwrap())
}
