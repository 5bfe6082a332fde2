//! The forges, which sign as Gitea does ([`ForgePayloadHmac`]): `<header>: <hex
//! HMAC-SHA256(secret, JSON payload)>`, the payload being the raw body or the `payload` field of
//! a form delivery. Each row is one [`Preset`] (its constant is named after the sender); its
//! vectors, from the forge's own signer (cited beside them), are in the test module of the same
//! name at the end of this file. Forgejo sends Gitea's and Gogs' headers too, and Gitea Gogs'.
//!
//! - Gitea: docs.gitea.com/usage/webhooks (X-Gitea-Signature; X-Gitea-Delivery per delivery) and
//!   the signer itself, go-gitea/gitea `services/webhook/deliver.go` (`newDefaultRequest`,
//!   `addDefaultHeaders`).
//! - Gogs: gogs.io/docs/features/webhook (X-Gogs-Signature, X-Gogs-Delivery); gogs/gogs
//!   `internal/database/webhook.go` (`prepareHookTasks` signs, `deliver` sends).
//! - Forgejo: forgejo.org/docs/latest/user/webhooks (X-Forgejo-Signature, X-Forgejo-Delivery);
//!   Forgejo `services/webhook/shared/payloader.go` (`AddDefaultHeaders`). Releases from before
//!   the X-Forgejo-* headers need the `gitea` preset.

use crate::providers::families::forge_payload::ForgePayloadHmac;
use crate::providers::Preset;

/// Gitea: `X-Gitea-Signature: <hex HMAC-SHA256(secret, payload)>`.
pub const GITEA: Preset = Preset {
    name: "gitea",
    family: "hmac-body",
    headers: &["X-Gitea-Signature"],
    event_id: Some("header:X-Gitea-Delivery"),
    event_type: Some("header:X-Gitea-Event"),
    summary: "X-Gitea-Signature: <hex> HMAC-SHA-256 of the JSON payload (the body, or the `payload` field of a form delivery)",
    reference: "docs.gitea.com/usage/webhooks (X-Gitea-Signature; X-Gitea-Delivery per delivery); go-gitea/gitea services/webhook/deliver.go (signs the JSON, form-encodes it after)",
    build: |settings| ForgePayloadHmac::boxed(settings, "X-Gitea-Signature"),
    ..Preset::DEFAULTS
};

/// Gogs: `X-Gogs-Signature: <hex HMAC-SHA256(secret, payload)>`; Gitea and Forgejo send it too.
pub const GOGS: Preset = Preset {
    name: "gogs",
    family: "hmac-body",
    headers: &["X-Gogs-Signature"],
    event_id: Some("header:X-Gogs-Delivery"),
    event_type: Some("header:X-Gogs-Event"),
    summary: "X-Gogs-Signature: <hex> HMAC-SHA-256 of the JSON payload (the body, or the `payload` field of a form delivery)",
    reference: "gogs.io/docs/features/webhook (X-Gogs-Signature, X-Gogs-Delivery)",
    build: |settings| ForgePayloadHmac::boxed(settings, "X-Gogs-Signature"),
    ..Preset::DEFAULTS
};

/// Forgejo: `X-Forgejo-Signature: <hex HMAC-SHA256(secret, payload)>`.
pub const FORGEJO: Preset = Preset {
    name: "forgejo",
    family: "hmac-body",
    headers: &["X-Forgejo-Signature"],
    event_id: Some("header:X-Forgejo-Delivery"),
    event_type: Some("header:X-Forgejo-Event"),
    summary: "X-Forgejo-Signature: <hex> HMAC-SHA-256 of the JSON payload (the body, or the `payload` field of a form delivery)",
    reference: "forgejo.org/docs/latest/user/webhooks (X-Forgejo-Signature, X-Forgejo-Delivery)",
    build: |settings| ForgePayloadHmac::boxed(settings, "X-Forgejo-Signature"),
    ..Preset::DEFAULTS
};

#[cfg(test)]
mod gitea {
    use super::*;

    const PRESET: Preset = GITEA;
    use crate::providers::families::testkit::Vector;
    use crate::providers::Rejection;

