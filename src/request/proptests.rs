//! Property tests for the request path's parsers of untrusted input (issue 10): chunk framing,
//! the `Transfer-Encoding` rule, `X-Forwarded-For` resolution and the forwarding headers
//! (`Forwarded` included) passed upstream. Each property runs [`CASES`] cases and asserts
//! something: round trip with a reference encoder, refusal of mutated input, equivalence with a
//! reference rule, or an invariant over arbitrary input.

use std::net::{IpAddr, Ipv4Addr};

use http::{HeaderMap, HeaderValue};
use pingora::http::RequestHeader;
use proptest::prelude::*;

use super::chunked::{transfer_encoding, ChunkedFraming, TransferEncoding};
use super::s04_client::client_ip;
use crate::config::model::CidrSet;

/// Cases per property (issue 10: at least 10,000 under `cargo test --release`).
const CASES: u32 = 10_000;

/// A reference chunked encoder: `chunks` (empty ones skipped: an empty chunk is the last one),
/// each with an optional extension, then trailers.
fn encode(
    chunks: &[Vec<u8>],
    ext: &[Option<String>],
    trailers: &[(String, String)],
    upper: bool,
) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, c) in chunks.iter().filter(|c| !c.is_empty()).enumerate() {
        let size = if upper {
            format!("{:X}", c.len())
        } else {
            format!("{:x}", c.len())
        };
        out.extend_from_slice(size.as_bytes());
        if let Some(Some(e)) = ext.get(i) {
            out.extend_from_slice(format!(";{e}").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(c);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n");
    for (k, v) in trailers {
        out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Feeds `raw` in pieces cut at `cuts`; the payload, or the error.
fn feed_in_pieces(
    raw: &[u8],
    cuts: &[usize],
) -> Result<(Vec<u8>, bool), super::chunked::FramingError> {
    let mut f = ChunkedFraming::new();
    let mut out = Vec::new();
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (raw.len() + 1)).collect();
    points.sort_unstable();
    let mut start = 0;
    for p in points.into_iter().chain([raw.len()]) {
        f.feed(&raw[start..p], |d| out.extend_from_slice(d))?;
        start = p;
    }
    Ok((out, f.is_done()))
}

fn route_config() -> crate::config::model::RouteConfig {
    let text = "[[route]]\nname = \"r\"\npath = \"/hook\"\nupstream = \"http://127.0.0.1:3000/up\"\nprovider = \"hmac\"\nsecrets = [\"s\"]\nsignature = { header = \"X-Sig\", algorithm = \"sha256\", encoding = \"hex\" }\n";
    crate::config::parse_str(text, std::path::Path::new("gateway.toml"), &|_: &str| None)
        .unwrap()
        .routes
        .remove(0)
}

fn token() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9!#$%&'*+.^_`|~-]{1,12}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// Any correctly framed body passes, whatever the read boundaries, and decodes to its payload.
    #[test]
    fn chunk_framing_round_trips(
        chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..6),
        ext in prop::collection::vec(prop::option::of("[a-z]{1,5}(=[a-z0-9]{1,5})?"), 0..6),
        trailers in prop::collection::vec((token(), "[ -~]{0,20}"), 0..3),
        upper in any::<bool>(),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let raw = encode(&chunks, &ext, &trailers, upper);
        let (payload, done) = feed_in_pieces(&raw, &cuts).expect("valid framing accepted");
        prop_assert!(done);
        prop_assert_eq!(payload, chunks.concat());
    }

    /// Replacing any chunk-size line of a valid body by one that is not 1*HEXDIG (empty, a sign,
    /// a leading space, a `0x`, no digits before `;`) is refused — never read as the last chunk.
    #[test]
    fn chunk_framing_refuses_bad_size_lines(
        chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..100), 1..5),
        which in any::<prop::sample::Index>(),
        bad in prop::sample::select(vec!["", " ", ";x", "+5", "-1", " 5", "0x5", "g", "5 5"]),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let target = which.index(chunks.len() + 1); // a data chunk or the last chunk
        let mut raw = Vec::new();
        for (i, c) in chunks.iter().enumerate() {
            let line = if i == target { bad.to_string() } else { format!("{:x}", c.len()) };
            raw.extend_from_slice(format!("{line}\r\n").as_bytes());
            raw.extend_from_slice(c);
            raw.extend_from_slice(b"\r\n");
        }
        let last = if target == chunks.len() { bad.to_string() } else { "0".into() };
        raw.extend_from_slice(format!("{last}\r\n\r\n").as_bytes());
        prop_assert!(feed_in_pieces(&raw, &cuts).is_err(), "{:?}", String::from_utf8_lossy(&raw));
    }

    /// Arbitrary bytes never panic, and whatever is accepted as complete decodes to no more
    /// bytes than came in.
    #[test]
    fn chunk_framing_takes_any_bytes(raw in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Ok((payload, _)) = feed_in_pieces(&raw, &[]) {
            prop_assert!(payload.len() <= raw.len());
        }
    }

    /// The Transfer-Encoding rule against a reference written from PRODUCT.md's sentence.
    #[test]
    fn transfer_encoding_rule_matches_the_reference(
        values in prop::collection::vec(
            prop::sample::select(vec![
                "chunked", "CHUNKED", " chunked ", "\tChunked", "chunked, chunked", "gzip",
                "gzip, chunked", "chunked,", ",chunked", "", "chunked;x=1", "identity", "x y",
                "deflate", "br", "chunked , gzip",
            ]),
            0..3,
        ),
    ) {
        let got = transfer_encoding(values.iter().map(|v| v.as_bytes()));
        let want = match values.as_slice() {
            [] => TransferEncoding::Absent,
            [one] => {
                let v = one.trim_matches([' ', '\t']);
                if v.eq_ignore_ascii_case("chunked") {
                    TransferEncoding::Chunked
                } else if !v.is_empty() && !v.contains([',', ';', ' ', '=']) {
                    TransferEncoding::Unsupported
                } else {
                    TransferEncoding::Invalid
                }
            }
            _ => TransferEncoding::Invalid,
        };
        prop_assert_eq!(got, want);
    }

    /// An untrusted peer is the client whatever X-Forwarded-For says; behind trusted proxies the
    /// client is the right-most untrusted hop, whatever forged entries precede it.
    #[test]
    fn x_forwarded_for_believes_only_trusted_hops(
        forged in "[ -~]{0,60}",
        client in any::<[u8; 4]>(),
        proxies in 0usize..4,
        peer_untrusted in any::<[u8; 4]>(),
    ) {
        let trusted = CidrSet::new(vec!["10.0.0.0/8".parse().unwrap()]);
        let mut client = client;
        if client[0] == 10 { client[0] = 11; }
        let client = IpAddr::V4(Ipv4Addr::from(client));
        let mut hops: Vec<String> = vec![forged.replace(',', " "), client.to_string()];
        hops.extend((0..proxies).map(|i| format!("10.0.0.{i}")));
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&hops.join(", ")) {
            headers.insert("x-forwarded-for", v);
            let peer: IpAddr = "10.9.9.9".parse().unwrap();
            prop_assert_eq!(client_ip(&trusted, peer, &headers), client);
        }
        let mut outsider = peer_untrusted;
        if outsider[0] == 10 { outsider[0] = 11; }
        let outsider = IpAddr::V4(Ipv4Addr::from(outsider));
        prop_assert_eq!(client_ip(&trusted, outsider, &headers), outsider);
    }

    /// Whatever forwarding headers an untrusted sender forges (`Forwarded` included), the
    /// upstream sees only the gateway's own: XFF = the peer, XFP = the listener's, XFH = Host,
    /// no `X-Real-IP`, no `Forwarded`. From a trusted proxy they pass on as sent.
    #[test]
    fn forged_forwarding_headers_never_reach_the_upstream(
        xff in "[ -~]{0,40}", xfh in "[!-~]{1,30}", real in "[ -~]{0,20}",
        forwarded in "[ -~]{0,60}", trusted in any::<bool>(),
    ) {
        let mut original = RequestHeader::build("POST", b"/hook", None).unwrap();
        original.insert_header("host", "hooks.example.com").unwrap();
        for (name, value) in [
            ("x-forwarded-for", &xff), ("x-forwarded-host", &xfh), ("x-real-ip", &real),
            ("forwarded", &forwarded), ("x-forwarded-proto", &"https".to_string()),
        ] {
            original.insert_header(name, value.as_str()).unwrap();
        }
        let route = route_config();
        let peer: IpAddr = "203.0.113.5".parse().unwrap();
        let head = crate::delivery::upstream_request::build(
            &original,
            &route,
            &crate::delivery::upstream_request::RouteHeaders::of(&route),
            &crate::delivery::upstream_request::ForwardContext {
                peer_ip: Some(peer),
                trusted_peer: trusted,
                proto: "http",
                host: Some("hooks.example.com"),
                event_id: None,
                body_len: 2,
            },
        )
        .unwrap();
        let h = &head.headers;
        let one = |n: &str| {
            let all: Vec<_> = h.get_all(n).iter().collect();
            prop_assert!(all.len() <= 1, "{} repeated", n);
            Ok(all.first().map(|v| v.to_str().unwrap_or("").to_string()))
        };
        if trusted {
            let want = if xff.trim().is_empty() { peer.to_string() } else { format!("{xff}, {peer}") };
            prop_assert_eq!(one("x-forwarded-for")?, Some(want));
            prop_assert_eq!(one("x-forwarded-host")?, Some(xfh.clone()));
            prop_assert_eq!(one("forwarded")?.is_some(), true);
        } else {
            prop_assert_eq!(one("x-forwarded-for")?, Some(peer.to_string()));
            prop_assert_eq!(one("x-forwarded-proto")?, Some("http".to_string()));
            prop_assert_eq!(one("x-forwarded-host")?, Some("hooks.example.com".to_string()));
            prop_assert_eq!(one("x-real-ip")?, None);
            prop_assert_eq!(one("forwarded")?, None);
        }
    }
}
