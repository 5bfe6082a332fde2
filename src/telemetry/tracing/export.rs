//! Batch export off the request path: ended spans go into a bounded queue (a full queue drops the
//! span and counts it, never waits), and one thread of its own batches them and calls the OTLP
//! exporter. The exporter runs on that thread's Tokio runtime, so neither a slow collector nor
//! the gRPC channel's tasks share the request runtimes.
//!
//! Why not the SDK's `BatchSpanProcessor`: it drops spans silently (its count is only logged at
//! shutdown), and the operator needs `hookgate_trace_spans_dropped_total` while it happens.

use std::time::Duration;

use opentelemetry::Context;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};
use prometheus::{IntCounter, IntCounterVec, Opts, Registry};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::config::tracing::TracingSettings;

/// Counters of the export pipeline, registered in the gateway's registry.
#[derive(Clone, Debug)]
pub struct ExportCounters {
    /// `hookgate_trace_spans_dropped_total{reason="queue_full"}`.
    pub queue_full: IntCounter,
    /// `hookgate_trace_spans_dropped_total{reason="export_failed"}`.
    pub export_failed: IntCounter,
    /// `hookgate_trace_spans_exported_total`.
    pub exported: IntCounter,
}

impl ExportCounters {
    /// Creates and registers the counters.
    pub fn register(registry: &Registry) -> prometheus::Result<ExportCounters> {
        let dropped = IntCounterVec::new(
            Opts::new(
                "hookgate_trace_spans_dropped_total",
                "Spans not exported: the export queue was full, or the collector refused or did not answer.",
            ),
            &["reason"],
        )?;
        let exported = IntCounter::new(
            "hookgate_trace_spans_exported_total",
            "Spans the collector accepted.",
        )?;
        registry.register(Box::new(dropped.clone()))?;
        registry.register(Box::new(exported.clone()))?;
        Ok(ExportCounters {
            queue_full: dropped.with_label_values(&["queue_full"]),
            export_failed: dropped.with_label_values(&["export_failed"]),
            exported,
        })
    }
}

/// What the export thread is asked besides spans.
enum Control {
    /// Export what is queued now, then answer.
    Flush(std::sync::mpsc::Sender<()>),
    /// Export what is queued, then stop.
    Shutdown(std::sync::mpsc::Sender<()>),
}

/// The span processor the tracer provider calls on every ended, sampled span.
#[derive(Debug)]
pub struct QueueProcessor {
    spans: mpsc::Sender<SpanData>,
    control: mpsc::UnboundedSender<Control>,
    counters: ExportCounters,
}

impl SpanProcessor for QueueProcessor {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        if self.spans.try_send(span).is_err() {
            self.counters.queue_full.inc();
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.ask(Control::Flush, Duration::from_secs(5))
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.ask(Control::Shutdown, timeout)
    }
}

impl QueueProcessor {
    /// Sends `control` and waits (blocking this thread, never a request's) for the answer.
    fn ask(
        &self,
        control: fn(std::sync::mpsc::Sender<()>) -> Control,
        timeout: Duration,
    ) -> OTelSdkResult {
        let (done, answered) = std::sync::mpsc::channel();
        if self.control.send(control(done)).is_err() {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        match answered.recv_timeout(timeout) {
            Ok(()) => Ok(()),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                Err(OTelSdkError::AlreadyShutdown)
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(OTelSdkError::Timeout(timeout)),
        }
    }
}

/// Builds an exporter inside the export thread's runtime (the gRPC channel spawns onto it).
pub type BuildExporter =
    Box<dyn FnOnce(&TracingSettings) -> Result<Box<dyn DynExporter>, String> + Send>;

/// Starts the export thread. Returns once the exporter is built (its error, e.g. an endpoint the
/// exporter refuses, is returned here, at start-up).
pub fn start(
    settings: &TracingSettings,
    counters: ExportCounters,
    build: BuildExporter,
) -> Result<QueueProcessor, String> {
    let (spans, rx) = mpsc::channel(settings.max_queue);
    let (control, control_rx) = mpsc::unbounded_channel();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let thread_settings = settings.clone();
    let thread_counters = counters.clone();
    std::thread::Builder::new()
        .name("hookgate-otlp".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => return drop(ready_tx.send(Err(e.to_string()))),
            };
            runtime.block_on(async move {
                let exporter = match build(&thread_settings) {
                    Ok(e) => e,
                    Err(e) => return drop(ready_tx.send(Err(e))),
                };
                let _ = ready_tx.send(Ok(()));
                let batcher = Batcher {
                    exporter,
                    settings: thread_settings,
                    counters: thread_counters,
                    failing: false,
                };
                batcher.run(rx, control_rx).await;
            });
        })
        .map_err(|e| format!("cannot start the export thread: {e}"))?;
    ready_rx
        .recv()
        .map_err(|_| "the export thread ended before starting".to_string())??;
    Ok(QueueProcessor {
        spans,
        control,
        counters,
    })
}

