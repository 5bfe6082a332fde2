//! Which URLs a key-fetching scheme may request, checked before any connection is made.
//!
//! The rule (each clause refuses a way a URL has been used to reach a host that is not the
//! provider's): scheme `https`; the authority written plainly — ASCII letters, digits, `-`, `.`
//! and one `:port`, so no user info, percent-escape, IDN/Unicode form, backslash, whitespace or
//! IPv6 literal; no trailing dot (`host.` is refused, not normalised); the host, compared
//! case-insensitively, and the port (443 unless the pattern names one) matching one of the
//! preset's patterns. A wildcard never matches an IP literal.
//!
//! A certificate's issuer (AIA `caIssuers`, RFC 5280 §4.2.2.1) is published over plain HTTP: its
//! allowlist ([`HostAllowlist::with_http`]) also admits `http` (port 80 unless the pattern names
//! one); what it fetches is trusted only if it chains to a root.

use url::{Host, Url};

/// One label of a [`HostPattern`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Label {
    /// This label, lower case.
    Exact(String),
    /// `*`: exactly one label of letters, digits and `-`.
    Any,
    /// `{region}`: an AWS region name (`us-east-1`, `cn-north-1`, `us-gov-west-1`,
    /// `us-isob-east-1`): see [`is_aws_region`].
    AwsRegion,
}

/// One allowed host: DNS labels where `*` stands for exactly one label of letters, digits and
/// `-` (so `sns.*.amazonaws.com` admits `sns.us-east-1.amazonaws.com` but not
/// `sns.evil.example.amazonaws.com`) and `{region}` for an AWS region name; optionally `:port`
/// (without one, only 443).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    labels: Vec<Label>,
    /// `None`: the scheme's default port (443, or 80 for `http`).
    port: Option<u16>,
}

impl HostPattern {
    /// Parses `host`, `*.label.tld`, `sns.{region}.amazonaws.com` or `host:port`. Errors name
    /// what is wrong.
    pub fn parse(pattern: &str) -> Result<HostPattern, String> {
        let (host, port) = match pattern.rsplit_once(':') {
            Some((h, p)) => (
                h,
                Some(
                    p.parse::<u16>()
                        .map_err(|_| format!("{pattern:?}: {p:?} is not a port"))?,
                ),
            ),
            None => (pattern, None),
        };
        let labels = host
            .split('.')
            .map(|l| match l {
                "*" => Some(Label::Any),
                "{region}" => Some(Label::AwsRegion),
                _ if is_dns_label(l) => Some(Label::Exact(l.to_ascii_lowercase())),
                _ => None,
            })
            .collect::<Option<Vec<Label>>>();
        match labels {
            Some(labels) if !host.is_empty() => Ok(HostPattern { labels, port }),
            _ => Err(format!(
                "{pattern:?} is not a host pattern (labels of letters, digits and '-', or '*')"
            )),
        }
    }

    fn matches(&self, host: &Host<&str>, port: u16, default_port: u16) -> bool {
        if port != self.port.unwrap_or(default_port) {
            return false;
        }
        let name = match host {
            Host::Domain(name) => *name,
            // An IP literal matches only a pattern that spells it, label for label.
            Host::Ipv4(_) | Host::Ipv6(_) => {
                let literal = host.to_string();
                let exact = self.labels.iter().all(|l| matches!(l, Label::Exact(_)));
                return exact && self.spelled(&literal);
            }
        };
        self.spelled(name)
    }

    fn spelled(&self, name: &str) -> bool {
        let got: Vec<&str> = name.split('.').collect();
        got.len() == self.labels.len()
            && self.labels.iter().zip(&got).all(|(want, got)| match want {
                Label::Exact(want) => got.eq_ignore_ascii_case(want),
                Label::Any => is_dns_label(got),
                Label::AwsRegion => is_aws_region(got),
            })
    }
}

/// Letters, digits and `-`, not empty.
fn is_dns_label(label: &str) -> bool {
    !label.is_empty()
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// An AWS region name: a two-letter area, an optional partition qualifier (`gov`, `iso`,
/// `isob`, `isoe`, `isof`), a direction word and a number — `us-east-1`, `ap-southeast-2`,
/// `cn-northwest-1`, `us-gov-west-1`, `us-isob-east-1`, `eu-isoe-west-1` — lower case, as AWS
/// writes them (botocore `endpoints.json` `regionRegex` per partition). `s3`,
/// `s3-ap-southeast-2` or `sns` are not regions.
pub fn is_aws_region(label: &str) -> bool {
    let parts: Vec<&str> = label.split('-').collect();
    let (area, middle, number) = match parts.as_slice() {
        [area, middle @ .., number] if (1..=2).contains(&middle.len()) => (area, middle, number),
        _ => return false,
    };
    let lower = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase());
    let qualifier_ok = match middle {
        [_direction] => true,
        [qualifier, _direction] => matches!(*qualifier, "gov" | "iso" | "isob" | "isoe" | "isof"),
        _ => false,
    };
    area.len() == 2
        && lower(area)
        && middle.iter().all(|m| lower(m))
        && qualifier_ok
        && !number.is_empty()
        && number.len() <= 2
        && number.bytes().all(|b| b.is_ascii_digit())
        && !number.starts_with('0')
}

