//! `provider = "hmac"`: the generic scheme. An HMAC of the raw body in one header, described by the
//! route's `signature = { header, algorithm, encoding, prefix }`.
//!
//! Covers the seed documents' `X-Webhook-Signature: <hex>`, `Azotte-Signature: sha256=<hex>`,
//! `X-Soshia-Signature: <hex>`, and base64 variants.

use super::common::{self, Algorithm, Encoding};
use crate::config::secret::Secret;
use crate::providers::{
    Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "hmac",
    default_tolerance: None,
    event_id: None,
    event_type: None,
    summary: "signature.header: [prefix]<hex|base64> HMAC-SHA1/256/512 of the raw body",
    family: "hmac-body",
    headers: &[],
    reference: "generic: configured by the route's `signature` table",
    build,
    ..Preset::DEFAULTS
};

/// An HMAC over the body, in one header, with an optional prefix. Reused by presets whose scheme
/// is exactly this with fixed parameters (GitHub, Bitbucket, Linear, …).
pub struct BodyHmac {
    pub header: String,
    pub algorithm: Algorithm,
    pub encoding: Encoding,
    pub prefix: String,
    pub secrets: Vec<Secret>,
}

impl BodyHmac {
    /// A preset's fixed scheme. The route may only rename the header (`signature.header`).
    pub fn for_preset(
        settings: &SchemeSettings<'_>,
        header: &str,
        algorithm: Algorithm,
        encoding: Encoding,
        prefix: &str,
    ) -> Result<BodyHmac, SettingsError> {
        common::require_secrets(settings.secrets)?;
        Ok(BodyHmac {
            header: common::preset_header(settings, header, true)?,
            algorithm,
            encoding,
            prefix: prefix.to_string(),
            secrets: settings.secrets.to_vec(),
        })
    }

    /// [`BodyHmac::for_preset`], boxed: a whole `build` for the presets that are just this.
    pub fn boxed(
        settings: &SchemeSettings<'_>,
        header: &str,
        algorithm: Algorithm,
        encoding: Encoding,
        prefix: &str,
    ) -> Result<Box<dyn Scheme>, SettingsError> {
        Ok(Box::new(Self::for_preset(
            settings, header, algorithm, encoding, prefix,
        )?))
    }
}

