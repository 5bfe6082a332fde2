//! Senders that sign `"{timestamp header value}{separator}{raw body}"` with Ed25519 (RFC 8032) and
//! differ only in data: the two headers, the separator, the encoding (of the signature and of the
//! public key the provider shows), the window and an optional local answer, plus the event ID and
//! type sources, the summary and the document followed. `secrets` hold the provider's public keys.
//! Each row is a [`Preset`] (named after the sender) and its [`Ed25519Sender`]
//! (`<SENDER>_SIGNER`, also the test and tooling signer given the private key); its vectors (cited
//! beside them) are in the test module of the same name at the end of this file.
//!
//! Adding such a sender is one row here, its vector below, and its line in
//! [`crate::providers::families::registry`].

use std::time::Duration;

use crate::providers::families::common::{self, Encoding};
use crate::providers::families::ed25519::{self, Ed25519Scheme};
use crate::providers::families::handshake::{Answer, Handshake};
use crate::providers::{
    LocalResponse, Preset, Scheme, SchemeSettings, SettingsError, WebhookRequest,
};

/// The data of an Ed25519 sender besides its [`Preset`].
pub struct Ed25519Sender {
    /// The header holding the signature.
    pub header: &'static str,
    /// The header whose value (Unix seconds) is signed before the body.
    pub timestamp_header: &'static str,
    /// Between the timestamp and the body (`""` for Discord, `"|"` for Telnyx).
    pub separator: &'static str,
    /// The encoding of the signature, and of the public key as the provider shows it.
    pub encoding: Encoding,
    /// A local answer to a verified request (Discord's PING), if the sender expects one.
    pub answer: Option<Answer<Ed25519Scheme>>,
}

impl Ed25519Sender {
    fn scheme(
        &self,
        keys: Vec<ed25519_dalek::VerifyingKey>,
        window: common::Window,
    ) -> Ed25519Scheme {
        Ed25519Scheme {
            header: self.header.into(),
            encoding: self.encoding,
            timestamp_header: Some(self.timestamp_header.into()),
            separator: self.separator,
            window: Some(window),
            keys,
        }
    }

    /// The scheme for a route of `preset` (whose window it uses); no `signature` table.
    fn boxed(
        &self,
        settings: &SchemeSettings<'_>,
        preset: &Preset,
    ) -> Result<Box<dyn Scheme>, SettingsError> {
        common::preset_header(settings, "", false)?;
        let keys = ed25519::public_keys(settings.secrets)?;
        let scheme = self.scheme(keys, preset.window(settings.tolerance));
        Ok(match self.answer {
            Some(answer) => Handshake::after_verify(scheme, answer),
            None => Box::new(scheme),
        })
    }

    /// The headers of a request signed with `private_key` (32-byte seed) at `req.now`, for tests
    /// and for `hookgate sign`-style tooling; configure [`Ed25519Sender::public_key`] of it as the
    /// route secret.
    pub fn sign_with_private_key(
        &self,
        private_key: &[u8; 32],
        req: &WebhookRequest<'_>,
    ) -> Vec<(String, String)> {
        self.scheme(Vec::new(), common::Window::symmetric(Duration::ZERO))
            .sign_with_private_key(private_key, req)
    }

    /// The public key of `private_key`, in the form the provider shows it.
    pub fn public_key(&self, private_key: &[u8; 32]) -> String {
        self.encoding.encode(&ed25519::public_key_of(private_key))
    }
}

/// Discord (interactions / webhook events): `X-Signature-Ed25519: <hex Ed25519 signature of
/// X-Signature-Timestamp + raw body>`; `secrets` hold the application's public key (hex). The
/// timestamp window (5 minutes) is hookgate's: Discord's libraries check none, and interactions
/// must be answered within seconds anyway. Answers PING (`type` 1) with `{"type":1}`.
/// Source: discord/discord-interactions-js `src/index.ts` (verifyKey).
pub const DISCORD: Preset = Preset {
    name: "discord",
    default_tolerance: Some(Duration::from_secs(300)),
    event_id: Some("json:/id"),
    event_type: Some("json:/type"),
    summary: "X-Signature-Ed25519: <hex> Ed25519 of X-Signature-Timestamp + body; secrets are public keys",
    family: "ed25519",
    headers: &[DISCORD_SIGNER.header, DISCORD_SIGNER.timestamp_header],
    reference: "discord.com/developers/docs/interactions/overview (security and authorization; no window given: 300 s both ways is hookgate's)",
    build: |settings| DISCORD_SIGNER.boxed(settings, &DISCORD),
    ..Preset::DEFAULTS
};

/// The signature of [`DISCORD`].
pub const DISCORD_SIGNER: Ed25519Sender = Ed25519Sender {
    header: "X-Signature-Ed25519",
    timestamp_header: "X-Signature-Timestamp",
    separator: "",
    encoding: Encoding::Hex,
    answer: Some(discord_ping),
};