    /// The body of both vectors: a trimmed Gitea push payload (docs.gitea.com/usage/webhooks).
    const BODY: &[u8] = br#"{"ref":"refs/heads/develop","before":"28e1879d029cb852e4844d9c718537df08844e03","after":"bffeb74224043ba2feb48d137756c8a9331c449a","repository":{"id":140,"full_name":"gitea/webhooks"}}"#;
    const SIGNATURE: &str = "2445743eb92db261e0440c5fc1ba646b138359c3802399f27af5e79408cdeb7a";

    // Gitea's own signer: go-gitea/gitea services/webhook/deliver.go @50e782654e78d86288b79bdb5facd69078088bb0,
    // `addDefaultHeaders` run verbatim (Go 1.19.8, standard library only) with secret
    // "gitea-secret" over BODY; it set X-Gitea-Signature, X-Gogs-Signature and
    // X-Hub-Signature-256 (`sha256=` + the same hex) to SIGNATURE. The signature check of Gitea's
    // documented receiver (docs/content/usage/webhooks.en-us.md "Example", PHP 8.2) accepts it and
    // rejects a changed body: scripts/provider-vectors/gitea_docs_sample.php.
    #[test]
    fn gitea_signer_vector() {
        let v = Vector::new(
            &PRESET,
            &["gitea-secret"],
            &[
                ("X-Gitea-Signature", SIGNATURE),
                ("Content-Type", "application/json"),
            ],
            BODY,
        );
        v.assert_all();
    }

    // The same signer, form delivery: `newDefaultRequest`'s ContentTypeForm case (same commit)
    // sends `url.Values{"payload": {json}}.Encode()` as the body and signs the JSON: the header is
    // the JSON vector's. A raw-body HMAC (this preset before the fix) rejects it.
    const FORM_BODY: &[u8] = b"payload=%7B%22ref%22%3A%22refs%2Fheads%2Fdevelop%22%2C%22before%22%3A%2228e1879d029cb852e4844d9c718537df08844e03%22%2C%22after%22%3A%22bffeb74224043ba2feb48d137756c8a9331c449a%22%2C%22repository%22%3A%7B%22id%22%3A140%2C%22full_name%22%3A%22gitea%2Fwebhooks%22%7D%7D";

