//! `provider = "ed25519"`: an Ed25519 signature (RFC 8032) in `signature.header`, hex or base64,
//! over `[timestamp header value +] raw body`; `secrets` are public keys (32 bytes, hex or base64).
//! [`Ed25519Scheme`] is shared with Discord and Telnyx.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use super::common::{self, Encoding};
use crate::config::secret::Secret;
use crate::providers::{
    Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "ed25519",
    default_tolerance: None,
    event_id: None,
    event_type: None,
    summary: "signature.header: <hex|base64> Ed25519 over [signature.timestamp_header +] raw body; secrets are public keys",
    family: "ed25519",
    headers: &[],
    reference: "RFC 8032; configured by the route's `signature` table",
    build,
    ..Preset::DEFAULTS
};

pub struct Ed25519Scheme {
    pub header: String,
    pub encoding: Encoding,
    /// Header whose value is signed before the body.
    pub timestamp_header: Option<String>,
    /// Between the timestamp and the body (Telnyx `|`).
    pub separator: &'static str,
    /// Window for the timestamp (Unix seconds); `None` or a zero past bound: not checked.
    pub window: Option<common::Window>,
    pub keys: Vec<VerifyingKey>,
}

impl Ed25519Scheme {
    fn message(&self, timestamp: &str, body: &[u8]) -> Vec<u8> {
        let mut message = Vec::with_capacity(timestamp.len() + self.separator.len() + body.len());
        if self.timestamp_header.is_some() {
            message.extend_from_slice(timestamp.as_bytes());
            message.extend_from_slice(self.separator.as_bytes());
        }
        message.extend_from_slice(body);
        message
    }

    /// The headers of a request signed with `private_key` (a 32-byte Ed25519 seed) at `req.now`.
    /// For tests and for senders: hookgate itself only ever holds the public key.
    pub fn sign_with_private_key(
        &self,
        private_key: &[u8; 32],
        req: &WebhookRequest<'_>,
    ) -> Vec<(String, String)> {
        let key = SigningKey::from_bytes(private_key);
        let timestamp = req.now.as_secs().to_string();
        let signature = key.sign(&self.message(&timestamp, req.body));
        let mut out = vec![(
            self.header.clone(),
            self.encoding.encode(&signature.to_bytes()),
        )];
        if let Some(h) = &self.timestamp_header {
            out.push((h.clone(), timestamp));
        }
        out
    }
}

impl Scheme for Ed25519Scheme {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let value = common::single_header(req.headers, &self.header)?;
        let timestamp = match &self.timestamp_header {
            None => "",
            Some(h) => {
                let t = common::single_header(req.headers, h)?;
                if let Some(window) = self.window {
                    window.check_seconds(common::parse_unix(t)?, req.now)?
                }
                t
            }
        };
        let bytes = self
            .encoding
            .decode(value)
            .ok_or(Rejection::MalformedSignature)?;
        let bytes: [u8; 64] = bytes
            .try_into()
            .map_err(|_| Rejection::MalformedSignature)?;
        let signature = Signature::from_bytes(&bytes);
        let message = self.message(timestamp, req.body);
        if self
            .keys
            .iter()
            .any(|k| k.verify_strict(&message, &signature).is_ok())
        {
            Ok(())
        } else {
            Err(Rejection::BadSignature)
        }
    }

    fn sign(&self, _req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        Err(SignError(
            "Ed25519 signing needs the provider's private key; hookgate holds only the public key"
                .into(),
        ))
    }
}

/// Public keys from `secrets`: 32 bytes written as 64 hex digits or base64.
pub fn public_keys(secrets: &[Secret]) -> Result<Vec<VerifyingKey>, SettingsError> {
    common::require_secrets(secrets)?;
    secrets
        .iter()
        .enumerate()
        .map(|(i, secret)| {
            let text = secret.as_str().unwrap_or_default().trim();
            let bytes = if text.len() == 64 {
                Encoding::Hex.decode(text)
            } else {
                common::decode_base64(text)
            };
            bytes
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .and_then(|b| VerifyingKey::from_bytes(&b).ok())
                .ok_or_else(|| {
                    SettingsError::new(
                        "secrets",
                        format!(
                            "secret #{} is not an Ed25519 public key (32 bytes, hex or base64)",
                            i + 1
                        ),
                    )
                })
        })
        .collect()
}

