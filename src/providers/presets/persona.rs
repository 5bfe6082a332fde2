//! Persona: `Persona-Signature: t=<unix>,v1=<hex>`, HMAC-SHA256 over `"{t}.{raw body}"` keyed with
//! the webhook secret (`wbhsec_…`) as is. While a secret rotates the header carries two
//! space-separated `t=…,v1=…` groups, one per secret; any group whose signature matches and whose
//! `t` is inside the window is enough.
//! Source: docs.withpersona.com/docs/webhooks-best-practices ("Checking signatures": the header,
//! the signed string, the Python/Ruby/Node samples, the rotation groups; "Handling duplicate
//! events"). Persona gives no replay window: 300 s both ways is hookgate's.

use std::time::Duration;

use crate::config::secret::Secret;
use crate::providers::families::common::{self, Algorithm, Encoding};
use crate::providers::{
    Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

const HEADER: &str = "Persona-Signature";

pub const PRESET: Preset = Preset {
    name: "persona",
    family: "hmac-timestamped",
    headers: &[HEADER],
    default_tolerance: Some(Duration::from_secs(300)),
    // The event object's ID: Persona re-sends the same event on retries ("Handling duplicate
    // events" tells receivers to skip already-logged events).
    event_id: Some("json:/data/id"),
    dedup_scope: crate::providers::DedupScope::Secret,
    event_type: Some("json:/data/attributes/name"),
    summary: "Persona-Signature: t=<unix>,v1=<hex> HMAC-SHA256 of \"{t}.{body}\" (space-separated groups while a secret rotates; any may match)",
    reference: "docs.withpersona.com webhooks best practices (checking signatures, rotation groups, duplicate events; no window given: 300 s both ways is hookgate's)",
    build,
    ..Preset::DEFAULTS
};

struct Persona {
    secrets: Vec<Secret>,
    window: common::Window,
}

/// The most `t=…,v1=…` groups a header may carry. Persona sends two while a secret rotates; each
/// group is a separate HMAC over the whole body, so an unbounded count would let one request
/// cost hundreds of body-sized HMACs.
const MAX_GROUPS: usize = 4;

/// One `t=…,v1=…` group of the header: the timestamp as sent and the decoded signatures.
struct Group<'v> {
    timestamp: &'v str,
    signatures: Vec<Vec<u8>>,
}

/// The groups of a `Persona-Signature` value. Items are separated by commas and whitespace; each
/// `t=` starts a group and the `v1=` items after it belong to it (other keys are ignored). A
/// `v1` before any `t`, a group without a decodable `v1`, no group at all or more than
/// [`MAX_GROUPS`] is malformed.
fn groups(value: &str) -> Result<Vec<Group<'_>>, Rejection> {
    let mut groups: Vec<Group<'_>> = Vec::new();
    let items = value
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|item| !item.is_empty())
        .filter_map(|item| item.split_once('='));
    for (key, val) in items {
        match key {
            "t" if groups.len() == MAX_GROUPS => return Err(Rejection::MalformedSignature),
            "t" => groups.push(Group {
                timestamp: val,
                signatures: Vec::new(),
            }),
            "v1" => groups
                .last_mut()
                .ok_or(Rejection::MalformedSignature)?
                .signatures
                .extend(Encoding::Hex.decode(val)),
            _ => {}
        }
    }
    if groups.is_empty() || groups.iter().any(|g| g.signatures.is_empty()) {
        return Err(Rejection::MalformedSignature);
    }
    Ok(groups)
}

