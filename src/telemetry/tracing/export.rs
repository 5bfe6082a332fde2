//! Batch export off the request path: ended spans go into a bounded queue (a full queue drops the
//! span and counts it, never waits), and one thread of its own batches them and calls the OTLP
//! exporter. The exporter runs on that thread's Tokio runtime, so neither a slow collector nor
//! the gRPC channel's tasks share the request runtimes.
//!
//! The queue is a mutex-guarded `Vec` (held for a push, or a swap), and the export thread is woken
//! only when a batch is full or `export_interval` has passed: waking it for every span (a channel
//! send) cost a context switch per span, most of tracing's CPU at `sample_ratio = 1.0`.
//!
//! Why not the SDK's `BatchSpanProcessor`: it drops spans silently (its count is only logged at
//! shutdown), and the operator needs `hookgate_trace_spans_dropped_total` while it happens.

use std::time::Duration;

use opentelemetry::Context;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};
use prometheus::{IntCounter, IntCounterVec, Opts, Registry};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, Notify};

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

/// The spans waiting for export, shared by the request threads and the export thread.
#[derive(Debug)]
struct Queue {
    spans: Mutex<Vec<SpanData>>,
    /// Signalled when `max_batch` spans are waiting.
    batch_ready: Notify,
    max_queue: usize,
    max_batch: usize,
}

impl Queue {
    /// Everything waiting now. The queue starts again with room for as many spans as were
    /// waiting (at most a batch): growing it from empty by doubling moved each span (a few
    /// hundred bytes) about once more, on the request threads, under the lock; sizing it by the
    /// last interval keeps a quiet gateway from holding a batch's worth (bench/FINDINGS.md §15).
    fn take(&self) -> Vec<SpanData> {
        let mut spans = self.spans.lock().unwrap_or_else(|e| e.into_inner());
        let room = spans.len().min(self.max_batch);
        std::mem::replace(&mut *spans, Vec::with_capacity(room))
    }
}

/// The span processor the tracer provider calls on every ended, sampled span.
#[derive(Debug)]
pub struct QueueProcessor {
    queue: Arc<Queue>,
    control: mpsc::UnboundedSender<Control>,
    counters: ExportCounters,
}

impl SpanProcessor for QueueProcessor {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        let mut spans = self.queue.spans.lock().unwrap_or_else(|e| e.into_inner());
        if spans.len() >= self.queue.max_queue {
            drop(spans);
            self.counters.queue_full.inc();
            return;
        }
        spans.push(span);
        let full_batch = spans.len() == self.queue.max_batch;
        drop(spans);
        if full_batch {
            self.queue.batch_ready.notify_one();
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
    let queue = Arc::new(Queue {
        spans: Mutex::new(Vec::new()),
        batch_ready: Notify::new(),
        max_queue: settings.max_queue,
        max_batch: settings.max_batch,
    });
    let thread_queue = queue.clone();
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
                batcher.run(&thread_queue, control_rx).await;
            });
        })
        .map_err(|e| format!("cannot start the export thread: {e}"))?;
    ready_rx
        .recv()
        .map_err(|_| "the export thread ended before starting".to_string())??;
    Ok(QueueProcessor {
        queue,
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
    /// Exports what is waiting whenever a batch is full or `export_interval` has passed; a flush
    /// or a shutdown exports it at once.
    async fn run(mut self, queue: &Queue, mut control: mpsc::UnboundedReceiver<Control>) {
        let mut tick = tokio::time::interval(self.settings.export_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let asked = tokio::select! {
                () = queue.batch_ready.notified() => None,
                _ = tick.tick() => None,
                asked = control.recv() => Some(asked),
            };
            self.export_all(queue.take()).await;
            let Some(asked) = asked else { continue };
            let stop = !matches!(asked, Some(Control::Flush(_)));
            if let Some(Control::Flush(done) | Control::Shutdown(done)) = asked {
                let _ = done.send(());
            }
            if stop {
                return;
            }
        }
    }

    /// Exports `spans` in batches of at most `max_batch`.
    async fn export_all(&mut self, mut spans: Vec<SpanData>) {
        while !spans.is_empty() {
            let rest = spans.split_off(spans.len().min(self.settings.max_batch));
            self.export(std::mem::replace(&mut spans, rest)).await;
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