/// The hosts a scheme may fetch from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostAllowlist {
    patterns: Vec<HostPattern>,
    /// `http` is admitted too (AIA issuer URLs only).
    http: bool,
}

impl HostAllowlist {
    /// From patterns (see [`HostPattern::parse`]).
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<HostAllowlist, String> {
        if patterns.is_empty() {
            return Err("at least one host is required".into());
        }
        patterns
            .iter()
            .map(|p| HostPattern::parse(p.as_ref()))
            .collect::<Result<Vec<_>, _>>()
            .map(|patterns| HostAllowlist {
                patterns,
                http: false,
            })
    }

    /// This list, admitting `http` URLs too (port 80 unless a pattern names one): for a
    /// certificate's AIA `caIssuers` URL, which CAs publish over plain HTTP.
    pub fn with_http(self) -> HostAllowlist {
        HostAllowlist { http: true, ..self }
    }

    /// Whether `http` URLs are admitted.
    pub fn admits_http(&self) -> bool {
        self.http
    }

    /// The parsed URL when it passes the rule of this module's docs.
    pub fn check(&self, url: &str) -> Option<Url> {
        let (scheme, default_port) = match plain_authority(url, self.http) {
            Some("http") => ("http", 80),
            Some(_) => ("https", 443),
            None => return None,
        };
        let parsed = Url::parse(url).ok()?;
        if parsed.scheme() != scheme || !parsed.username().is_empty() || parsed.password().is_some()
        {
            return None;
        }
        let host = parsed.host()?;
        let port = parsed.port_or_known_default()?;
        self.patterns
            .iter()
            .any(|p| p.matches(&host, port, default_port))
            .then_some(parsed)
    }
}