    #[test]
    fn gitea_signer_form_vector() {
        let v = Vector::new(
            &PRESET,
            &["gitea-secret"],
            &[
                ("X-Gitea-Signature", SIGNATURE),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            FORM_BODY,
        );
        v.assert_vector_cases();
        v.assert_sign_round_trip(crate::providers::families::testkit::secs(1_700_000_000));
        // A changed `payload` value, or a second one (which would the upstream read?), is refused.
        let changed = String::from_utf8(FORM_BODY.to_vec())
            .unwrap()
            .replace("develop", "main");
        assert_eq!(
            v.verify_body(changed.as_bytes()),
            Err(Rejection::BadSignature)
        );
        let twice = [FORM_BODY, b"&payload=%7B%7D"].concat();
        assert_eq!(v.verify_body(&twice), Err(Rejection::BadSignature));
        assert_eq!(v.verify_body(b"other=1"), Err(Rejection::BadSignature));
    }

    // `;` smuggling: an upstream whose form parser also splits on `;` (Python parse_qs < 3.9.2,
    // Go < 1.17, Rack < 3) would see the attacker's `payload` before the signed one; Gitea never
    // sends a raw `;` (url.Values.Encode escapes it) nor any field but `payload`. Each of these
    // bodies still holds the signed field intact, and each verified before the strict form rule.
    #[test]
    fn form_bodies_with_unsigned_content_are_refused() {
        let v = Vector::new(
            &PRESET,
            &["gitea-secret"],
            &[
                ("X-Gitea-Signature", SIGNATURE),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            FORM_BODY,
        );
        let evil = "payload=%7B%22ref%22%3A%22refs%2Fheads%2Fevil%22%7D";
        let signed = std::str::from_utf8(FORM_BODY).unwrap();
        for body in [
            format!("x=1;{evil}&{signed}"),
            format!("{signed}&x=1;{evil}"),
            format!("{signed}&extra=evil"),
            format!("extra=evil&{signed}"),
            format!("{signed}&&"),
        ] {
            assert_eq!(
                v.verify_body(body.as_bytes()),
                Err(Rejection::BadSignature),
                "{body}"
            );
        }
        assert_eq!(v.verify_body(FORM_BODY), Ok(()));
    }

    // Two Content-Type fields (or a list in one): the scheme and the upstream could read the body
    // as different types (RFC 9110 §8.3). The request path refuses a second field with 400 before
    // any scheme runs; the scheme refuses both shapes on its own too.
    #[test]
    fn an_ambiguous_content_type_is_refused() {
        for content_types in [
            &["application/x-www-form-urlencoded", "application/json"][..],
            &["application/json", "application/x-www-form-urlencoded"],
            &["application/json, application/x-www-form-urlencoded"],
        ] {
            let mut pairs = vec![("X-Gitea-Signature", SIGNATURE)];
            pairs.extend(content_types.iter().map(|ct| ("Content-Type", *ct)));
            let v = Vector::new(&PRESET, &["gitea-secret"], &pairs, FORM_BODY);
            assert_eq!(
                v.verify(),
                Err(Rejection::AmbiguousSignature),
                "{content_types:?}"
            );
            let v = Vector::new(&PRESET, &["gitea-secret"], &pairs, BODY);
            assert_eq!(
                v.verify(),
                Err(Rejection::AmbiguousSignature),
                "{content_types:?}"
            );
        }
    }
}

#[cfg(test)]
mod gogs {
    use super::*;

    const PRESET: Preset = GOGS;
    use crate::providers::families::testkit::Vector;

    const BODY: &[u8] = br#"{"ref":"refs/heads/develop","before":"28e1879d029cb852e4844d9c718537df08844e03","after":"bffeb74224043ba2feb48d137756c8a9331c449a","repository":{"id":140,"full_name":"gitea/webhooks"}}"#;

    // Gogs' own signer: gogs/gogs internal/database/webhook.go @eb1054e5432fc8397678372f08613429be233d7c,
    // the signature lines of `prepareHookTasks` run verbatim (Go 1.19.8, standard library only)
    // with secret "gogs-secret" over BODY (`deliver` sends that JSON as the body, or as the
    // `payload` form field, and the hex as X-Gogs-Signature).
    #[test]
    fn gogs_signer_vector() {
        let v = Vector::new(
            &PRESET,
            &["gogs-secret"],
            &[(
                "X-Gogs-Signature",
                "782c3f315b239f1d4afca2a47b475dfc214f2081ab82f56bd70d80821badd680",
            )],
            BODY,
        );
        v.assert_all();
    }

    // Gitea sends X-Gogs-Signature with the same value as X-Gitea-Signature (go-gitea/gitea
    // services/webhook/deliver.go @50e78265 `addDefaultHeaders`, run as in the `gitea` tests): this preset
    // also verifies Gitea deliveries.
    #[test]
    fn gitea_delivery_vector() {
        Vector::new(
            &PRESET,
            &["gitea-secret"],
            &[(
                "X-Gogs-Signature",
                "2445743eb92db261e0440c5fc1ba646b138359c3802399f27af5e79408cdeb7a",
            )],
            BODY,
        )
        .assert_vector_cases();
    }
}

#[cfg(test)]
mod forgejo {
    use super::*;

    const PRESET: Preset = FORGEJO;
    use crate::providers::families::testkit::Vector;

    const BODY: &[u8] = br#"{"ref":"refs/heads/develop","before":"28e1879d029cb852e4844d9c718537df08844e03","after":"bffeb74224043ba2feb48d137756c8a9331c449a","repository":{"id":140,"full_name":"gitea/webhooks"}}"#;

    // Forgejo's own signer: services/webhook/shared/payloader.go `AddDefaultHeaders` (read from
    // the GitHub copy creator-signal/fork-forgejo-forgejo @072ec2e27d5b474d5cd02c63ab31e4042668c354
    // of codeberg.org/forgejo/forgejo; module forgejo.org), run verbatim (Go 1.19.8, standard
    // library only) with secret "forgejo-secret" over BODY. It set X-Forgejo-Signature,
    // X-Gitea-Signature and X-Gogs-Signature to this hex.
    #[test]
    fn forgejo_signer_vector() {
        let v = Vector::new(
            &PRESET,
            &["forgejo-secret"],
            &[(
                "X-Forgejo-Signature",
                "0a9a335b8880041da9e435e9bfc87c7bd24f56c4c4109936d801d40958b83671",
            )],
            BODY,
        );
        v.assert_all();
    }
}
