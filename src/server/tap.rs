//! [`FramingTap`]: the webhook listener's HTTP/1 connections are wrapped in it so the gateway
//! sees the raw bytes pingora decodes.
//!
//! Why here: pingora's chunked decoder (httparse) accepts chunk-size lines the protocol rules
//! refuse (see [`crate::request::chunked`]), and its body reader keeps the raw bytes private.
//! The choices were to re-implement body reading on the raw stream (and so also pingora's
//! buffering, pipelining and keep-alive bookkeeping), or to check the bytes as they pass. The tap
//! does the latter and nothing else: pingora still reads and decodes the body; the tap records
//! the bytes of a request's head read (bounded; dropped as soon as the head shows the request is
//! not chunked, [`FramingTap::not_chunked`]), and once the request is known to be chunked
//! ([`FramingTap::arm_chunked`], before the first body read) it checks the bytes that came with
//! the head and then every byte read, *before* pingora gets them. A framing error fails that read
//! (`InvalidData`), so pingora's body read errors at once and the request is refused (400)
//! instead of being forwarded short or waiting for the read timeout.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use async_trait::async_trait;
use pingora::protocols::raw_connect::ProxyDigest;
use pingora::protocols::tls::TlsRef;
use pingora::protocols::{GetProxyDigest, GetSocketDigest, GetTimingDigest};
use pingora::protocols::{Peek, Shutdown, Ssl, Stream, UniqueID, UniqueIDType, ALPN};
use pingora::protocols::{SocketDigest, TimingDigest};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::request::chunked::{ChunkedFraming, FramingError};

/// Bytes of a request head (and what came with it) kept until the request is classified; past
/// it nothing more is kept and a chunked request on that connection is refused. pingora refuses
/// heads over 1 MiB, and the gateway heads over 64 KiB.
const MAX_RECORD: usize = 1024 * 1024 + 64 * 1024;
/// A record buffer up to this capacity is kept for the connection's next request (a typical head
/// plus a small body: no allocation per request); a larger one is freed.
const KEPT_RECORD: usize = 8 * 1024;

#[derive(Debug, Default)]
struct TapState {
    /// Bytes read since [`FramingTap::start_request`], until armed.
    record: Vec<u8>,
    overflowed: bool,
    /// Set once the request is chunked: checks every byte read from now on.
    framing: Option<ChunkedFraming>,
    /// Bytes of the next request read with the previous one (HTTP/1.1 pipelining), which
    /// pingora hands to the next session: they begin the next request's record.
    carried: Vec<u8>,
}

/// A pass-through [`Stream`] that can check chunked framing of what is read through it.
#[derive(Debug)]
pub struct FramingTap {
    inner: Stream,
    state: Mutex<TapState>,
    /// Set by the first byte read since [`FramingTap::start_request`]: the request has begun.
    arrived: Arc<AtomicBool>,
    /// Bytes read through the tap since it was made (HTTP/2: whether the preface is in).
    total: Arc<AtomicU64>,
}

impl FramingTap {
    pub fn wrap(inner: Stream) -> Stream {
        Box::new(FramingTap {
            inner,
            state: Mutex::new(TapState::default()),
            arrived: Arc::new(AtomicBool::new(false)),
            total: Arc::new(AtomicU64::new(0)),
        })
    }

    /// The tap under a session's stream, if the stream is one.
    pub fn of(stream: &Stream) -> Option<&FramingTap> {
        stream.as_any().downcast_ref::<FramingTap>()
    }

    /// Forgets the previous request: record from here (the next request's first byte, or the
    /// bytes [`FramingTap::carry_over`] kept), and clear [`FramingTap::arrival`] (set when bytes
    /// were carried over: the request has begun).
    pub fn start_request(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.record.clear();
        let carried = std::mem::take(&mut s.carried);
        s.record.extend_from_slice(&carried);
        s.overflowed = false;
        s.framing = None;
        self.arrived.store(!carried.is_empty(), Ordering::Relaxed);
    }

