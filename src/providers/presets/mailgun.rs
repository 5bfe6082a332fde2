//! Mailgun: no header; the body carries `timestamp`, `token` and `signature` where `signature` =
//! hex HMAC-SHA256(webhook signing key, timestamp + token): in the JSON `signature` object, as
//! `application/x-www-form-urlencoded` fields or as `multipart/form-data` parts
//! ([`signed_fields`]); the body is forwarded as received whatever its shape. **The body itself is not
//! covered**: a holder of one valid signature block could attach it to other content within the
//! tolerance window. Dedup on `event-data.id` (default) limits replays. Events of a subaccount's
//! domain also carry `signature.parent-signature`, the same HMAC under the primary account's key:
//! either matching a configured key verifies, so one primary key covers every subaccount.
//! Source: documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks.

use std::time::Duration;

use crate::config::secret::Secret;
use crate::providers::families::common::{self, Algorithm, Encoding};
use crate::providers::{
    Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "mailgun",
    default_tolerance: Some(Duration::from_secs(300)),
    event_id: Some("json:/event-data/id"),
    event_type: Some("json:/event-data/event"),
    summary: "body signature.signature: <hex> HMAC-SHA256 of signature.timestamp + signature.token (body not covered)",
    family: "hmac-fields",
    headers: &[],
    reference: "documentation.mailgun.com securing webhooks (no window given: 300 s both ways is hookgate's); event-data.id",
    build,
    ..Preset::DEFAULTS
};

struct Mailgun {
    keys: Vec<Secret>,
    window: common::Window,
}

/// Mailgun's three signed fields, as sent.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SignedFields {
    pub timestamp: String,
    pub token: String,
    pub signature: String,
    /// `signature.parent-signature` (JSON bodies of subaccount events only): the same HMAC under
    /// the primary account's signing key.
    pub parent_signature: Option<String>,
}

/// Where the fields are: the JSON `signature` object (webhooks API), top-level form fields
/// (`application/x-www-form-urlencoded`: legacy webhooks, routes without attachments) or
/// `multipart/form-data` parts (routes forwarding messages with attachments). Chosen by
/// `Content-Type`; without one the body is read as JSON. A field given twice is ambiguous.
pub fn signed_fields(content_type: Option<&str>, body: &[u8]) -> Result<SignedFields, Rejection> {
    let essence = content_type
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_ascii_lowercase());
    match essence.as_deref() {
        Some("application/x-www-form-urlencoded") => {
            collect(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())))
        }
        Some("multipart/form-data") => multipart_fields(content_type.unwrap_or_default(), body),
        _ => json_fields(body),
    }
}

fn json_fields(body: &[u8]) -> Result<SignedFields, Rejection> {
    use crate::json_pointer::{self, Scalar};
    let block = json_pointer::raw_at(body, "/signature").ok_or(Rejection::MissingSignature)?;
    let field = |name: &str| -> Option<String> {
        match json_pointer::scalar_at(block.get().as_bytes(), &format!("/{name}"))? {
            Scalar::String(s) | Scalar::Number(s) => Some(s),
            Scalar::Bool(_) => None,
        }
    };
    Ok(SignedFields {
        signature: field("signature").ok_or(Rejection::MissingSignature)?,
        timestamp: field("timestamp").ok_or(Rejection::MalformedSignature)?,
        token: field("token").ok_or(Rejection::MalformedSignature)?,
        parent_signature: field("parent-signature"),
    })
}

/// The three fields among `(name, value)` pairs; other names are ignored.
fn collect(pairs: impl Iterator<Item = (String, String)>) -> Result<SignedFields, Rejection> {
    let (mut timestamp, mut token, mut signature) = (None, None, None);
    for (name, value) in pairs {
        let slot = match name.as_str() {
            "timestamp" => &mut timestamp,
            "token" => &mut token,
            "signature" => &mut signature,
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(Rejection::AmbiguousSignature);
        }
    }
    Ok(SignedFields {
        signature: signature.ok_or(Rejection::MissingSignature)?,
        timestamp: timestamp.ok_or(Rejection::MalformedSignature)?,
        token: token.ok_or(Rejection::MalformedSignature)?,
        parent_signature: None,
    })
}