/// The public key of a 32-byte seed, in hex (Discord's format) and base64 (Telnyx's).
pub fn public_key_of(private_key: &[u8; 32]) -> [u8; 32] {
    SigningKey::from_bytes(private_key)
        .verifying_key()
        .to_bytes()
}

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    let keys = public_keys(settings.secrets)?;
    let spec = settings.signature.ok_or_else(|| {
        SettingsError::new(
            "signature",
            "provider \"ed25519\" needs `signature = { header, encoding }`",
        )
    })?;
    if spec.prefix.is_some()
        || spec
            .algorithm
            .as_deref()
            .is_some_and(|a| !a.eq_ignore_ascii_case("ed25519"))
    {
        return Err(SettingsError::new(
            "signature",
            "provider \"ed25519\" takes only `header`, `encoding` and `timestamp_header`",
        ));
    }
    let header = common::required_header(spec)?;
    if let Some(name) = &spec.timestamp_header {
        common::check_header_name("signature.timestamp_header", name)?;
    }
    let encoding = common::encoding_setting(spec)?;
    Ok(Box::new(Ed25519Scheme {
        header,
        encoding,
        timestamp_header: spec.timestamp_header.clone(),
        separator: "",
        window: Some(common::Window::symmetric(settings.tolerance)),
        keys,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::{headers, secs, str_pairs};
    use crate::providers::SignatureSpec;

    fn scheme(
        encoding: &str,
        timestamp_header: Option<&str>,
        keys: &[&str],
        tolerance: u64,
    ) -> Box<dyn Scheme> {
        let secrets: Vec<Secret> = keys.iter().map(|s| Secret::literal(s)).collect();
        let spec = SignatureSpec {
            header: Some("X-Signature".into()),
            encoding: Some(encoding.into()),
            timestamp_header: timestamp_header.map(str::to_string),
            ..Default::default()
        };
        build(&SchemeSettings {
            secrets: &secrets,
            tolerance: secs(tolerance),
            signature: Some(&spec),
        })
        .unwrap()
    }

    fn verify(
        s: &dyn Scheme,
        pairs: &[(&str, &str)],
        body: &[u8],
        now: u64,
    ) -> Result<(), Rejection> {
        s.verify(&WebhookRequest {
            method: "POST",
            public_url: "http://localhost/",
            headers: &headers(pairs),
            body,
            now: secs(now),
        })
    }

    // vectors.json ed25519-rfc8032-test1 / -test2: RFC 8032 §7.1 TEST 1 (empty message) and TEST 2
    // (message "r"), signature over the raw body.
    const PK1: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    const SIG1: &str = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
    const PK2: &str = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
    const SIG2: &str = "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";

    #[test]
    fn rfc8032_vectors_hex() {
        let s = scheme("hex", None, &[PK1, PK2], 0);
        assert_eq!(verify(&*s, &[("X-Signature", SIG1)], b"", 0), Ok(()));
        assert_eq!(verify(&*s, &[("X-Signature", SIG2)], b"r", 0), Ok(()));
        assert_eq!(
            verify(&*s, &[("X-Signature", SIG2)], b"s", 0),
            Err(Rejection::BadSignature)
        );
        assert_eq!(verify(&*s, &[], b"r", 0), Err(Rejection::MissingSignature));
        assert_eq!(
            verify(&*s, &[("X-Signature", "abcd")], b"r", 0),
            Err(Rejection::MalformedSignature)
        );
        let wrong = scheme("hex", None, &[PK1], 0);
        assert_eq!(
            verify(&*wrong, &[("X-Signature", SIG2)], b"r", 0),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn rfc8032_vector_base64_key_and_signature() {
        let pk = Encoding::Base64.encode(&hex::decode(PK2).unwrap());
        let sig = Encoding::Base64.encode(&hex::decode(SIG2).unwrap());
        let s = scheme("base64", None, &[&pk], 0);
        assert_eq!(verify(&*s, &[("X-Signature", &sig)], b"r", 0), Ok(()));
    }

    #[test]
    fn timestamp_header_is_signed_and_checked() {
        let seed = [7u8; 32];
        let pk = hex::encode(public_key_of(&seed));
        let s = scheme("hex", Some("X-Timestamp"), &[&pk], 300);
        let signer = Ed25519Scheme {
            header: "X-Signature".into(),
            encoding: Encoding::Hex,
            timestamp_header: Some("X-Timestamp".into()),
            separator: "",
            window: None,
            keys: vec![],
        };
        let map = headers(&[]);
        let req = WebhookRequest {
            method: "POST",
            public_url: "http://localhost/",
            headers: &map,
            body: b"{\"a\":1}",
            now: secs(1_000),
        };
        let signed = signer.sign_with_private_key(&seed, &req);
        let pairs = str_pairs(&signed);
        assert_eq!(verify(&*s, &pairs, b"{\"a\":1}", 1_000), Ok(()));
        assert_eq!(
            verify(&*s, &pairs, b"{\"a\":2}", 1_000),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            verify(&*s, &pairs, b"{\"a\":1}", 1_301),
            Err(Rejection::StaleTimestamp)
        );
        assert!(s.sign(&req).is_err());
    }

    #[test]
    fn a_key_that_is_not_32_bytes_is_a_settings_error() {
        let secrets = [Secret::literal("abcd")];
        let spec = SignatureSpec {
            header: Some("X-Signature".into()),
            ..Default::default()
        };
        let err = build(&SchemeSettings {
            secrets: &secrets,
            tolerance: secs(0),
            signature: Some(&spec),
        })
        .err()
        .unwrap();
        assert_eq!(err.key, "secrets");
        assert!(!err.message.contains("abcd"));
    }
}
