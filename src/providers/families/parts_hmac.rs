//! The shared shape of HMAC schemes whose signed string is built from several pieces of the
//! request (timestamp header, id header, method, URL, body) and whose signature sits in its own
//! header: Slack, Zoom, Twitch, HubSpot v3, Square, Zendesk, PagerDuty. Each of those files is a
//! [`Shape`] constant plus its tests.

use std::time::Duration;

use super::common::{self, Algorithm, Encoding, TimestampFormat};
use crate::config::secret::Secret;
use crate::providers::{
    Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

/// One piece of the signed string, concatenated in order without separators.
#[derive(Debug, Clone, Copy)]
pub enum Part {
    Lit(&'static str),
    /// The timestamp header's value, as sent.
    Timestamp,
    /// The id header's value, as sent.
    Id,
    Method,
    /// `WebhookRequest::public_url`.
    Url,
    /// `WebhookRequest::public_url` after the provider's canonicalisation (HubSpot v3 decodes a
    /// fixed set of percent-escapes).
    UrlWith(fn(&str) -> String),
    Body,
}

/// How a timestamp header is checked.
#[derive(Debug, Clone, Copy)]
pub struct TimestampHeader {
    pub header: &'static str,
    pub format: TimestampFormat,
}

/// Everything about a scheme except the route's secrets and tolerance.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub header: &'static str,
    /// Required before each signature (`v0=`, `sha256=`); empty for none.
    pub prefix: &'static str,
    /// When set, the header is a list of prefixed signatures (PagerDuty `v1=a,v1=b`); entries with
    /// another prefix are ignored.
    pub list_separator: Option<char>,
    pub encoding: Encoding,
    pub algorithm: Algorithm,
    pub timestamp: Option<TimestampHeader>,
    pub id_header: Option<&'static str>,
    pub parts: &'static [Part],
}

impl Shape {
    /// The scheme for a route of `preset` (whose window it uses).
    pub fn scheme(
        &'static self,
        settings: &SchemeSettings<'_>,
        preset: &Preset,
    ) -> Result<PartsHmac, SettingsError> {
        common::require_secrets(settings.secrets)?;
        common::preset_header(settings, self.header, false)?;
        Ok(PartsHmac {
            shape: self,
            window: preset.window(settings.tolerance),
            secrets: settings.secrets.to_vec(),
        })
    }

    pub fn boxed(
        &'static self,
        settings: &SchemeSettings<'_>,
        preset: &Preset,
    ) -> Result<Box<dyn Scheme>, SettingsError> {
        Ok(Box::new(self.scheme(settings, preset)?))
    }
}

pub struct PartsHmac {
    pub shape: &'static Shape,
    pub window: common::Window,
    pub secrets: Vec<Secret>,
}

/// The header values a signed string refers to.
struct Fields<'r> {
    timestamp: &'r str,
    id: &'r str,
    /// The canonical URL, when a [`Part::UrlWith`] asks for one.
    url: String,
}

/// The URL a [`Part::UrlWith`] of `parts` signs, or empty when none does.
fn canonical_url(parts: &[Part], url: &str) -> String {
    parts
        .iter()
        .find_map(|p| match p {
            Part::UrlWith(canon) => Some(canon(url)),
            _ => None,
        })
        .unwrap_or_default()
}