/// The text parts named `timestamp`, `token` and `signature` of a multipart body (parsed by
/// `multer`; file parts are skipped). The body is complete in memory, so every future is ready
/// at its first poll.
fn multipart_fields(content_type: &str, body: &[u8]) -> Result<SignedFields, Rejection> {
    use futures_util::FutureExt;
    let boundary =
        multer::parse_boundary(content_type).map_err(|_| Rejection::MalformedSignature)?;
    let chunk = bytes::Bytes::copy_from_slice(body);
    let stream =
        futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(chunk) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut pairs = Vec::new();
    loop {
        let next = multipart
            .next_field()
            .now_or_never()
            .ok_or(Rejection::MalformedSignature)?
            .map_err(|_| Rejection::MalformedSignature)?;
        let Some(field) = next else { break };
        let name = field.name().unwrap_or_default().to_string();
        if field.file_name().is_some()
            || !matches!(name.as_str(), "timestamp" | "token" | "signature")
        {
            continue;
        }
        let text = field
            .text()
            .now_or_never()
            .ok_or(Rejection::MalformedSignature)?
            .map_err(|_| Rejection::MalformedSignature)?;
        pairs.push((name, text));
    }
    collect(pairs.into_iter())
}

impl Scheme for Mailgun {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let content_type = common::optional_header(req.headers, "content-type")?;
        let fields = signed_fields(content_type, req.body)?;
        self.window
            .check_seconds(common::parse_unix(&fields.timestamp)?, req.now)?;
        // The account's own signature is always sent: an empty (or blank) one is not "no
        // signature to check" that a parent-signature could stand in for.
        if fields.signature.trim().is_empty() {
            return Err(Rejection::MissingSignature);
        }
        let mut candidates = vec![Encoding::Hex
            .decode(&fields.signature)
            .ok_or(Rejection::MalformedSignature)?];
        // Only a valid HMAC can match, so an undecodable parent-signature just adds nothing.
        candidates.extend(
            fields
                .parent_signature
                .as_deref()
                .and_then(|s| Encoding::Hex.decode(s)),
        );
        common::verify_hmac(
            Algorithm::Sha256,
            &self.keys,
            &[fields.timestamp.as_bytes(), fields.token.as_bytes()],
            &candidates,
        )
    }

    fn sign(&self, _req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        Err(SignError(
            "Mailgun's signature is inside the body (JSON signature object, form fields or \
             multipart parts), not a header; build the body with mailgun::body_signature"
                .into(),
        ))
    }
}