    /// `prefix` was read with the request just served and begins the next one (a pipelined
    /// request, RFC 9112 §9.3.2): it was checked as the previous request's trailing bytes, not
    /// as the next request's, so the next [`FramingTap::start_request`] records it first.
    pub fn carry_over(&self, prefix: &[u8]) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.carried.clear();
        if prefix.len() <= MAX_RECORD {
            s.carried.extend_from_slice(prefix);
        }
    }

    /// Whether a byte of the current request has been read: the line between waiting on an idle
    /// connection (`idle_timeout`) and reading a request (`read_timeout`), without a peek.
    pub fn arrival(&self) -> Arc<AtomicBool> {
        self.arrived.clone()
    }

    /// How many bytes have been read through the tap, all requests together.
    pub fn bytes_read(&self) -> Arc<AtomicU64> {
        self.total.clone()
    }

    /// The request is not chunked: stop recording (its body would otherwise be kept twice). A
    /// small buffer is kept, empty, for the next request.
    pub fn not_chunked(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.record.capacity() > KEPT_RECORD {
            s.record = Vec::new();
        }
        s.record.clear();
        s.overflowed = true;
    }

    /// The request whose head is `head` (its raw bytes) is chunked: checks the body bytes read
    /// with the head, and every later read.
    ///
    /// Errors: the bytes already read break the framing, or they cannot be lined up with `head`.
    pub fn arm_chunked(&self, head: &[u8]) -> Result<(), FramingError> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.overflowed || !s.record.starts_with(head) {
            return Err(FramingError::BadSizeLine(0));
        }
        let mut framing = ChunkedFraming::new();
        let result = framing.feed(s.record.get(head.len()..).unwrap_or_default(), |_| {});
        s.record = Vec::new();
        s.framing = Some(framing);
        result
    }
}

impl AsyncRead for FramingTap {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &poll {
            let new = buf.filled().get(before..).unwrap_or_default();
            if !new.is_empty() && !this.arrived.load(Ordering::Relaxed) {
                this.arrived.store(true, Ordering::Relaxed);
            }
            this.total.fetch_add(new.len() as u64, Ordering::Relaxed);
            let state = this.state.get_mut().unwrap_or_else(|e| e.into_inner());
            match &mut state.framing {
                Some(framing) => {
                    if let Err(e) = framing.feed(new, |_| {}) {
                        return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, e)));
                    }
                }
                None if !state.overflowed => {
                    if state.record.len() + new.len() > MAX_RECORD {
                        state.overflowed = true;
                        state.record = Vec::new();
                    } else {
                        state.record.extend_from_slice(new);
                    }
                }
                None => {}
            }
        }
        poll
    }
}

impl AsyncWrite for FramingTap {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[async_trait]
impl Shutdown for FramingTap {
    async fn shutdown(&mut self) {
        self.inner.shutdown().await
    }
}

impl UniqueID for FramingTap {
    fn id(&self) -> UniqueIDType {
        self.inner.id()
    }
}

impl Ssl for FramingTap {
    fn get_ssl(&self) -> Option<&TlsRef> {
        self.inner.get_ssl()
    }

    fn get_ssl_digest(&self) -> Option<Arc<pingora::protocols::tls::SslDigest>> {
        self.inner.get_ssl_digest()
    }

    fn selected_alpn_proto(&self) -> Option<ALPN> {
        self.inner.selected_alpn_proto()
    }
}

impl GetTimingDigest for FramingTap {
    fn get_timing_digest(&self) -> Vec<Option<TimingDigest>> {
        self.inner.get_timing_digest()
    }

    fn get_read_pending_time(&self) -> std::time::Duration {
        self.inner.get_read_pending_time()
    }

    fn get_write_pending_time(&self) -> std::time::Duration {
        self.inner.get_write_pending_time()
    }
}

impl GetProxyDigest for FramingTap {
    fn get_proxy_digest(&self) -> Option<Arc<ProxyDigest>> {
        self.inner.get_proxy_digest()
    }

    fn set_proxy_digest(&mut self, digest: ProxyDigest) {
        self.inner.set_proxy_digest(digest)
    }
}

impl GetSocketDigest for FramingTap {
    fn get_socket_digest(&self) -> Option<Arc<SocketDigest>> {
        self.inner.get_socket_digest()
    }

    fn set_socket_digest(&mut self, digest: SocketDigest) {
        self.inner.set_socket_digest(digest)
    }
}

#[async_trait]
impl Peek for FramingTap {
    async fn try_peek(&mut self, buf: &mut [u8]) -> io::Result<bool> {
        self.inner.try_peek(buf).await
    }
}
