//! Signature schemes: one file per provider preset, plus the generic families.
//!
//! A preset is data ([`Preset`]) plus a constructor that turns a route's resolved settings into a
//! [`Scheme`]: the object that verifies a request (and, for `hookgate sign` and tests, signs one).
//! Shared mechanics — HMAC, encodings, prefixes, multi-signature headers, constant-time compare,
//! timestamp windows — live in [`crate::providers::common`] so each provider file stays small.

pub mod common;
pub mod registry;

pub mod basic;
pub mod ed25519;
pub mod handshake;
pub mod hmac_generic;
pub mod parts_hmac;
pub mod token;

pub mod asana;
pub mod bitbucket;
pub mod boxcom;
pub mod calendly;
pub mod coinbase;
pub mod discord;
pub mod docusign;
pub mod dropbox;
pub mod github;
pub mod gitlab;
pub mod hubspot;
pub mod intercom;
pub mod lemonsqueezy;
pub mod linear;
pub mod mailgun;
pub mod mandrill;
pub mod mux;
pub mod paddle;
pub mod pagerduty;
pub mod paystack;
pub mod razorpay;
pub mod segment;
pub mod sendgrid;
pub mod sentry;
pub mod shopify;
pub mod slack;
pub mod square;
pub mod standard_webhooks;
pub mod stripe;
pub mod svix;
pub mod telnyx;
pub mod twilio;
pub mod twitch;
pub mod typeform;
pub mod vercel;
pub mod woocommerce;
pub mod xero;
pub mod zendesk;
pub mod zoom;

#[cfg(test)]
mod testkit;

use std::time::Duration;

use http::HeaderMap;

use crate::config::secret::Secret;

pub use registry::{find_preset, presets};

/// What a scheme sees of a request. Everything a provider may sign is here.
#[derive(Debug, Clone, Copy)]
pub struct WebhookRequest<'a> {
    /// The request method as sent (`POST`, or `GET` for some handshakes).
    pub method: &'a str,
    /// The URL the provider called: `scheme://host[:port]/path[?query]`. Only schemes that sign the
    /// URL (Twilio, Square, HubSpot, Mandrill, …) read it.
    pub public_url: &'a str,
    pub headers: &'a HeaderMap,
    /// The raw body, exactly as received.
    pub body: &'a [u8],
    /// Wall-clock time since the Unix epoch. Injected so tests can verify a published vector at the
    /// instant its source used.
    pub now: Duration,
}

/// Why a request failed verification. Every variant becomes a 401; the reason text never says
/// which secret or byte was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// The signature (or timestamp, or token) header is absent.
    MissingSignature,
    /// A header is present but cannot be parsed (bad encoding, wrong prefix, bad timestamp format).
    MalformedSignature,
    /// A signature header was sent more than once.
    AmbiguousSignature,
    /// The timestamp is outside the tolerance window (either direction).
    StaleTimestamp,
    /// Well-formed, but no configured secret produced a matching signature.
    BadSignature,
}

impl Rejection {
    /// The text of the `{"error": ...}` body.
    pub fn reason(self) -> &'static str {
        match self {
            Rejection::MissingSignature => "missing signature",
            Rejection::MalformedSignature => "malformed signature",
            Rejection::AmbiguousSignature => "ambiguous signature",
            Rejection::StaleTimestamp => "timestamp outside tolerance",
            Rejection::BadSignature => "invalid signature",
        }
    }
}

/// A response the gateway writes itself (handshakes and challenges), without the upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalResponse {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Why a scheme cannot produce a signature (`hookgate sign`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignError(pub String);

/// Work a scheme must finish before [`Scheme::verify`] can run: fetching a provider's key or
/// certificate over the network (SNS, PayPal, Google Pub/Sub, …). Resolves to `Err` when the key
/// cannot be had (the request is then refused with that rejection).
pub type Prepare<'s> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), Rejection>> + Send + 's>>;

