//! The "timestamp and signatures in one header" family: `<header>: t=<unix>,v1=<hex>[,v1=…]`
//! (keys, separator and joiner per sender), HMAC-SHA256 over `"{t}{joiner}{raw body}"`; any
//! signature item may match, items under other keys are ignored ([`TimestampList`]). The senders
//! (Stripe, Paddle, Calendly, Mux) are rows of `presets/timestamp_list_senders.rs`.
//! Source: stripe/stripe-dotnet `src/Stripe.net/Services/Events/EventUtility.cs`, the shape the
//! others copy.

use super::common::{self, Algorithm, Encoding};
use crate::config::secret::Secret;
use crate::providers::{
    Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

/// A header holding a Unix timestamp and one or more hex HMAC-SHA256 signatures of
/// `"{timestamp}{joiner}{body}"`, as `key=value` items.
#[derive(Debug, Clone, Copy)]
pub struct ListShape {
    pub header: &'static str,
    pub separator: char,
    pub timestamp_key: &'static str,
    pub signature_key: &'static str,
    pub joiner: &'static str,
}

impl ListShape {
    /// The scheme for a route of `preset` (whose window it uses).
    pub fn boxed(
        &'static self,
        settings: &SchemeSettings<'_>,
        preset: &Preset,
    ) -> Result<Box<dyn Scheme>, SettingsError> {
        common::require_secrets(settings.secrets)?;
        common::preset_header(settings, self.header, false)?;
        Ok(Box::new(TimestampList {
            shape: self,
            window: preset.window(settings.tolerance),
            secrets: settings.secrets.to_vec(),
        }))
    }
}

/// The scheme of a route whose preset has a [`ListShape`]: the shape, the preset's window (or
/// the route's tolerance) and the route's secrets (any may match).
pub struct TimestampList {
    pub shape: &'static ListShape,
    pub window: common::Window,
    pub secrets: Vec<Secret>,
}

impl Scheme for TimestampList {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let shape = self.shape;
        let value = common::single_header(req.headers, shape.header)?;
        let timestamp = common::kv_single(value, shape.separator, shape.timestamp_key)?;
        self.window
            .check_seconds(common::parse_unix(timestamp)?, req.now)?;
        let candidates =
            common::kv_signatures(value, shape.separator, shape.signature_key, Encoding::Hex)?;
        let parts = [timestamp.as_bytes(), shape.joiner.as_bytes(), req.body];
        common::verify_hmac(Algorithm::Sha256, &self.secrets, &parts, &candidates)
    }

    fn sign(&self, req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        let shape = self.shape;
        let secret = common::first_secret(&self.secrets)?;
        let timestamp = req.now.as_secs().to_string();
        let mac = common::hmac_parts(
            Algorithm::Sha256,
            secret.bytes(),
            &[timestamp.as_bytes(), shape.joiner.as_bytes(), req.body],
        );
        Ok(vec![(
            shape.header.to_string(),
            format!(
                "{}={timestamp}{}{}={}",
                shape.timestamp_key,
                shape.separator,
                shape.signature_key,
                hex::encode(mac)
            ),
        )])
    }
}
