//! Which URLs a key-fetching scheme may request: `https` only, no user info, and a host (and port)
//! matching one of the preset's documented patterns, checked before any connection is made.

use url::Url;

/// One allowed host: DNS labels where `*` stands for exactly one label of letters, digits and
/// `-` (so `sns.*.amazonaws.com` admits `sns.us-east-1.amazonaws.com` but not
/// `sns.evil.example.amazonaws.com`), optionally `:port` (without one, only 443).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    labels: Vec<String>,
    port: u16,
}

impl HostPattern {
    /// Parses `host`, `*.label.tld` or `host:port`. Errors name what is wrong.
    pub fn parse(pattern: &str) -> Result<HostPattern, String> {
        let (host, port) = match pattern.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .map_err(|_| format!("{pattern:?}: {p:?} is not a port"))?,
            ),
            None => (pattern, 443),
        };
        let labels: Vec<String> = host.split('.').map(|l| l.to_ascii_lowercase()).collect();
        let label_ok = |l: &String| {
            l == "*" || (!l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        };
        if host.is_empty() || !labels.iter().all(label_ok) {
            return Err(format!(
                "{pattern:?} is not a host pattern (labels of letters, digits and '-', or '*')"
            ));
        }
        Ok(HostPattern { labels, port })
    }

    fn matches(&self, host: &str, port: u16) -> bool {
        if port != self.port {
            return false;
        }
        let mut labels = host.split('.');
        let mut count = 0;
        for want in &self.labels {
            let Some(got) = labels.next() else {
                return false;
            };
            count += 1;
            let ok = if want == "*" {
                !got.is_empty() && got.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            } else {
                got.eq_ignore_ascii_case(want)
            };
            if !ok {
                return false;
            }
        }
        labels.next().is_none() && count == self.labels.len()
    }
}

/// The hosts a scheme may fetch from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostAllowlist(Vec<HostPattern>);

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
            .map(HostAllowlist)
    }

    /// The parsed URL when it is `https`, has no user info, and its host and port are allowed.
    pub fn check(&self, url: &str) -> Option<Url> {
        let parsed = Url::parse(url).ok()?;
        if parsed.scheme() != "https"
            || !parsed.username().is_empty()
            || parsed.password().is_some()
        {
            return None;
        }
        let host = parsed.host_str()?;
        let port = parsed.port_or_known_default()?;
        self.0
            .iter()
            .any(|p| p.matches(host, port))
            .then_some(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_one_label_and_https_only() {
        let list = HostAllowlist::new(&["sns.*.amazonaws.com", "sns.*.amazonaws.com.cn"]).unwrap();
        assert!(list
            .check("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem")
            .is_some());
        assert!(list
            .check("https://SNS.cn-north-1.amazonaws.com.cn/a.pem")
            .is_some());
        for refused in [
            "http://sns.us-east-1.amazonaws.com/a.pem",
            "https://sns.us-east-1.amazonaws.com:8443/a.pem",
            "https://sns.a.b.amazonaws.com/a.pem",
            "https://sns.us-east-1.amazonaws.com.evil.example/a.pem",
            "https://evil.example/sns.us-east-1.amazonaws.com",
            "https://user@sns.us-east-1.amazonaws.com/a.pem",
            "https://sns..amazonaws.com/a.pem",
            "not a url",
        ] {
            assert!(list.check(refused).is_none(), "{refused}");
        }
    }

    #[test]
    fn explicit_ports_and_bad_patterns() {
        let list = HostAllowlist::new(&["127.0.0.1:8443"]).unwrap();
        assert!(list.check("https://127.0.0.1:8443/k").is_some());
        assert!(list.check("https://127.0.0.1/k").is_none());
        assert!(HostPattern::parse("exa mple.com").is_err());
        assert!(HostPattern::parse("example.com:x").is_err());
        assert!(HostAllowlist::new::<&str>(&[]).is_err());
    }
}
