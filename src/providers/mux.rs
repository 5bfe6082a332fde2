//! Mux: `Mux-Signature: t=<unix>,v1=<hex HMAC-SHA256(signing secret, "{t}.{body}")>`, 5 minutes.
//! Source: docs.mux.com/core/verify-webhook-signatures; muxinc/mux-node `webhooks` (tolerance 300 s).

use std::time::Duration;

use super::stripe::ListShape;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "mux",
    default_tolerance: Some(Duration::from_secs(300)),
    event_id: Some("json:/id"),
    event_type: Some("json:/type"),
    summary: "Mux-Signature: t=<unix>,v1=<hex> HMAC-SHA256 of \"{t}.{body}\"",
    family: "hmac-timestamped",
    headers: &["Mux-Signature"],
    reference: "docs.mux.com/core/verify-webhook-signatures; mux-node webhooks (tolerance 300 s)",
    build,
    ..Preset::DEFAULTS
};

const SHAPE: ListShape = ListShape {
    header: "Mux-Signature",
    separator: ',',
    timestamp_key: "t",
    signature_key: "v1",
    joiner: ".",
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    SHAPE.boxed(settings, &PRESET)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::{secs, Vector};
    use crate::providers::Rejection;

    // Scheme: docs.mux.com "Verify webhook signatures" (Mux-Signature `t=…,v1=…`, HMAC-SHA256 hex of
    // `t + "." + raw body`, compare with v1). No published vector: expected value computed with
    // Python `hmac.new(secret, b"1700000000." + body, hashlib.sha256).hexdigest()`.
    #[test]
    fn documented_scheme_vector() {
        let v = Vector {
            now: secs(1_700_000_000),
            ..Vector::new(
                &PRESET,
                &["mux-webhook-secret"],
                &[(
                    "Mux-Signature",
                    "t=1700000000,v1=9a089201bb46067c12b252c5c5d393adfcec477edb7011f2eeb1ccbd0413d2bd",
                )],
                b"{\"type\":\"video.asset.ready\",\"id\":\"3a56ac3d-33da-4366-855b-f592d898409d\",\"data\":{\"id\":\"asset_1\"}}",
            )
        };
        v.assert_all();
        assert_eq!(
            v.verify_at(secs(1_700_000_301)),
            Err(Rejection::StaleTimestamp)
        );
    }
}
