//! Discord (interactions / webhook events): `X-Signature-Ed25519: <hex Ed25519 signature of
//! X-Signature-Timestamp + raw body>`; `secrets` hold the application's public key (hex). The
//! timestamp window (5 minutes) is hookgate's: Discord's libraries check none, and interactions
//! must be answered within seconds anyway. Answers PING (`type` 1) with `{"type":1}`.
//! Source: discord/discord-interactions-js `src/index.ts` (verifyKey).

use std::time::Duration;

use crate::providers::families::common::{self, Encoding};
use crate::providers::families::ed25519::{self, Ed25519Scheme};
use crate::providers::families::handshake::Handshake;
use crate::providers::{
    LocalResponse, Preset, Scheme, SchemeSettings, SettingsError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "discord",
    default_tolerance: Some(Duration::from_secs(300)),
    event_id: Some("json:/id"),
    event_type: Some("json:/type"),
    summary: "X-Signature-Ed25519: <hex> Ed25519 of X-Signature-Timestamp + body; secrets are public keys",
    family: "ed25519",
    headers: &["X-Signature-Ed25519", "X-Signature-Timestamp"],
    reference: "discord.com/developers/docs/interactions/overview (security and authorization; no window given: 300 s both ways is hookgate's)",
    build,
    ..Preset::DEFAULTS
};

fn scheme(keys: Vec<ed25519_dalek::VerifyingKey>, window: common::Window) -> Ed25519Scheme {
    Ed25519Scheme {
        header: "X-Signature-Ed25519".into(),
        encoding: Encoding::Hex,
        timestamp_header: Some("X-Signature-Timestamp".into()),
        separator: "",
        window: Some(window),
        keys,
    }
}

fn handshake(_scheme: &Ed25519Scheme, req: &WebhookRequest<'_>) -> Option<LocalResponse> {
    if common::json_text(req.body, "/type")? != "1" {
        return None;
    }
    Some(LocalResponse {
        status: 200,
        content_type: "application/json",
        headers: Vec::new(),
        body: br#"{"type":1}"#.to_vec(),
    })
}

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    common::preset_header(settings, "", false)?;
    let keys = ed25519::public_keys(settings.secrets)?;
    Ok(Handshake::after_verify(
        scheme(keys, PRESET.window(settings.tolerance)),
        handshake,
    ))
}

/// The headers of a request signed with `private_key` (32-byte seed) at `req.now`, for tests and
/// for `hookgate sign`-style tooling; configure `public_key_hex(private_key)` as the route secret.
pub fn sign_with_private_key(
    private_key: &[u8; 32],
    req: &WebhookRequest<'_>,
) -> Vec<(String, String)> {
    scheme(Vec::new(), common::Window::symmetric(Duration::ZERO))
        .sign_with_private_key(private_key, req)
}

/// The public key of `private_key`, in the form Discord shows it (hex).
pub fn public_key_hex(private_key: &[u8; 32]) -> String {
    hex::encode(ed25519::public_key_of(private_key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::{
        headers, scheme as build_scheme, secs, str_pairs, Vector,
    };
    use crate::providers::Rejection;

    // Discord publishes no fixed vector (its SDK tests generate keys). The key is RFC 8032 §7.1
    // TEST 1 (vectors.json ed25519-rfc8032-test1: public key d75a98…); the signatures were made
    // with `openssl pkeyutl -sign -rawin` (OpenSSL 3.0) over X-Signature-Timestamp + body.
    // SDK output: discord-interactions@4.4.0 (Discord's official library) `verifyKey(body,
    // signature, timestamp, publicKey)` accepts both (command and PING) and rejects them with a
    // space-prefixed body, another timestamp or another public key:
    // scripts/provider-vectors/discord.mjs.
    const PUBLIC_KEY: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    const SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const BODY: &[u8] = b"{\"type\":2,\"id\":\"1098765432109876543\",\"application_id\":\"123\",\"data\":{\"name\":\"ping\"}}";

    fn vector() -> Vector<'static> {
        Vector {
            now: secs(1_700_000_000),
            wrong_secrets: &["3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"],
            ..Vector::new(
                &PRESET,
                &[PUBLIC_KEY],
                &[
                    ("X-Signature-Ed25519", "a9a73cddff93cffbe6627a5443077b9d165f901e4ba42f3d4bae8586708ccd1b891f0691cbe38a6f3297d114e60c8790f10a9a073e8c7f53c7223adb80de7a02"),
                    ("X-Signature-Timestamp", "1700000000"),
                ],
                BODY,
            )
        }
    }

    #[test]
    fn discord_interactions_verify_key_vector() {
        let v = vector();
        v.assert_vector_cases();
        assert_eq!(
            v.verify_at(secs(1_700_000_301)),
            Err(Rejection::StaleTimestamp)
        );
    }

    #[test]
    fn sign_needs_the_private_key_and_the_helper_round_trips() {
        let v = vector();
        let s = build_scheme(&PRESET, &[PUBLIC_KEY], None);
        let map = headers(&[]);
        let req = WebhookRequest {
            method: "POST",
            public_url: v.url,
            headers: &map,
            body: BODY,
            now: secs(1_800_000_000),
        };
        assert!(s.sign(&req).is_err());
        let seed: [u8; 32] = hex::decode(SEED).unwrap().try_into().unwrap();
        assert_eq!(public_key_hex(&seed), PUBLIC_KEY);
        let signed = sign_with_private_key(&seed, &req);
        let pairs = str_pairs(&signed);
        let signed_map = headers(&pairs);
        assert_eq!(
            s.verify(&WebhookRequest {
                headers: &signed_map,
                ..req
            }),
            Ok(())
        );
    }

    #[test]
    fn ping_is_answered() {
        let s = build_scheme(&PRESET, &[PUBLIC_KEY], None);
        let map = headers(&[
            ("X-Signature-Ed25519", "4b8201c646270607798515941ce0a1680b198c4100d916ae7c3cc71e95099ec6577bffa81e9a9ec522201e8de49087cc9833959049de91d08f25054a30239803"),
            ("X-Signature-Timestamp", "1700000000"),
        ]);
        let req = WebhookRequest {
            method: "POST",
            public_url: "https://hooks.example.com/discord",
            headers: &map,
            body: br#"{"id":"1098765432109876540","application_id":"123","type":1,"version":1}"#,
            now: secs(1_700_000_000),
        };
        assert_eq!(s.verify(&req), Ok(()));
        assert_eq!(s.signed_challenge(&req).unwrap().body, br#"{"type":1}"#);
        assert!(s
            .signed_challenge(&WebhookRequest { body: BODY, ..req })
            .is_none());
    }
}