/// The `signature.signature` value for a body signed with `key` (for tests and tooling).
pub fn body_signature(key: &[u8], timestamp: &str, token: &str) -> String {
    hex::encode(common::hmac_parts(
        Algorithm::Sha256,
        key,
        &[timestamp.as_bytes(), token.as_bytes()],
    ))
}

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    common::require_secrets(settings.secrets)?;
    common::preset_header(settings, "", false)?;
    Ok(Box::new(Mailgun {
        keys: settings.secrets.to_vec(),
        window: PRESET.window(settings.tolerance),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::{scheme, secs, Vector};

    // Mailgun publishes no key with a signature, and mailgun.js has no verify helper. The
    // signature was computed with Python `hmac.new(key, b"1700000000" + token, sha256)`; the Node
    // snippet of documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks
    // (retrieved 2026-11-30), run unchanged, accepts this block and rejects it with an altered
    // token, timestamp or key: scripts/provider-vectors/mailgun.mjs. The docs check no time: the
    // 300 s window is hookgate's.
    const BODY: &[u8] = b"{\"signature\":{\"timestamp\":\"1700000000\",\"token\":\"a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0\",\"signature\":\"bc1d4695b271aaa416998b45ddede459c204863b78219cf9fc0d64a057a67253\"},\"event-data\":{\"id\":\"CPgfbmQMTCKtHW6uIWtuVe\",\"event\":\"delivered\"}}";

    fn vector(body: &'static [u8]) -> Vector<'static> {
        Vector {
            now: secs(1_700_000_000),
            ..Vector::new(&PRESET, &["key-mailgun-signing"], &[], body)
        }
    }

    #[test]
    fn docs_sample_vector() {
        let v = vector(BODY);
        assert_eq!(v.verify(), Ok(()));
        assert_eq!(
            Vector {
                secrets: &["key-other"],
                ..v
            }
            .verify(),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            v.verify_at(secs(1_700_000_301)),
            Err(Rejection::StaleTimestamp)
        );
        // The signed fields are covered…
        let token = String::from_utf8(BODY.to_vec())
            .unwrap()
            .replace("a8ce0edb", "b8ce0edb");
        assert_eq!(
            v.verify_body(token.as_bytes()),
            Err(Rejection::BadSignature)
        );
        // …the rest of the body is not (documented weakness of Mailgun's scheme).
        let other = String::from_utf8(BODY.to_vec())
            .unwrap()
            .replace("delivered", "failed");
        assert_eq!(v.verify_body(other.as_bytes()), Ok(()));
        assert_eq!(
            vector(b"{\"event-data\":{\"id\":\"x\"}}").verify(),
            Err(Rejection::MissingSignature)
        );
        assert_eq!(
            body_signature(
                b"key-mailgun-signing",
                "1700000000",
                "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"
            ),
            "bc1d4695b271aaa416998b45ddede459c204863b78219cf9fc0d64a057a67253"
        );
        let s = scheme(&PRESET, &["key-mailgun-signing"], None);
        assert_eq!(
            v.verify_at(secs(1_700_000_000 - 301)),
            Err(Rejection::StaleTimestamp),
            "future"
        );
        let map = crate::providers::families::testkit::headers(&[]);
        assert!(s
            .sign(&WebhookRequest {
                method: "POST",
                public_url: v.url,
                headers: &map,
                body: BODY,
                now: v.now,
            })
            .is_err());
    }

    // A subaccount's event (documentation.mailgun.com "Securing Webhooks": `parent-signature`,
    // "Same as signature", under the primary account's key). `signature` here is under
    // "key-subaccount"; the docs snippet (scripts/provider-vectors/mailgun.mjs) accepts it under
    // that key and `parent-signature` under the configured primary key.
    const SUBACCOUNT: &[u8] = b"{\"signature\":{\"timestamp\":\"1700000000\",\"token\":\"a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0\",\"signature\":\"b30bcc9520d818422274c8af8d7fea0eca830944d8b46f178afdf1c209062c6f\",\"parent-signature\":\"bc1d4695b271aaa416998b45ddede459c204863b78219cf9fc0d64a057a67253\"},\"event-data\":{\"id\":\"CPgfbmQMTCKtHW6uIWtuVe\",\"event\":\"delivered\"}}";

    #[test]
    fn a_subaccount_event_verifies_with_the_primary_key() {
        let v = vector(SUBACCOUNT);
        assert_eq!(v.verify(), Ok(()));
        assert_eq!(
            Vector {
                secrets: &["key-subaccount"],
                ..v
            }
            .verify(),
            Ok(())
        );
        let body = String::from_utf8(SUBACCOUNT.to_vec()).unwrap();
        let without_parent = body.replace(
            ",\"parent-signature\":\"bc1d4695b271aaa416998b45ddede459c204863b78219cf9fc0d64a057a67253\"",
            "",
        );
        assert_eq!(
            v.verify_body(without_parent.as_bytes()),
            Err(Rejection::BadSignature)
        );
        let forged = body.replace("\"parent-signature\":\"bc1d", "\"parent-signature\":\"cc1d");
        assert_eq!(
            v.verify_body(forged.as_bytes()),
            Err(Rejection::BadSignature)
        );
        let garbage = body.replace("\"parent-signature\":\"bc1d", "\"parent-signature\":\"zz1d");
        assert_eq!(
            v.verify_body(garbage.as_bytes()),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            v.verify_at(secs(1_700_000_301)),
            Err(Rejection::StaleTimestamp)
        );
        // The own signature must be there and well-formed; then either it or the
        // parent-signature may match (Mailgun's docs). A blank or broken one is refused.
        let own =
            "\"signature\":\"b30bcc9520d818422274c8af8d7fea0eca830944d8b46f178afdf1c209062c6f\"";
        for (replacement, expected) in [
            ("\"signature\":\"\"", Rejection::MissingSignature),
            ("\"signature\":\" \"", Rejection::MissingSignature),
            ("\"signature\":\"zz\"", Rejection::MalformedSignature),
        ] {
            let body = body.replace(own, replacement);
            assert_eq!(
                v.verify_body(body.as_bytes()),
                Err(expected),
                "{replacement}"
            );
        }
    }

    // Issue 10 item 5: the same signed fields as form fields (legacy webhooks, routes) and as
    // multipart parts (routes forwarding messages with attachments); Mailgun's "Securing
    // webhooks" and routes docs ("the parameters Mailgun posts": timestamp, token, signature).
    const TOKEN: &str = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0";
    const SIG: &str = "bc1d4695b271aaa416998b45ddede459c204863b78219cf9fc0d64a057a67253";

    fn shaped(content_type: &'static str, body: &'static [u8]) -> Vector<'static> {
        let headers: &'static [(&'static str, &'static str)] = match content_type {
            "form" => &[("Content-Type", "application/x-www-form-urlencoded")],
            _ => &[("Content-Type", "multipart/form-data; boundary=XyZzy42")],
        };
        Vector {
            now: secs(1_700_000_000),
            ..Vector::new(&PRESET, &["key-mailgun-signing"], headers, body)
        }
    }

    const FORM: &[u8] = b"recipient=alice%40example.com&event=delivered&timestamp=1700000000&token=a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0&signature=bc1d4695b271aaa416998b45ddede459c204863b78219cf9fc0d64a057a67253";

    const MULTIPART: &[u8] = b"--XyZzy42\r\nContent-Disposition: form-data; name=\"recipient\"\r\n\r\nalice@example.com\r\n--XyZzy42\r\nContent-Disposition: form-data; name=\"timestamp\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\ntimestamp=1\r\n--XyZzy42\r\nContent-Disposition: form-data; name=\"timestamp\"\r\n\r\n1700000000\r\n--XyZzy42\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\na8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0\r\n--XyZzy42\r\nContent-Disposition: form-data; name=\"signature\"\r\n\r\nbc1d4695b271aaa416998b45ddede459c204863b78219cf9fc0d64a057a67253\r\n--XyZzy42--\r\n";

    #[test]
    fn form_fields_verify() {
        let v = shaped("form", FORM);
        assert_eq!(v.verify(), Ok(()));
        let forged = String::from_utf8(FORM.to_vec())
            .unwrap()
            .replace(TOKEN, "forged-token");
        assert_eq!(
            v.verify_body(forged.as_bytes()),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            v.verify_at(secs(1_700_000_301)),
            Err(Rejection::StaleTimestamp)
        );
        let twice = [FORM, b"&signature=00".as_slice()].concat();
        assert_eq!(v.verify_body(&twice), Err(Rejection::AmbiguousSignature));
        assert_eq!(
            v.verify_body(b"recipient=a&event=delivered"),
            Err(Rejection::MissingSignature)
        );
        // Without the form Content-Type the body is read as JSON and has no signature object.
        assert_eq!(
            Vector { headers: &[], ..v }.verify(),
            Err(Rejection::MissingSignature)
        );
    }

    #[test]
    fn multipart_parts_verify() {
        let v = shaped("multipart", MULTIPART);
        assert_eq!(v.verify(), Ok(()));
        let forged = String::from_utf8(MULTIPART.to_vec())
            .unwrap()
            .replace(SIG, &SIG.replace('b', "c"));
        assert_eq!(
            v.verify_body(forged.as_bytes()),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            v.verify_at(secs(1_700_000_301)),
            Err(Rejection::StaleTimestamp)
        );
        // A file part named like a signed field is not one of them.
        let fields =
            signed_fields(Some("multipart/form-data; boundary=XyZzy42"), MULTIPART).unwrap();
        assert_eq!(fields.timestamp, "1700000000");
        assert_eq!(fields.token, TOKEN);
        // Truncated or with no boundary: malformed, not a panic.
        assert_eq!(
            v.verify_body(&MULTIPART[..MULTIPART.len() / 2]),
            Err(Rejection::MalformedSignature)
        );
        assert_eq!(
            signed_fields(Some("multipart/form-data"), MULTIPART),
            Err(Rejection::MalformedSignature)
        );
    }
}