impl Scheme for Persona {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let value = common::single_header(req.headers, HEADER)?;
        let (mut fresh_match, mut any_match, mut any_fresh) = (false, false, false);
        // Every group is checked (no early exit), so timing does not say which one matched.
        for group in groups(value)? {
            let fresh = self
                .window
                .check_seconds(common::parse_unix(group.timestamp)?, req.now)
                .is_ok();
            let matched = common::any_hmac_matches(
                Algorithm::Sha256,
                &self.secrets,
                &[group.timestamp.as_bytes(), b".", req.body],
                &group.signatures,
            );
            fresh_match |= fresh && matched;
            any_match |= matched;
            any_fresh |= fresh;
        }
        if fresh_match {
            Ok(())
        } else if any_match || !any_fresh {
            Err(Rejection::StaleTimestamp)
        } else {
            Err(Rejection::BadSignature)
        }
    }

    fn sign(&self, req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        let secret = common::first_secret(&self.secrets)?;
        let t = req.now.as_secs().to_string();
        let mac = common::hmac_parts(
            Algorithm::Sha256,
            secret.bytes(),
            &[t.as_bytes(), b".", req.body],
        );
        Ok(vec![(
            HEADER.to_string(),
            format!("t={t},v1={}", hex::encode(mac)),
        )])
    }
}

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    common::require_secrets(settings.secrets)?;
    common::preset_header(settings, HEADER, false)?;
    Ok(Box::new(Persona {
        secrets: settings.secrets.to_vec(),
        window: PRESET.window(settings.tolerance),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::{secs, Vector};

    // Persona publishes no SDK and no signed example. The v1 values are what Persona's own Python
    // sample (docs.withpersona.com/docs/webhooks-best-practices, "Checking signatures") computes,
    // and that sample accepts the header: scripts/provider-vectors/persona.py. The rotation header
    // is two such groups (old secret, new secret), as the same page describes.
    const SECRET: &str = "wbhsec_4d8b1c2e-7f3a-4e2b-9a6c-hookgate000001";
    const OLD_SECRET: &str = "wbhsec_0a1b2c3d-4e5f-4a6b-8c7d-hookgate000000";
    const BODY: &[u8] = br#"{"data":{"type":"event","id":"evt_AbCdEf123456","attributes":{"name":"inquiry.completed","payload":{"data":{"type":"inquiry","id":"inq_XyZ789","attributes":{"status":"completed"}}},"created-at":"2023-11-14T22:13:19.000Z"}}}"#;
    const HEADER_VALUE: &str =
        "t=1700000000,v1=da68b38a26bd3708dd096adb5120d7b53e30a550883ecd53ea92b6202b76644a";
    const ROTATING: &str = "t=1700000000,v1=e4e2176be032200d5485c0ffc9ea931f980412e02a8833d3c6d149a1da407adf t=1700000000,v1=da68b38a26bd3708dd096adb5120d7b53e30a550883ecd53ea92b6202b76644a";
    const T: u64 = 1_700_000_000;

    fn vector(headers: &'static [(&'static str, &'static str)]) -> Vector<'static> {
        Vector {
            now: secs(T),
            wrong_secrets: &["wbhsec_not-this-one"],
            ..Vector::new(&PRESET, &[SECRET], headers, BODY)
        }
    }

    #[test]
    fn docs_sample_vector() {
        let v = vector(&[(HEADER, HEADER_VALUE)]);
        v.assert_all();
        assert_eq!(v.verify_at(secs(T + 300)), Ok(()));
        assert_eq!(
            v.verify_at(secs(T + 301)),
            Err(Rejection::StaleTimestamp),
            "stale"
        );
        assert_eq!(
            v.verify_at(secs(T - 301)),
            Err(Rejection::StaleTimestamp),
            "future"
        );
        // The `t` is signed: moving it breaks the signature.
        assert_eq!(
            Vector {
                headers: &[(
                    HEADER,
                    "t=1700000001,v1=da68b38a26bd3708dd096adb5120d7b53e30a550883ecd53ea92b6202b76644a"
                )],
                ..v
            }
            .verify(),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn rotation_groups_match_either_secret() {
        let v = vector(&[(HEADER, ROTATING)]);
        assert_eq!(v.verify(), Ok(()), "new secret");
        assert_eq!(
            Vector {
                secrets: &[OLD_SECRET],
                ..v
            }
            .verify(),
            Ok(()),
            "old secret"
        );
        assert_eq!(
            Vector {
                secrets: &["wbhsec_other"],
                ..v
            }
            .verify(),
            Err(Rejection::BadSignature)
        );
        assert_eq!(v.verify_body(b"{}"), Err(Rejection::BadSignature));
        assert_eq!(v.verify_at(secs(T + 301)), Err(Rejection::StaleTimestamp));
        // A group that matches but is stale does not pass because another group is fresh (its
        // v1, for the old secret at t = T - 10000 s, computed with Python's hmac module).
        let mixed = "t=1699990000,v1=b8292f44c610e0b7c10dff61d90dc2b59501c50eb1833ed888fc3dcb48b4a0f5 t=1700000000,v1=00";
        let mixed = Vector {
            headers: &[(HEADER, mixed)],
            secrets: &[OLD_SECRET],
            ..v
        };
        assert_eq!(mixed.verify(), Err(Rejection::StaleTimestamp));
        assert_eq!(mixed.verify_at(secs(T - 10_000)), Ok(()));
    }

    #[test]
    fn malformed_headers_are_refused() {
        for bad in [
            "v1=da68b38a26bd3708dd096adb5120d7b53e30a550883ecd53ea92b6202b76644a",
            "t=1700000000",
            "t=1700000000,v1=zz",
            "t=soon,v1=da68b38a26bd3708dd096adb5120d7b53e30a550883ecd53ea92b6202b76644a",
            "",
        ] {
            assert_eq!(
                vector(&[]).run(
                    &[SECRET],
                    &crate::providers::families::testkit::headers(&[(HEADER, bad)]),
                    BODY,
                    secs(T)
                ),
                Err(Rejection::MalformedSignature),
                "{bad:?}"
            );
        }
    }

    /// Each group costs an HMAC over the whole body: a header may carry at most `MAX_GROUPS`
    /// (rotation needs two), more is refused before any HMAC is computed.
    #[test]
    fn more_groups_than_rotation_needs_are_refused() {
        let group =
            "t=1700000000,v1=da68b38a26bd3708dd096adb5120d7b53e30a550883ecd53ea92b6202b76644a";
        let run = |n: usize| {
            let value = vec![group; n].join(" ");
            vector(&[]).run(
                &[SECRET],
                &crate::providers::families::testkit::headers(&[(HEADER, &value)]),
                BODY,
                secs(T),
            )
        };
        assert_ne!(run(MAX_GROUPS), Err(Rejection::MalformedSignature));
        assert_eq!(run(MAX_GROUPS + 1), Err(Rejection::MalformedSignature));
        assert_eq!(run(500), Err(Rejection::MalformedSignature));
    }
}
