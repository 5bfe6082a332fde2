//! Signature schemes, in two folders:
//!
//! - [`families`]: the scheme families and the mechanics every preset shares — HMAC over the
//!   body or over parts, encodings, prefixes, multi-signature headers, constant-time compare
//!   ([`families::common`]), timestamp windows, handshakes, the key-fetch family, the preset list
//!   ([`families::registry`]) and the README table ([`families::catalog`]).
//! - [`presets`]: the senders. A preset is data ([`Preset`]) plus a constructor that turns a
//!   route's resolved settings into a [`Scheme`]: the object that verifies a request (and, for
//!   `hookgate sign` and tests, signs one). Senders that differ only in data are rows of one
//!   table ([`presets::hmac_body`], [`presets::standard_webhooks_senders`]); a sender with logic
//!   of its own has a file. Each carries the provider's published vectors beside it.

// Panic-free by construction (issue 20): no `unwrap`, `expect`, indexing or `panic!` on
// input-dependent state outside tests (clippy.toml allows them in tests); each exception is
// allowed where it stands, with the reason it cannot fail.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

pub mod families;
pub mod presets;

use std::time::Duration;

use http::HeaderMap;

use crate::config::secret::Secret;

pub use families::registry::{find_preset, options_builder, presets};
use families::{common, key_fetch, registry};

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

/// Why a request failed verification. Every variant but [`Rejection::KeyUnavailable`] becomes a
/// 401 (see [`Rejection::status`]); the reason text never says which secret or byte was wrong.
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
    /// A key-fetching scheme could not get the provider's key or certificate (key server down,
    /// slow or answering 5xx): nothing is known about the request yet. 503 with `Retry-After`,
    /// so the provider retries instead of treating the delivery as permanently refused.
    KeyUnavailable,
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
            Rejection::KeyUnavailable => "signing key unavailable",
        }
    }

    /// The HTTP status to answer: 401, or 503 for [`Rejection::KeyUnavailable`] (sent with
    /// `Retry-After: `[`KEY_UNAVAILABLE_RETRY_AFTER_SECS`]).
    pub fn status(self) -> u16 {
        match self {
            Rejection::KeyUnavailable => 503,
            _ => 401,
        }
    }
}

/// `Retry-After` (seconds) of a 503 for [`Rejection::KeyUnavailable`].
pub const KEY_UNAVAILABLE_RETRY_AFTER_SECS: u64 = 30;

/// A response the gateway writes itself (handshakes and challenges), without the upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalResponse {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Why a scheme cannot produce a signature (`hookgate sign`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
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

    /// Whether `verify`, `sign` or a handshake reads [`WebhookRequest::public_url`]. The request
    /// path builds the URL only when this is true and hands the others an empty string. Schemes
    /// that sign the URL (Twilio, Mandrill, Square, HubSpot v2/v3) or read its query (Dropbox's
    /// challenge) say true; `testkit` verifies every other scheme's vectors with an empty URL, so
    /// a scheme that reads it without saying so fails its own tests.
    fn reads_public_url(&self) -> bool {
        false
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
/// error (`secrets`, `signature.header`, …); the config loader puts it in a `ConfigError` that also
/// names the file and route.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("key `{key}`: {message}")]
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

/// How a preset's default event ID becomes a dedup key that names one delivery to one receiver
/// (subscription, endpoint, notification destination) behind a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DedupScope {
    /// The ID is already per receiver (a delivery ID, or one only this receiver gets).
    Delivery,
    /// The ID is shared by every receiver of the event; these sources (config syntax) name the
    /// receiver and are part of the key (SNS's subscription ARN, Pub/Sub's `subscription`).
    Fields(&'static [&'static str]),
    /// The ID is shared by every endpoint and the only per-endpoint fact is its signing secret:
    /// the key carries the index (in the route's `secrets`) of the first secret that verified.
    Secret,
}