impl Scheme for BodyHmac {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let value = common::single_header(req.headers, &self.header)?;
        let encoded = if self.prefix.is_empty() {
            value
        } else {
            common::strip_prefix_ci(value.trim(), &self.prefix)
                .ok_or(Rejection::MalformedSignature)?
        };
        let mut buf = [0u8; common::MAX_MAC_LEN];
        let signature = self
            .encoding
            .decode_in(encoded, &mut buf)
            .ok_or(Rejection::MalformedSignature)?;
        if common::any_hmac_matches(self.algorithm, &self.secrets, &[req.body], &[signature]) {
            Ok(())
        } else {
            Err(Rejection::BadSignature)
        }
    }

    fn sign(&self, req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        let secret = common::first_secret(&self.secrets)?;
        let mac = common::hmac_parts(self.algorithm, secret.bytes(), &[req.body]);
        Ok(vec![(
            self.header.clone(),
            format!("{}{}", self.prefix, self.encoding.encode(&mac)),
        )])
    }
}

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    common::require_secrets(settings.secrets)?;
    let spec = settings.signature.ok_or_else(|| {
        SettingsError::new(
            "signature",
            "provider \"hmac\" needs a `signature = { header, algorithm, encoding }` table",
        )
    })?;
    let header = common::required_header(spec)?;
    let algorithm = match spec.algorithm.as_deref() {
        None => Algorithm::Sha256,
        Some(a) => Algorithm::parse(a).ok_or_else(|| {
            SettingsError::new(
                "signature.algorithm",
                format!("{a:?} is not one of sha1, sha256, sha512"),
            )
        })?,
    };
    let encoding = common::encoding_setting(spec)?;
    Ok(Box::new(BodyHmac {
        header,
        algorithm,
        encoding,
        prefix: spec.prefix.clone().unwrap_or_default(),
        secrets: settings.secrets.to_vec(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::SignatureSpec;
    use http::HeaderMap;
    use std::time::Duration;

    fn scheme(spec: SignatureSpec, secrets: &[&str]) -> Box<dyn Scheme> {
        let secrets: Vec<Secret> = secrets.iter().map(|s| Secret::literal(s)).collect();
        build(&SchemeSettings {
            secrets: &secrets,
            tolerance: Duration::ZERO,
            signature: Some(&spec),
        })
        .unwrap()
    }

    fn verify(s: &dyn Scheme, header: &str, value: &str, body: &[u8]) -> Result<(), Rejection> {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::HeaderName::from_bytes(header.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
        s.verify(&WebhookRequest {
            method: "POST",
            public_url: "http://localhost/",
            headers: &headers,
            body,
            now: Duration::ZERO,
        })
    }

    // GitHub's documented example ("Testing the webhook payload validation"), which the seed
    // documents' `Azotte-Signature: sha256=<hex>` shape follows:
    // github/docs content/webhooks/using-webhooks/validating-webhook-deliveries.md
    // secret "It's a Secret to Everybody", payload "Hello, World!".
    const GH_SIG: &str = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn prefixed_hex_matches_the_published_github_vector() {
        let s = scheme(
            SignatureSpec {
                header: Some("Azotte-Signature".into()),
                algorithm: Some("sha256".into()),
                encoding: Some("hex".into()),
                prefix: Some("sha256=".into()),
                ..Default::default()
            },
            &["It's a Secret to Everybody"],
        );
        let header = "Azotte-Signature";
        assert_eq!(
            verify(&*s, header, &format!("sha256={GH_SIG}"), b"Hello, World!"),
            Ok(())
        );
        assert_eq!(
            verify(
                &*s,
                header,
                &format!("sha256={}", GH_SIG.to_uppercase()),
                b"Hello, World!"
            ),
            Ok(())
        );
        assert_eq!(
            verify(&*s, header, &format!("sha256={GH_SIG}"), b"Hello, World?"),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            verify(&*s, header, GH_SIG, b"Hello, World!"),
            Err(Rejection::MalformedSignature)
        );
    }

    #[test]
    fn any_configured_secret_may_match() {
        let s = scheme(
            SignatureSpec {
                header: Some("X-Webhook-Signature".into()),
                ..Default::default()
            },
            &["old-secret", "It's a Secret to Everybody"],
        );
        assert_eq!(
            verify(&*s, "X-Webhook-Signature", GH_SIG, b"Hello, World!"),
            Ok(())
        );
    }

    #[test]
    fn base64_variant_with_and_without_padding() {
        let s = scheme(
            SignatureSpec {
                header: Some("X-Sig".into()),
                encoding: Some("base64".into()),
                ..Default::default()
            },
            &["It's a Secret to Everybody"],
        );
        let b64 = Encoding::Base64.encode(&hex::decode(GH_SIG).unwrap());
        assert_eq!(verify(&*s, "X-Sig", &b64, b"Hello, World!"), Ok(()));
        assert_eq!(
            verify(&*s, "X-Sig", b64.trim_end_matches('='), b"Hello, World!"),
            Ok(())
        );
    }

    // vectors.json worldline-connect-01: Ingenico-ePayments/connect-sdk-php
    // tests/Ingenico/Connect/Sdk/Webhooks/WebhooksHelperTest.php @81502159 — Worldline's
    // `X-GCS-Signature` (base64 HMAC-SHA256 of the body) configured through the generic family.
    #[test]
    fn worldline_connect_vector_through_the_generic_family() {
        let s = scheme(
            SignatureSpec {
                header: Some("X-GCS-Signature".into()),
                encoding: Some("base64".into()),
                ..Default::default()
            },
            &["hello+world"],
        );
        let body = include_bytes!("../presets/testdata/worldline_connect.json");
        let sig = "2S7doBj/GnJnacIjSJzr5fxGM5xmfQyFAwxv1I53ZEk=";
        assert_eq!(verify(&*s, "X-GCS-Signature", sig, body), Ok(()));
        assert_eq!(
            verify(&*s, "X-GCS-Signature", sig, &body[1..]),
            Err(Rejection::BadSignature)
        );
    }
}
