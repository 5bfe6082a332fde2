//! Paddle Billing: `Paddle-Signature: ts=<unix>;h1=<hex>[;h1=…]`, HMAC-SHA256 over
//! `"{ts}:{raw body}"`; other versions (`h2`) ignored. Default tolerance **5 s**, Paddle's own SDK
//! value (`MAX_VALID_TIME_DIFFERENCE = 5`); routes behind slow networks may want more.
//! Source: PaddleHQ/paddle-node-sdk `src/notifications/helpers/webhooks-validator.ts` and tests.

use std::time::Duration;

use super::stripe::ListShape;
use crate::providers::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "paddle",
    default_tolerance: Some(Duration::from_secs(5)),
    event_id: Some("json:/event_id"),
    event_type: Some("json:/event_type"),
    summary:
        "Paddle-Signature: ts=<unix>;h1=<hex> HMAC-SHA256 of \"{ts}:{body}\" (any h1 may match)",
    family: "hmac-timestamped",
    headers: &["Paddle-Signature"],
    future_tolerance: Some(crate::providers::families::common::CLOCK_SKEW),
    reference: "paddle-node-sdk webhooks-validator.ts (now - ts <= 5 s, no future bound: hookgate allows 5 s of skew)",
    build,
    ..Preset::DEFAULTS
};

const SHAPE: ListShape = ListShape {
    header: "Paddle-Signature",
    separator: ';',
    timestamp_key: "ts",
    signature_key: "h1",
    joiner: ":",
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    SHAPE.boxed(settings, &PRESET)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::{secs, Vector};
    use crate::providers::Rejection;

    // vectors.json paddle-01..04: paddle-node-sdk
    // src/__tests__/notifications/webhooks-validator.node.test.ts @06639b55 (clock 2023-11-01T00:00Z).
    const AT: u64 = 1_698_796_800;

    fn vector() -> Vector<'static> {
        Vector {
            now: secs(AT),
            wrong_secrets: &["INVALID_SECRET"],
            ..Vector::new(
                &PRESET,
                &["VALID_SECRET"],
                &[(
                    "Paddle-Signature",
                    "ts=1698796800;h1=a300428748dce5c70e4da19bffd60769591ea969c99dea3105d0ec9612cf43f9",
                )],
                b"{\"data\": [\"1\", \"2\"]}",
            )
        }
    }

    #[test]
    fn paddle_sdk_vectors() {
        let v = vector();
        v.assert_all();
        // -03-spacing: a re-serialised body.
        assert_eq!(
            v.verify_body(b"{ \"data\": [ \"1\", \"2\" ]}"),
            Err(Rejection::BadSignature)
        );
        // -04-stale: six seconds later.
        assert_eq!(v.verify_at(secs(AT + 6)), Err(Rejection::StaleTimestamp));
        // -02-multi-h1: several h1 and an unknown h2.
        let multi = Vector {
            headers: &[(
                "Paddle-Signature",
                "ts=1698796800;h1=28981e941fae76e53db32f3d2a83cb69db41476595e84e1970a1b5d98f62b261;h1=28981e941fae76e53db32f3d2a83cb69db41476595e84e1970a1b5d98f62b261;h2=RANDOM_HASH",
            )],
            body: b"{\"data\": \"value\"}",
            ..v
        };
        assert_eq!(multi.verify(), Ok(()));
    }
}