/// The scheme (`"https"`, or `"http"` when `http` is admitted) when `url` starts with it and
/// `://` (any case) and its authority is written plainly: letters, digits, `-`, `.` and at most
/// one `:` followed by digits; not empty, no trailing dot. What the URL parser would otherwise
/// decode, strip or map (percent-escapes, IDN, tabs, `\`, `@`) is refused here, so the host
/// checked is the host written.
fn plain_authority(url: &str, http: bool) -> Option<&'static str> {
    let starts = |prefix: &str| {
        url.get(..prefix.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(prefix))
    };
    let (scheme, rest) = if starts("https://") {
        ("https", url.get(8..).unwrap_or_default())
    } else if http && starts("http://") {
        ("http", url.get(7..).unwrap_or_default())
    } else {
        return None;
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..end).unwrap_or_default();
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    let host_ok = !host.is_empty()
        && !host.ends_with('.')
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    (host_ok && port_ok).then_some(scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SNS: &[&str] = &[
        "sns.{region}.amazonaws.com",
        "sns.{region}.amazonaws.com.cn",
    ];

    #[test]
    fn sns_admits_only_sns_region_hosts() {
        let list = HostAllowlist::new(SNS).unwrap();
        for ok in [
            "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem",
            "https://SNS.cn-north-1.amazonaws.com.cn/a.pem",
            "https://sns.us-gov-west-1.amazonaws.com/a.pem",
            "https://sns.ap-southeast-2.amazonaws.com:443/a.pem",
            "HTTPS://sns.eu-central-1.amazonaws.com/a.pem",
        ] {
            assert!(list.check(ok).is_some(), "{ok}");
        }
        // Issue 20 fault 1: S3 bucket hosts named `sns` (anyone can own one), then every other
        // way of writing a URL whose host is not plainly an SNS regional endpoint.
        for refused in [
            "https://sns.s3.amazonaws.com/a.pem",
            "https://sns.s3-ap-southeast-2.amazonaws.com/a.pem",
            "https://sns.s3.us-east-1.amazonaws.com/a.pem",
            "https://sns.amazonaws.com/a.pem",
            "https://sns.us-east-1.amazonaws.com./a.pem",
            "https://sns.US-EAST-1.amazonaws.com.evil.example/a.pem",
            "https://sns.us-east-01.amazonaws.com/a.pem",
            "https://sns.xx-east-1x.amazonaws.com/a.pem",
            "https://sns%2eus-east-1.amazonaws.com/a.pem",
            "https://sns.us-east-1.amazonaws%2Ecom/a.pem",
            "https://ѕns.us-east-1.amazonaws.com/a.pem",
            "https://xn--ns-zmc.us-east-1.amazonaws.com/a.pem",
            "https://sns.us-east-1.amazonaws.com\\@evil.example/a.pem",
            "https://evil.example\\sns.us-east-1.amazonaws.com/a.pem",
            "https://sns.us-ea\tst-1.amazonaws.com/a.pem",
            " https://sns.us-east-1.amazonaws.com/a.pem",
            "https://1.2.3.4/a.pem",
            "https://[::1]/a.pem",
            "http://sns.us-east-1.amazonaws.com/a.pem",
            "https://sns.us-east-1.amazonaws.com:8443/a.pem",
            "https://sns.a.b.amazonaws.com/a.pem",
            "https://sns.us-east-1.amazonaws.com.evil.example/a.pem",
            "https://evil.example/sns.us-east-1.amazonaws.com",
            "https://user@sns.us-east-1.amazonaws.com/a.pem",
            "https://:pw@sns.us-east-1.amazonaws.com/a.pem",
            "https://sns..amazonaws.com/a.pem",
            "https://sns.us-east-1.amazonaws.com:/a.pem",
            "//sns.us-east-1.amazonaws.com/a.pem",
            "not a url",
        ] {
            assert!(list.check(refused).is_none(), "{refused}");
        }
    }

    #[test]
    fn aws_region_names() {
        for region in [
            "us-east-1",
            "ap-southeast-2",
            "cn-northwest-1",
            "us-gov-west-1",
            "us-isob-east-1",
            "eu-isoe-west-1",
            "il-central-1",
            "ap-southeast-7",
        ] {
            assert!(is_aws_region(region), "{region}");
        }
        for not in [
            "s3",
            "s3-ap-southeast-2",
            "sns",
            "us-east",
            "us-east-0",
            "us-east-001",
            "US-EAST-1",
            "usa-east-1",
            "us-evil-east-1",
            "us--1",
            "",
        ] {
            assert!(!is_aws_region(not), "{not}");
        }
    }

    #[test]
    fn explicit_ports_ip_literals_and_bad_patterns() {
        let list = HostAllowlist::new(&["127.0.0.1:8443"]).unwrap();
        assert!(list.check("https://127.0.0.1:8443/k").is_some());
        assert!(list.check("https://127.0.0.1/k").is_none());
        // A wildcard never matches an IP literal.
        let list = HostAllowlist::new(&["*.0.0.1:8443", "*.*.*.*:8443"]).unwrap();
        assert!(list.check("https://127.0.0.1:8443/k").is_none());
        assert!(HostPattern::parse("exa mple.com").is_err());
        assert!(HostPattern::parse("example.com:x").is_err());
        assert!(HostAllowlist::new::<&str>(&[]).is_err());
    }

    /// AIA issuer lists: `http` on 80 and `https` on 443 for the CA's hosts, under the same
    /// authority rule; a key list never admits `http`.
    #[test]
    fn issuer_lists_admit_http_on_its_port() {
        let keys = HostAllowlist::new(&["crt.*.amazontrust.com", "cacerts.digicert.com"]).unwrap();
        assert!(keys.check("http://cacerts.digicert.com/a.crt").is_none());
        let issuers = keys.with_http();
        for ok in [
            "http://crt.r2m02.amazontrust.com/r2m02.cer",
            "HTTP://cacerts.digicert.com/DigiCertEVRSACAG2.crt",
            "https://cacerts.digicert.com/a.crt",
            "http://cacerts.digicert.com:80/a.crt",
        ] {
            assert!(issuers.check(ok).is_some(), "{ok}");
        }
        for refused in [
            "http://cacerts.digicert.com:443/a.crt",
            "https://cacerts.digicert.com:80/a.crt",
            "http://user@cacerts.digicert.com/a.crt",
            "http://cacerts.digicert.com./a.crt",
            "http://crt.evil.example/a.crt",
            "http://crt.a.b.amazontrust.com/a.crt",
            "ftp://cacerts.digicert.com/a.crt",
            "ldap://cacerts.digicert.com/a.crt",
        ] {
            assert!(issuers.check(refused).is_none(), "{refused}");
        }
        let local = HostAllowlist::new(&["127.0.0.1:8080"]).unwrap().with_http();
        assert!(local.check("http://127.0.0.1:8080/i.crt").is_some());
        assert!(local.check("http://127.0.0.1:8081/i.crt").is_none());
    }

    /// Fixed-host presets (PayPal, Pub/Sub, Plaid): only those names, on 443.
    #[test]
    fn fixed_hosts_admit_only_themselves() {
        let list = HostAllowlist::new(&["api-m.paypal.com", "www.googleapis.com"]).unwrap();
        assert!(list
            .check("https://api-m.paypal.com/v1/notifications/certs/CERT-1")
            .is_some());
        assert!(list
            .check("https://www.googleapis.com/oauth2/v3/certs")
            .is_some());
        for refused in [
            "https://api-m.paypal.com.evil.example/c",
            "https://evil-api-m.paypal.com/c",
            "https://x.api-m.paypal.com/c",
            "https://api-m.paypal.com@evil.example/c",
            "https://api-m.paypal.com%40evil.example/c",
            "https://api-m.paypal.com./c",
            "https://www.googleapis.com:80/oauth2/v3/certs",
        ] {
            assert!(list.check(refused).is_none(), "{refused}");
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        fn piece() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("sns".to_string()),
                Just("us-east-1".to_string()),
                Just("us-gov-west-1".to_string()),
                Just("s3".to_string()),
                Just("amazonaws".to_string()),
                Just("com".to_string()),
                Just("cn".to_string()),
                Just("evil".to_string()),
                Just("%2e".to_string()),
                Just("\\".to_string()),
                Just("@".to_string()),
                Just(":443".to_string()),
                Just(":8443".to_string()),
                Just("ѕ".to_string()),
                Just("xn--".to_string()),
                Just("\t".to_string()),
                Just("".to_string()),
                "[a-z0-9-]{1,12}",
                "\\PC{1,3}",
            ]
        }

        fn url() -> impl Strategy<Value = String> {
            let scheme = prop_oneof![
                Just("https://"),
                Just("HTTPS://"),
                Just("http://"),
                Just("https:/"),
                Just(""),
            ];
            let seps = prop_oneof![Just("."), Just("."), Just("-"), Just("")];
            (
                scheme,
                proptest::collection::vec((piece(), seps), 1..7),
                prop_oneof![Just("/a.pem"), Just("?q"), Just(""), Just("#f")],
            )
                .prop_map(|(scheme, parts, tail)| {
                    let host: String = parts.iter().map(|(p, s)| format!("{p}{s}")).collect();
                    format!("{scheme}{host}{tail}")
                })
        }

        /// What the SNS rule admits, written independently of the matcher: a lower-case copy
        /// of the accepted URL's host is `sns.<region>.amazonaws.com[.cn]`, the port 443, and
        /// the input's authority is that host (plus at most `:443`) exactly.
        fn sns_host(host: &str) -> bool {
            let host = host.to_ascii_lowercase();
            let Some(rest) = host.strip_prefix("sns.") else {
                return false;
            };
            let region = rest
                .strip_suffix(".amazonaws.com")
                .or_else(|| rest.strip_suffix(".amazonaws.com.cn"));
            region.is_some_and(is_aws_region)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(10_000))]

            #[test]
            fn sns_rule_admits_only_sns_regional_hosts(url in url()) {
                let list = HostAllowlist::new(&["sns.{region}.amazonaws.com", "sns.{region}.amazonaws.com.cn"]).unwrap();
                if let Some(parsed) = list.check(&url) {
                    prop_assert_eq!(parsed.scheme(), "https");
                    prop_assert!(parsed.username().is_empty() && parsed.password().is_none());
                    prop_assert_eq!(parsed.port_or_known_default(), Some(443));
                    let host = parsed.host_str().unwrap_or_default();
                    prop_assert!(sns_host(host), "{} admitted", url);
                    let written = url.get(8..).unwrap_or_default();
                    let authority = written.split(['/', '?', '#']).next().unwrap_or_default();
                    let authority = authority.to_ascii_lowercase();
                    prop_assert!(authority == host || authority == format!("{host}:443"), "{} admitted", url);
                }
            }

            #[test]
            fn written_sns_urls_are_admitted(region in "(us|eu|ap|cn|sa)-(east|west|north|south|central|southeast)-[1-9]", cn in any::<bool>(), path in "/[A-Za-z0-9._-]{0,30}") {
                let list = HostAllowlist::new(&["sns.{region}.amazonaws.com", "sns.{region}.amazonaws.com.cn"]).unwrap();
                let suffix = if cn { ".cn" } else { "" };
                let url = format!("https://sns.{region}.amazonaws.com{suffix}{path}");
                prop_assert!(list.check(&url).is_some(), "{} refused", url);
            }
        }
    }
}
