//! Mux: `Mux-Signature: t=<unix>,v1=<hex HMAC-SHA256(signing secret, "{t}.{body}")>`, 5 minutes.
//! Source: docs.mux.com/core/verify-webhook-signatures; muxinc/mux-node `webhooks` (tolerance 300 s).

use std::time::Duration;

use super::stripe::ListShape;
use crate::providers::{Preset, Scheme, SchemeSettings, SettingsError};

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
    use crate::providers::families::testkit::{secs, Vector};
    use crate::providers::Rejection;

    // SDK output: @mux/mux-node@15.3.0 `mux.webhooks.verifySignature` (resources/webhooks:
    // HMAC-SHA256 hex of `${t}.${body}`, reject when now - t > 300 s) accepts this vector with its
    // clock at t and t + 300 s, and rejects it at t + 301 s, with a space-prefixed body or another
    // secret: scripts/provider-vectors/mux.mjs. The SDK has no bound on timestamps ahead of its
    // clock; hookgate applies the same 300 s ahead.
    #[test]
    fn mux_sdk_vector() {
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
        assert_eq!(v.verify_at(secs(1_700_000_300)), Ok(()));
        assert_eq!(
            v.verify_at(secs(1_700_000_301)),
            Err(Rejection::StaleTimestamp)
        );
    }
}