impl PartsHmac {
    fn signed_parts<'s>(
        &'s self,
        req: &'s WebhookRequest<'_>,
        fields: &'s Fields<'_>,
    ) -> Vec<&'s [u8]> {
        self.shape
            .parts
            .iter()
            .map(|part| match part {
                Part::Lit(s) => s.as_bytes(),
                Part::Timestamp => fields.timestamp.as_bytes(),
                Part::Id => fields.id.as_bytes(),
                Part::Method => req.method.as_bytes(),
                Part::Url => req.public_url.as_bytes(),
                Part::UrlWith(_) => fields.url.as_bytes(),
                Part::Body => req.body,
            })
            .collect()
    }

    fn candidates(&self, value: &str) -> Result<Vec<Vec<u8>>, Rejection> {
        let shape = self.shape;
        let strip = |v: &str| -> Option<Vec<u8>> {
            let v = v.trim();
            let encoded = if shape.prefix.is_empty() {
                v
            } else {
                common::strip_prefix_ci(v, shape.prefix)?
            };
            shape.encoding.decode(encoded)
        };
        match shape.list_separator {
            None => Ok(vec![strip(value).ok_or(Rejection::MalformedSignature)?]),
            Some(sep) => {
                let all: Vec<Vec<u8>> = value.split(sep).filter_map(strip).collect();
                if all.is_empty() {
                    Err(Rejection::MalformedSignature)
                } else {
                    Ok(all)
                }
            }
        }
    }

    /// Checks the timestamp header (if any) and returns the header fields. The signature header
    /// is read first so that an unsigned request is "missing signature" whatever else it lacks.
    fn fields<'r>(&self, req: &WebhookRequest<'r>) -> Result<Fields<'r>, Rejection> {
        let timestamp = match self.shape.timestamp {
            None => "",
            Some(ts) => {
                let value = common::single_header(req.headers, ts.header)?;
                let millis = ts.format.parse_millis(value)?;
                self.window.check_millis(millis, req.now)?;
                value
            }
        };
        let id = match self.shape.id_header {
            None => "",
            Some(h) => common::single_header(req.headers, h)?,
        };
        Ok(Fields {
            timestamp,
            id,
            url: canonical_url(self.shape.parts, req.public_url),
        })
    }

    /// The secret whose MAC matches, for handshakes that answer with a MAC of their own (Zoom).
    pub fn matching_secret(&self, req: &WebhookRequest<'_>) -> Option<&Secret> {
        let value = common::single_header(req.headers, self.shape.header).ok()?;
        let candidates = self.candidates(value).ok()?;
        let fields = self.fields(req).ok()?;
        let parts = self.signed_parts(req, &fields);
        self.secrets.iter().find(|secret| {
            common::any_hmac_matches(
                self.shape.algorithm,
                std::slice::from_ref(*secret),
                &parts,
                &candidates,
            )
        })
    }
}

impl Scheme for PartsHmac {
    /// When the shape signs the URL (Square, HubSpot v3).
    fn reads_public_url(&self) -> bool {
        self.shape
            .parts
            .iter()
            .any(|p| matches!(p, Part::Url | Part::UrlWith(_)))
    }

    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let value = common::single_header(req.headers, self.shape.header)?;
        let fields = self.fields(req)?;
        let candidates = self.candidates(value)?;
        let parts = self.signed_parts(req, &fields);
        common::verify_hmac(self.shape.algorithm, &self.secrets, &parts, &candidates)
    }

    fn sign(&self, req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        let secret = common::first_secret(&self.secrets)?;
        let mut out = Vec::new();
        let timestamp = match self.shape.timestamp {
            None => String::new(),
            Some(ts) => {
                // A timestamp the caller gives (`hookgate sign -H`) is the one signed.
                let value = ts.format.given_or_now(req.headers, ts.header, req.now)?;
                out.push((ts.header.to_string(), value.clone()));
                value
            }
        };
        let id = match self.shape.id_header {
            None => String::new(),
            Some(h) => {
                let id = common::header_or(req.headers, h, || made_up_id(req.now));
                out.push((h.to_string(), id.clone()));
                id
            }
        };
        let fields = Fields {
            timestamp: &timestamp,
            id: &id,
            url: canonical_url(self.shape.parts, req.public_url),
        };
        let mac = common::hmac_parts(
            self.shape.algorithm,
            secret.bytes(),
            &self.signed_parts(req, &fields),
        );
        out.insert(
            0,
            (
                self.shape.header.to_string(),
                format!("{}{}", self.shape.prefix, self.shape.encoding.encode(&mac)),
            ),
        );
        Ok(out)
    }
}

/// A delivery id for `sign` when the request carries none.
pub fn made_up_id(now: Duration) -> String {
    format!("hookgate-{:x}", now.as_nanos())
}
