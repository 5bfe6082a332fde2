//! Stage 1 of 11 — protocol: framing and size rules pingora leaves to the application. The
//! `Transfer-Encoding` rule is [`chunked::transfer_encoding`]; the chunks themselves are checked
//! as they are read (stage 6 arms [`crate::server::tap::FramingTap`]).

use super::head::ReadSession;

use super::chunked::{self, TransferEncoding};
use super::refusal::Refusal;

/// A request head over this many bytes is refused with 431.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// A request target over this many bytes is refused with 414.
pub const MAX_URI_BYTES: usize = 8 * 1024;

pub fn check(session: &ReadSession) -> Result<(), Refusal> {
    let header = session.head();
    if header.version == http::Version::HTTP_11 && header.headers.get(http::header::HOST).is_none()
    {
        return Err(Refusal::BadRequest);
    }
    target_form(&header.method, header.raw_path())?;
    te_rule(&header.headers)?;
    let target_len = header.uri.path_and_query().map_or(0, |p| p.as_str().len());
    if target_len > MAX_URI_BYTES {
        return Err(Refusal::UriTooLong);
    }
    if let Some(raw) = session.raw_head() {
        if raw.len() > MAX_HEAD_BYTES {
            return Err(Refusal::HeaderTooLarge);
        }
        // pingora drops Content-Length when Transfer-Encoding is present; a request that sent both
        // is a smuggling attempt, not a request to serve.
        if header.headers.contains_key(http::header::TRANSFER_ENCODING)
            && raw_has_header(&raw, b"content-length")
        {
            return Err(Refusal::BadRequest);
        }
    }
    singletons(&header.headers)
}

/// The request-target forms of RFC 9112 §3.2. origin-form (`/path?query`) and absolute-form
/// (`http[s]://authority/path`, §3.2.2: a server MUST accept it; its authority wins over `Host`,
/// see [`ReadSession::authority`]) are served. authority-form (`host:port`) is only for CONNECT
/// (§3.2.3) and asterisk-form (`*`) only for a server-wide OPTIONS (§3.2.4): the gateway is not
/// a proxy and has no server-wide options, so CONNECT and `OPTIONS *` get 501 (RFC 9110 §15.6.2),
/// and either form with any other method — or an absolute-form target of another scheme — 400.
///
/// `target` is the request-target as received (pingora's `raw_path`: pingora keeps only the path
/// of an absolute-form target in the parsed URI).
pub fn target_form(method: &http::Method, target: &[u8]) -> Result<(), Refusal> {
    let asterisk = target == b"*";
    if *method == http::Method::CONNECT || (asterisk && *method == http::Method::OPTIONS) {
        return Err(Refusal::MethodNotImplemented);
    }
    let origin_form = target.first() == Some(&b'/');
    let absolute_form = ["http://", "https://"].iter().any(|scheme| {
        target
            .get(..scheme.len())
            .is_some_and(|t| t.eq_ignore_ascii_case(scheme.as_bytes()))
    });
    if origin_form || absolute_form {
        Ok(())
    } else {
        Err(Refusal::BadRequest)
    }
}

/// Fields that must appear at most once. `Host` (RFC 9112 §3.2); `Content-Type` (RFC 9110 §8.3:
/// a singleton whose duplicates recipients resolve differently — first, last, or a merged list —
/// so a scheme that reads the body as one type could forward it to an upstream that reads it as
/// another). More than once → 400.
pub fn singletons(headers: &http::HeaderMap) -> Result<(), Refusal> {
    for name in [http::header::HOST, http::header::CONTENT_TYPE] {
        if headers.get_all(name).iter().nth(1).is_some() {
            return Err(Refusal::BadRequest);
        }
    }
    Ok(())
}

/// The `Transfer-Encoding` rule: exactly one field, `chunked` → framed by chunks; else 400 (501
/// for one coding the gateway does not implement).
pub fn te_rule(headers: &http::HeaderMap) -> Result<(), Refusal> {
    let values = headers
        .get_all(http::header::TRANSFER_ENCODING)
        .iter()
        .map(|v| v.as_bytes());
    match chunked::transfer_encoding(values) {
        TransferEncoding::Absent | TransferEncoding::Chunked => Ok(()),
        TransferEncoding::Invalid => Err(Refusal::BadRequest),
        TransferEncoding::Unsupported => Err(Refusal::NotImplemented),
    }
}

fn raw_has_header(raw: &[u8], name: &[u8]) -> bool {
    raw.split(|b| *b == b'\n').skip(1).any(|line| {
        let (Some(start), Some(rest)) = (line.get(..name.len()), line.get(name.len()..)) else {
            return false;
        };
        !rest.is_empty()
            && start.eq_ignore_ascii_case(name)
            && rest.iter().find(|b| **b != b' ' && **b != b'\t') == Some(&b':')
    })
}

#[cfg(test)]
mod tests {
    use super::{raw_has_header, singletons, target_form};
    use crate::request::Refusal;

    #[test]
    fn request_target_forms_of_rfc_9112_section_3_2() {
        let check = |method: &str, target: &str| {
            let method: http::Method = method.parse().unwrap();
            target_form(&method, target.as_bytes())
        };
        for (method, target) in [
            ("POST", "/hook"),
            ("POST", "/hook?x=1"),
            ("POST", "http://hooks.example.com/hook"),
            ("GET", "https://hooks.example.com:8443/hook?x=1"),
        ] {
            assert!(check(method, target).is_ok(), "{method} {target}");
        }
        for (method, target) in [("CONNECT", "hooks.example.com:443"), ("OPTIONS", "*")] {
            assert!(
                matches!(check(method, target), Err(Refusal::MethodNotImplemented)),
                "{method} {target}"
            );
        }
        for (method, target) in [
            ("POST", "*"),
            ("POST", "hooks.example.com:443"),
            ("POST", "ftp://hooks.example.com/hook"),
            ("POST", "hook"),
            ("POST", "http:/hook"),
        ] {
            assert!(
                matches!(check(method, target), Err(Refusal::BadRequest)),
                "{method} {target}"
            );
        }
    }

    #[test]
    fn host_and_content_type_appear_at_most_once() {
        let mut h = http::HeaderMap::new();
        h.insert(http::header::HOST, "a".parse().unwrap());
        h.insert(
            http::header::CONTENT_TYPE,
            "application/json".parse().unwrap(),
        );
        h.append(http::header::ACCEPT, "a/b".parse().unwrap());
        h.append(http::header::ACCEPT, "c/d".parse().unwrap());
        assert!(singletons(&h).is_ok());
        let mut twice = h.clone();
        twice.append(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        assert!(singletons(&twice).is_err());
        let mut twice = h.clone();
        twice.append(http::header::HOST, "b".parse().unwrap());
        assert!(singletons(&twice).is_err());
    }

    #[test]
    fn finds_header_names_case_insensitively_only_at_line_start() {
        let raw =
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\nX-Content-Length: 1\r\n\r\n";
        assert!(raw_has_header(raw, b"content-length"));
        let raw = b"POST / HTTP/1.1\r\nHost: a\r\nX-Content-Length: 1\r\n\r\n";
        assert!(!raw_has_header(raw, b"content-length"));
    }
}