/// A provider preset: its documented defaults and its constructor.
///
/// Fields the request path reads besides `build` (see each field): `default_tolerance` (through
/// `SchemeSettings::tolerance`), `event_id` + `event_id_aliases`, `event_type`, `max_body` and
/// `methods`. `hookgate providers` prints all of them and the README's provider table is that
/// output (a test keeps them equal).
#[derive(Clone, Copy)]
pub struct Preset {
    /// The `provider = "..."` name.
    pub name: &'static str,
    /// The scheme family, one of [`FAMILIES`]: what kind of proof the provider sends.
    pub family: &'static str,
    /// The request headers the scheme reads (signature first); empty when the proof is in the
    /// body (Mailgun) or named by the route (`signature.header`).
    pub headers: &'static [&'static str],
    /// Default `tolerance` (how old a signed timestamp may be) for timestamped schemes;
    /// `Some(Duration::ZERO)` when the scheme signs a timestamp but checks no window unless the
    /// route sets one (SendGrid, as its SDK); `None` when the scheme has no timestamp (a route's
    /// `tolerance` is then a config error, unless a generic family is given
    /// `signature.timestamp_header`). A route's `tolerance` replaces it.
    pub default_tolerance: Option<Duration>,
    /// How far ahead of the gateway's clock a signed timestamp may be. `None`: as far as the past
    /// window (the route's `tolerance`, or `default_tolerance`). `Some` is fixed by the preset —
    /// the provider's SDK refuses timestamps from the future, so only clock skew is allowed
    /// ([`common::CLOCK_SKEW`]) — and a route's `tolerance` does not widen it.
    pub future_tolerance: Option<Duration>,
    /// Default event-ID source, in the config syntax: `"header:Name"` or `"json:/pointer"`. Only
    /// set where the provider documents a key that is unique per event delivered to one endpoint
    /// and stable across its retries and redeliveries; `None` means a route that turns `dedup` on
    /// must name its own `id`.
    pub event_id: Option<&'static str>,
    /// Further event-ID sources, tried in order when `event_id` finds nothing: the same key under
    /// the other header names the scheme accepts (Svix's unbranded `webhook-id`). The request path
    /// reads `event_id`, then each of these.
    pub event_id_aliases: &'static [&'static str],
    /// What makes the default event ID one delivery to this receiver when the provider sends the
    /// same ID to every receiver of an event (issue 20 fault 7): see [`DedupScope`].
    pub dedup_scope: DedupScope,
    /// Default event-type source, same syntax.
    pub event_type: Option<&'static str>,
    /// Default `max_body` in bytes, where the provider publishes a maximum payload size larger
    /// than the server default (GitHub: 25 MB). `None`: the server's `max_body`. A route's
    /// `max_body` overrides it.
    pub max_body: Option<u64>,
    /// The methods the provider signs and sends: a route's default `methods` (Twilio signs GET
    /// callbacks over the URL; Zendesk webhooks may use any method).
    pub methods: &'static [&'static str],
    /// One line for the README table and `hookgate check`: header and scheme.
    pub summary: &'static str,
    /// The provider's document or SDK that the scheme, window, event ID and size follow.
    pub reference: &'static str,
    pub build: fn(&SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError>,
}

/// The scheme families a [`Preset::family`] names.
pub const FAMILIES: &[&str] = &[
    "hmac-body",
    "hmac-timestamped",
    "hmac-url",
    "hmac-fields",
    "standard-webhooks",
    "sha256-secret",
    "ed25519",
    "ecdsa",
    "jwt-hs256",
    "jwt-fetched",
    "x509-fetched",
    "jws-x5c",
    "token",
    "basic",
];

impl Preset {
    /// The defaults most presets share; a preset literal ends with `..Preset::DEFAULTS` and sets
    /// every field that differs. `build` here refuses (every real preset sets its own).
    pub const DEFAULTS: Preset = Preset {
        name: "",
        family: "",
        headers: &[],
        default_tolerance: None,
        future_tolerance: None,
        event_id: None,
        event_id_aliases: &[],
        dedup_scope: DedupScope::Delivery,
        event_type: None,
        max_body: None,
        methods: &["POST"],
        summary: "",
        reference: "",
        build: |_| Err(SettingsError::new("provider", "not a preset")),
    };

    /// The timestamp window of a route with `tolerance` (resolved: the route's or the default).
    /// A zero tolerance (`tolerance = "0s"`, or SendGrid's default) is no window at all, the
    /// preset's skew-only future bound included: "not checked", as documented.
    pub fn window(&self, tolerance: Duration) -> common::Window {
        if tolerance.is_zero() {
            return common::Window::OFF;
        }
        common::Window {
            past: tolerance,
            future: self.future_tolerance.unwrap_or(tolerance),
        }
    }

    /// Every event-ID source, `event_id` first, then `event_id_aliases`.
    pub fn event_id_sources(&self) -> impl Iterator<Item = &'static str> {
        self.event_id
            .into_iter()
            .chain(self.event_id_aliases.iter().copied())
    }
}

impl std::fmt::Debug for Preset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Preset").field("name", &self.name).finish()
    }
}

/// Builds `preset`'s scheme from a route's resolved settings. Key-fetching presets read
/// `options` (`provider_options`) and share `key_fetch`'s counters; any other preset refuses
/// `options`.
///
/// Errors: a [`SettingsError`] naming the config key at fault.
pub fn build_scheme(
    preset: &Preset,
    settings: &SchemeSettings<'_>,
    options: Option<&key_fetch::ProviderOptions>,
    key_fetch: &key_fetch::KeyFetchContext,
) -> Result<Box<dyn Scheme>, SettingsError> {
    match (registry::options_builder(preset.name), options) {
        (Some(build), options) => build(settings, &options.cloned().unwrap_or_default(), key_fetch),
        (None, Some(_)) => Err(SettingsError::new(
            "provider_options",
            format!("provider {:?} takes no provider_options", preset.name),
        )),
        (None, None) => (preset.build)(settings),
    }
}