/// A configured signature scheme for one route.
pub trait Scheme: Send + Sync {
    /// Checks the request. Must compare secret-derived values in constant time.
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection>;

    /// For schemes whose keys are fetched at run time: a future that makes sure what `verify`
    /// needs for `req` is in the scheme's cache. The verify stage awaits it (bounded by the
    /// scheme's own fetch timeout) before calling `verify`. `None` — the default, and the answer
    /// of a key-fetching scheme on a cache hit — costs no allocation and no await.
    fn prepare(&self, _req: &WebhookRequest<'_>) -> Option<Prepare<'_>> {
        None
    }

    /// The headers a correctly signed request needs, signed with the route's first secret at
    /// `req.now`. `req.headers` may carry headers the scheme signs over (e.g. an id). Asymmetric
    /// schemes configured with only a public key return an error.
    fn sign(&self, req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError>;

    /// Whether `verify` (or a handshake) reads [`WebhookRequest::public_url`]. The request path
    /// builds the URL only when this is true; the default is true so that a scheme that reads it
    /// can never be handed an empty one. Schemes that never read it answer false to save the
    /// per-request formatting.
    fn reads_public_url(&self) -> bool {
        true
    }

    /// A handshake that arrives before anything can be verified (Dropbox's `GET ?challenge=`,
    /// Asana's `X-Hook-Secret`). Only consulted when the route sets `answer_challenges = true`.
    fn unsigned_challenge(&self, _req: &WebhookRequest<'_>) -> Option<LocalResponse> {
        None
    }

    /// A handshake carried by a request that has already passed [`Scheme::verify`] (Slack
    /// `url_verification`, Zoom `endpoint.url_validation`, Twitch `webhook_callback_verification`).
    /// Only consulted when the route sets `answer_challenges = true`.
    fn signed_challenge(&self, _req: &WebhookRequest<'_>) -> Option<LocalResponse> {
        None
    }
}

/// The `signature = { ... }` table of a route, for the generic families and for presets whose
/// header a route may rename. All fields optional; each family says which it needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureSpec {
    pub header: Option<String>,
    pub algorithm: Option<String>,
    pub encoding: Option<String>,
    pub prefix: Option<String>,
    /// For `ed25519`: the header carrying a timestamp that is signed before the body.
    pub timestamp_header: Option<String>,
}

/// A route's resolved settings, handed to a preset's constructor.
#[derive(Debug, Clone, Copy)]
pub struct SchemeSettings<'a> {
    /// Resolved secret values (from `env:`, `file:` or the literal), in configured order.
    pub secrets: &'a [Secret],
    /// The route's `tolerance`, or the preset's default when the route sets none.
    pub tolerance: Duration,
    pub signature: Option<&'a SignatureSpec>,
}

/// A problem with a route's settings for this preset. `key` is the config key to name in the
/// error (`secrets`, `signature.header`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    pub key: &'static str,
    pub message: String,
}

impl SettingsError {
    pub fn new(key: &'static str, message: impl Into<String>) -> Self {
        SettingsError {
            key,
            message: message.into(),
        }
    }
}

/// A provider preset: its documented defaults and its constructor.
#[derive(Clone, Copy)]
pub struct Preset {
    /// The `provider = "..."` name.
    pub name: &'static str,
    /// Default `tolerance` for timestamped schemes; `None` when the scheme has no timestamp.
    pub default_tolerance: Option<Duration>,
    /// Default event-ID source, in the config syntax: `"header:Name"` or `"json:/pointer"`.
    pub event_id: Option<&'static str>,
    /// Default event-type source, same syntax.
    pub event_type: Option<&'static str>,
    /// One line for the README table and `hookgate check`: header and scheme.
    pub summary: &'static str,
    pub build: fn(&SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError>,
}

impl std::fmt::Debug for Preset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Preset").field("name", &self.name).finish()
    }
}
