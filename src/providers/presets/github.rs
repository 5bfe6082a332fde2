//! GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>`.
//! Source: github/docs `content/webhooks/using-webhooks/validating-webhook-deliveries.md`;
//! octokit/webhooks-methods.js.

use super::common::{Algorithm, Encoding};
use super::hmac_generic::BodyHmac;
use super::{Preset, Scheme, SchemeSettings, SettingsError};

pub const PRESET: Preset = Preset {
    name: "github",
    default_tolerance: None,
    event_id: Some("header:X-GitHub-Delivery"),
    event_type: Some("header:X-GitHub-Event"),
    summary: "X-Hub-Signature-256: sha256=<hex> HMAC-SHA256 of the raw body",
    family: "hmac-body",
    headers: &["X-Hub-Signature-256"],
    max_body: Some(25 * 1024 * 1024),
    reference: "docs.github.com webhooks: validating deliveries; payloads capped at 25 MB; X-GitHub-Delivery is kept on redelivery",
    build,
    ..Preset::DEFAULTS
};

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    BodyHmac::boxed(
        settings,
        "X-Hub-Signature-256",
        Algorithm::Sha256,
        Encoding::Hex,
        "sha256=",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testkit::Vector;
    use crate::providers::Rejection;

    const HEADER: &str = "X-Hub-Signature-256";

    // vectors.json github-docs-01: github/docs validating-webhook-deliveries.md @0c4564ac,
    // section "Testing the webhook payload validation".
    #[test]
    fn github_docs_vector() {
        let v = Vector::new(
            &PRESET,
            &["It's a Secret to Everybody"],
            &[(
                HEADER,
                "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
            )],
            b"Hello, World!",
        );
        v.assert_all();
    }

    // vectors.json github-octokit-01..05: octokit/webhooks-methods.js test/verify.test.ts @0043059e.
    const OCTOKIT_BODY: &[u8] = b"{\n  \"foo\": \"bar\"\n}\n";

    #[test]
    fn octokit_vectors() {
        let ok = Vector::new(
            &PRESET,
            &["mysecret"],
            &[(
                HEADER,
                "sha256=e3eccac34c43c7dc1cbb905488b1b81347fcc700a7b025697a9d07862256023f",
            )],
            OCTOKIT_BODY,
        );
        assert_eq!(ok.verify(), Ok(()));
        // -02-bad: non-hex characters in the signature.
        let bad = Vector {
            headers: &[(
                HEADER,
                "sha256=xxxccac34c43c7dc1cbb905488b1b81347fcc700a7b025697a9d07862256023f",
            )],
            ..ok
        };
        assert_eq!(bad.verify(), Err(Rejection::MalformedSignature));
        // -03-wrong-secret.
        assert_eq!(
            Vector {
                secrets: &["foo"],
                ..ok
            }
            .verify(),
            Err(Rejection::BadSignature)
        );
        // -04-unicode: raw UTF-8 and escape sequences in the body.
        let unicode = Vector::new(
            &PRESET,
            &["development"],
            &[(HEADER, "sha256=9dacf9003316b09be07df56d86a2d0d6872e42a1e6c72c3bad9ff915a7c5603e")],
            "{\n  \"foo\": \"Foo\\n\\u001B[34mbar: ♥♥♥♥♥♥♥♥\\nthis-is-lost\\u001B[0m\\u001B[2K\"\n}\n".as_bytes(),
        );
        assert_eq!(unicode.verify(), Ok(()));
        // -05-escaped: a literal backslash-u sequence.
        let escaped = Vector::new(
            &PRESET,
            &["development"],
            &[(
                HEADER,
                "sha256=87316067e2011fae39998b18c46a14d83b3e7c3ffdd88fb2ee5afb7d11288e60",
            )],
            b"{\n  \"foo\": \"\\\\u001b\"\n}\n",
        );
        assert_eq!(escaped.verify(), Ok(()));
    }
}