/// An exporter behind a trait object (the OTLP exporter's `export` is an `impl Future`).
pub trait DynExporter: Send {
    fn export_batch(
        &self,
        batch: Vec<SpanData>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = OTelSdkResult> + Send + '_>>;
}

impl<E: SpanExporter> DynExporter for E {
    fn export_batch(
        &self,
        batch: Vec<SpanData>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = OTelSdkResult> + Send + '_>> {
        Box::pin(self.export(batch))
    }
}

/// The export loop's state.
struct Batcher {
    exporter: Box<dyn DynExporter>,
    settings: TracingSettings,
    counters: ExportCounters,
    /// Whether the last export failed (logged once per change, not per batch).
    failing: bool,
}

impl Batcher {
    /// Collects a batch until it is full or its first span has waited `export_interval`, exports
    /// it, and repeats; a flush or shutdown exports what is queued at once.
    async fn run(
        mut self,
        mut rx: mpsc::Receiver<SpanData>,
        mut control: mpsc::UnboundedReceiver<Control>,
    ) {
        let mut batch = Vec::with_capacity(self.settings.max_batch);
        let mut deadline: Option<Instant> = None;
        loop {
            let due = deadline;
            let wait = async move {
                match due {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                span = rx.recv() => match span {
                    Some(span) => {
                        deadline.get_or_insert_with(|| Instant::now() + self.settings.export_interval);
                        batch.push(span);
                        if batch.len() < self.settings.max_batch {
                            continue;
                        }
                    }
                    None => return self.drain(&mut rx, batch).await,
                },
                () = wait => {}
                asked = control.recv() => {
                    let stop = matches!(asked, Some(Control::Shutdown(_)) | None);
                    self.drain(&mut rx, std::mem::take(&mut batch)).await;
                    if let Some(Control::Flush(done) | Control::Shutdown(done)) = asked {
                        let _ = done.send(());
                    }
                    if stop {
                        return;
                    }
                    deadline = None;
                    continue;
                }
            }
            deadline = None;
            self.export(std::mem::take(&mut batch)).await;
        }
    }

    /// Exports `batch` and everything queued now, in batches.
    async fn drain(&mut self, rx: &mut mpsc::Receiver<SpanData>, mut batch: Vec<SpanData>) {
        while let Ok(span) = rx.try_recv() {
            batch.push(span);
            if batch.len() >= self.settings.max_batch {
                self.export(std::mem::take(&mut batch)).await;
            }
        }
        if !batch.is_empty() {
            self.export(batch).await;
        }
    }

    /// One export call, bounded by `timeout`; a failure counts the batch as dropped.
    async fn export(&mut self, batch: Vec<SpanData>) {
        let n = batch.len() as u64;
        let result =
            tokio::time::timeout(self.settings.timeout, self.exporter.export_batch(batch)).await;
        let error = match result {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some(format!("no answer within {:?}", self.settings.timeout)),
        };
        match error {
            None => {
                self.counters.exported.inc_by(n);
                if std::mem::replace(&mut self.failing, false) {
                    ::tracing::info!("trace export recovered");
                }
            }
            Some(error) => {
                self.counters.export_failed.inc_by(n);
                if !std::mem::replace(&mut self.failing, true) {
                    ::tracing::warn!(%error, spans = n, "trace export failing; spans are dropped and counted in hookgate_trace_spans_dropped_total");
                }
            }
        }
    }
}