/// Discord's PING (`type` 1), verified, is answered `{"type":1}`.
fn discord_ping(_scheme: &Ed25519Scheme, req: &WebhookRequest<'_>) -> Option<LocalResponse> {
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

/// Telnyx: `telnyx-signature-ed25519: <base64 Ed25519 signature of "{telnyx-timestamp}|{raw
/// body}">`; `secrets` hold the account's public key (base64); 5 minutes.
/// Source: team-telnyx/telnyx-python `telnyx/webhook.py` (WebhookSignature.verify) and tests.
pub const TELNYX: Preset = Preset {
    name: "telnyx",
    default_tolerance: Some(Duration::from_secs(300)),
    event_id: Some("json:/data/id"),
    event_type: Some("json:/data/event_type"),
    summary: "telnyx-signature-ed25519: <base64> Ed25519 of \"{telnyx-timestamp}|{body}\"; secrets are public keys",
    family: "ed25519",
    headers: &[TELNYX_SIGNER.header, TELNYX_SIGNER.timestamp_header],
    reference: "telnyx-python tests/test_webhook.py (tolerance 300 s); developers.telnyx.com webhooks (data.id)",
    build: |settings| TELNYX_SIGNER.boxed(settings, &TELNYX),
    ..Preset::DEFAULTS
};

/// The signature of [`TELNYX`].
pub const TELNYX_SIGNER: Ed25519Sender = Ed25519Sender {
    header: "telnyx-signature-ed25519",
    timestamp_header: "telnyx-timestamp",
    separator: "|",
    encoding: Encoding::Base64,
    answer: None,
};

#[cfg(test)]
mod discord {
    use super::*;

    const PRESET: Preset = DISCORD;
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
        assert_eq!(DISCORD_SIGNER.public_key(&seed), PUBLIC_KEY);
        let signed = DISCORD_SIGNER.sign_with_private_key(&seed, &req);
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

#[cfg(test)]
mod telnyx {
    use super::*;

    const PRESET: Preset = TELNYX;
    use crate::providers::families::testkit::{
        headers, scheme as build_scheme, secs, str_pairs, Vector,
    };
    use crate::providers::Rejection;

    // Telnyx's SDK tests generate their keys, so there is no fixed published vector. The key is
    // RFC 8032 §7.1 TEST 1 (vectors.json ed25519-rfc8032-test1); the signature was made with
    // `openssl pkeyutl -sign -rawin` (OpenSSL 3.0) over "1700000000|" + body.
    // SDK output: telnyx@7.24.0 (npm) `client.webhooks.unwrap` (lib/webhooks TelnyxWebhook.verify:
    // Ed25519 over `${telnyx-timestamp}|${body}`, |now - timestamp| <= 300 s) accepts it with its
    // clock 100 s and ±300 s away, and rejects it at ±301 s, with a space-prefixed body or
    // another public key: scripts/provider-vectors/telnyx.mjs.
    const PUBLIC_KEY: &str = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
    const SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const BODY: &[u8] = b"{\"data\":{\"event_type\":\"message.received\",\"id\":\"0ccc7b54-4df3-4bca-a65a-3da1ecc777f0\",\"payload\":{\"id\":\"b301ed3f\"}},\"meta\":{\"attempt\":1}}";

    #[test]
    fn telnyx_sdk_vector() {
        let v = Vector {
            now: secs(1_700_000_100),
            wrong_secrets: &["PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw="],
            ..Vector::new(
                &PRESET,
                &[PUBLIC_KEY],
                &[
                    ("telnyx-signature-ed25519", "NrYZwhGrUoTqsBOGOeDEws6EHpfXkeSXg6DseD6qU9Kj2cDspQxmW3qSl857NH9F1hM+d+tIJ7lzFnzqXJXvAw=="),
                    ("telnyx-timestamp", "1700000000"),
                ],
                BODY,
            )
        };
        v.assert_vector_cases();
        assert_eq!(v.verify_at(secs(1_700_000_300)), Ok(()));
        assert_eq!(
            v.verify_at(secs(1_700_000_301)),
            Err(Rejection::StaleTimestamp)
        );
        assert_eq!(v.verify_at(secs(1_699_999_700)), Ok(()));
        assert_eq!(
            v.verify_at(secs(1_699_999_699)),
            Err(Rejection::StaleTimestamp)
        );
    }

    #[test]
    fn sign_needs_the_private_key_and_the_helper_round_trips() {
        let s = build_scheme(&PRESET, &[PUBLIC_KEY], None);
        let map = headers(&[]);
        let req = WebhookRequest {
            method: "POST",
            public_url: "https://hooks.example.com/telnyx",
            headers: &map,
            body: BODY,
            now: secs(1_800_000_000),
        };
        assert!(s.sign(&req).is_err());
        let seed: [u8; 32] = hex::decode(SEED).unwrap().try_into().unwrap();
        assert_eq!(TELNYX_SIGNER.public_key(&seed), PUBLIC_KEY);
        let signed = TELNYX_SIGNER.sign_with_private_key(&seed, &req);
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
}
