//! Signed `application/x-www-form-urlencoded` bodies read strictly: the senders that sign form
//! fields (Gitea, Gogs and Forgejo's `payload`; Braintree's `bt_signature` / `bt_payload`) send
//! exactly their fields, each once, and percent-encode `;`. Anything else in the body is content
//! the signature does not cover, and the body is forwarded as is: an upstream whose form parser
//! also splits on `;` (Python `parse_qs` before 3.9.2, Go before 1.17, Rack before 3) or keeps
//! the last of a repeated field could read a field the gateway never verified.
//!
//! Source: the WHATWG URL standard, `application/x-www-form-urlencoded` parsing (`&` only);
//! CVE-2021-23336 (Python `;` separator); Go 1.17 release notes (`net/url` no longer splits on
//! `;`); RFC 9110 §8.3 (Content-Type is a singleton field).

use http::HeaderMap;
use percent_encoding::percent_decode;

use crate::providers::Rejection;

/// Why a form body is not exactly the signed fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    /// A raw `;` (the signers percent-encode it as `%3B`).
    #[error("a raw `;` in the form body")]
    Semicolon,
    /// A segment between `&`s that is not `name=value`, empty ones included.
    #[error("a form segment that is not name=value")]
    NotAPair,
    /// A field the sender does not send.
    #[error("a form field that is not signed")]
    UnexpectedField,
    /// One of the expected fields, a second time: its index in the expected names.
    #[error("a form field sent twice")]
    Repeated(usize),
}

/// The `+`-as-space, percent-decoded bytes of one form name or value, byte for byte (no UTF-8
/// replacement: the bytes checked are the bytes the upstream decodes).
fn decode(raw: &[u8]) -> Vec<u8> {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&spaced).collect()
}

/// The decoded values of `names` in a form body that holds nothing else: every `&`-separated
/// segment is `name=value` with `name` one of `names`, none twice, and no raw `;` anywhere.
/// A name that is absent is `None` (all are, for an empty body). Decoding is `+` → space, then
/// percent-decoding.
pub fn exact_fields<const N: usize>(
    body: &[u8],
    names: [&str; N],
) -> Result<[Option<Vec<u8>>; N], FormError> {
    if body.contains(&b';') {
        return Err(FormError::Semicolon);
    }
    let mut values: [Option<Vec<u8>>; N] = std::array::from_fn(|_| None);
    if body.is_empty() {
        return Ok(values);
    }
    for segment in body.split(|&b| b == b'&') {
        let eq = segment
            .iter()
            .position(|&b| b == b'=')
            .ok_or(FormError::NotAPair)?;
        let (name, value) = segment.split_at(eq);
        let name = decode(name);
        let i = names
            .iter()
            .position(|n| n.as_bytes() == name.as_slice())
            .ok_or(FormError::UnexpectedField)?;
        let value = decode(value.get(1..).unwrap_or_default());
        let slot = values.get_mut(i).ok_or(FormError::UnexpectedField)?;
        if slot.replace(value).is_some() {
            return Err(FormError::Repeated(i));
        }
    }
    Ok(values)
}

/// The media type of the one `Content-Type` field (`type/subtype`, lower-cased, parameters
/// dropped); `None` without one. More than one field, or a comma in the media type (a list:
/// RFC 9110 §8.3 warns that recipients differ on which member they use) →
/// [`Rejection::AmbiguousSignature`], since the scheme and the upstream could read the body as
/// different types. (The request path already refuses a second field with 400; this keeps the
/// schemes safe on their own.)
pub fn media_type(headers: &HeaderMap) -> Result<Option<String>, Rejection> {
    let mut fields = headers.get_all(http::header::CONTENT_TYPE).iter();
    let Some(first) = fields.next() else {
        return Ok(None);
    };
    if fields.next().is_some() {
        return Err(Rejection::AmbiguousSignature);
    }
    let essence = first
        .as_bytes()
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default();
    if essence.contains(&b',') {
        return Err(Rejection::AmbiguousSignature);
    }
    Ok(Some(
        String::from_utf8_lossy(essence).trim().to_ascii_lowercase(),
    ))
}

/// The media type of form bodies.
pub const FORM: &str = "application/x-www-form-urlencoded";

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 2] = ["bt_signature", "bt_payload"];

    #[test]
    fn reads_exactly_the_expected_fields() {
        let [sig, payload] =
            exact_fields(b"bt_signature=a%7Cb&bt_payload=x+y%2B%0A", NAMES).unwrap();
        assert_eq!(sig.as_deref(), Some(b"a|b".as_slice()));
        assert_eq!(payload.as_deref(), Some(b"x y+\n".as_slice()));
        let [sig, payload] = exact_fields(b"bt_payload=", NAMES).unwrap();
        assert_eq!((sig, payload.as_deref()), (None, Some(b"".as_slice())));
        assert_eq!(exact_fields(b"", NAMES).unwrap(), [None, None]);
        // Names are compared decoded, as the upstream decodes them.
        assert!(exact_fields(b"bt%5Fpayload=1", NAMES).unwrap()[1].is_some());
        // Bytes are kept as sent, not replaced by U+FFFD.
        let [_, payload] = exact_fields(b"bt_payload=%FF", NAMES).unwrap();
        assert_eq!(payload.as_deref(), Some(b"\xff".as_slice()));
    }

    #[test]
    fn refuses_anything_else() {
        let cases: &[(&[u8], FormError)] = &[
            (b"x=1;bt_payload=evil&bt_payload=ok", FormError::Semicolon),
            (b"bt_payload=ok;x", FormError::Semicolon),
            (b"bt_payload=ok&extra=evil", FormError::UnexpectedField),
            (b"bt_payload=ok&&bt_signature=s", FormError::NotAPair),
            (b"bt_payload=ok&bt_signature", FormError::NotAPair),
            (b"&", FormError::NotAPair),
            (b"bt_payload=ok&bt_payload=evil", FormError::Repeated(1)),
            (b"bt_payload=ok&bt%5Fpayload=evil", FormError::Repeated(1)),
        ];
        for (body, want) in cases {
            assert_eq!(
                exact_fields(body, NAMES).err(),
                Some(*want),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn media_type_is_the_one_fields_essence() {
        let mut h = HeaderMap::new();
        assert_eq!(media_type(&h), Ok(None));
        h.insert(
            "content-type",
            "Application/X-WWW-Form-Urlencoded; charset=utf-8"
                .parse()
                .unwrap(),
        );
        assert_eq!(media_type(&h), Ok(Some(FORM.to_string())));
        h.insert(
            "content-type",
            "application/json, application/x-www-form-urlencoded"
                .parse()
                .unwrap(),
        );
        assert_eq!(media_type(&h), Err(Rejection::AmbiguousSignature));
        h.insert("content-type", "application/json".parse().unwrap());
        h.append("content-type", FORM.parse().unwrap());
        assert_eq!(media_type(&h), Err(Rejection::AmbiguousSignature));
    }
}
