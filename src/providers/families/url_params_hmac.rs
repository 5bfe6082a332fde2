//! The "URL + form parameters" HMAC family: `<header>: <base64 HMAC(secret, public URL + the POST
//! parameters sorted by name, each as name + value)>`, as Twilio and Mandrill sign.
//!
//! With Twilio's rules (`twilio = true`): parameters sorted by name then value, every one kept;
//! JSON bodies are signed through the URL's `bodySHA256=<hex SHA-256 of the body>` (only the URL
//! is signed, and the body hash is compared); GET callbacks are signed over the URL (with its
//! query) alone; `X-Twilio-Webhooks-Signature-Settings: key=<id>,algorithm=<HMAC_SHA1 |
//! HMAC_SHA256>` picks the algorithm of a SharedKey signature ([`signature_algorithm`]); and,
//! since Twilio's back ends are not consistent about the URL they sign, the SDKs' URL forms are
//! tried ([`url_variants`]): as received, without its port and with the scheme's default port
//! added (twilio-python); the same after WHATWG URL normalisation (twilio-node's `new URL`, which
//! percent-encodes e.g. `'` in the query), and each of those with the query re-encoded the way
//! Node's legacy `querystring` does (`+` → `%20`; twilio-node `withLegacyQuerystring`).
//! Otherwise (Mandrill, PHP's `ksort` of `$_POST`): HMAC-SHA1 over the URL as received, and the
//! last value of a repeated name wins.
//! Source: twilio/twilio-python `twilio/request_validator.py`; twilio/twilio-node
//! `lib/webhooks/webhooks.ts` (`validateRequest`, `removePort`, `addPort`,
//! `withLegacyQuerystring`, `getSignatureAlgorithm`); PyPI twilio 9.13.0 and npm twilio 6.3.1
//! for the SharedKey header; Mailchimp Transactional's "Authenticating webhook requests"
//! (`generateSignature`).

use std::collections::BTreeMap;

use sha2::Digest;

use crate::config::secret::Secret;
use crate::providers::families::common::{self, Algorithm, Encoding};
use crate::providers::{
    Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

/// HMAC-SHA1, base64, over the public URL followed by the form parameters, sorted by name,
/// each as `name + value`.
pub struct UrlParamsHmac {
    pub header: &'static str,
    /// Twilio's rules: repeated names sorted by value, `bodySHA256`, port variants. Otherwise
    /// (Mandrill, PHP's `ksort` of `$_POST`) the last value of a repeated name wins.
    pub twilio: bool,
    pub secrets: Vec<Secret>,
}

impl UrlParamsHmac {
    pub fn boxed(
        settings: &SchemeSettings<'_>,
        header: &'static str,
        twilio: bool,
    ) -> Result<Box<dyn Scheme>, SettingsError> {
        common::require_secrets(settings.secrets)?;
        common::preset_header(settings, header, false)?;
        Ok(Box::new(UrlParamsHmac {
            header,
            twilio,
            secrets: settings.secrets.to_vec(),
        }))
    }

    /// Twilio: [`signature_algorithm`] of the request's settings header (one at most). Mandrill:
    /// HMAC-SHA1.
    fn algorithm(&self, req: &WebhookRequest<'_>) -> Result<Algorithm, Rejection> {
        if !self.twilio {
            return Ok(Algorithm::Sha1);
        }
        signature_algorithm(common::optional_header(req.headers, SIGNATURE_SETTINGS)?)
    }

    /// The `name + value` pairs that follow the URL, concatenated. A GET has none (its
    /// parameters are in the signed URL; any body is not part of the request Twilio made).
    fn params(&self, method: &str, url: &str, body: &[u8]) -> Vec<u8> {
        if self.twilio && (method.eq_ignore_ascii_case("GET") || body_sha256(url).is_some()) {
            return Vec::new();
        }
        let pairs: Vec<(String, String)> = if self.twilio {
            let mut pairs: Vec<(String, String)> = form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            pairs.sort();
            pairs.dedup();
            pairs
        } else {
            let last: BTreeMap<String, String> = form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            last.into_iter().collect()
        };
        let mut out = Vec::new();
        for (k, v) in pairs {
            out.extend_from_slice(k.as_bytes());
            out.extend_from_slice(v.as_bytes());
        }
        out
    }
}

/// The header naming a SharedKey signature's algorithm (twilio-python `SIGNATURE_SETTINGS_HEADER`).
pub const SIGNATURE_SETTINGS: &str = "X-Twilio-Webhooks-Signature-Settings";

/// The HMAC a Twilio signature uses, from the `X-Twilio-Webhooks-Signature-Settings` value:
/// the first non-empty `algorithm=` of its comma-separated `name=value` parts, `HMAC_SHA1` or
/// `HMAC_SHA256` (either case); no header, or none named: HMAC-SHA1 (the Auth Token signature).
/// Any other algorithm → `MalformedSignature` (both SDKs refuse it). As twilio-python's
/// `get_signature_algorithm` and twilio-node's `getSignatureAlgorithm`.
pub fn signature_algorithm(settings: Option<&str>) -> Result<Algorithm, Rejection> {
    let named = settings
        .unwrap_or_default()
        .split(',')
        .filter_map(|part| part.split_once('='))
        .find(|(name, value)| name.trim() == "algorithm" && !value.trim().is_empty())
        .map(|(_, value)| value.trim());
    match named {
        None => Ok(Algorithm::Sha1),
        Some(a) if a.eq_ignore_ascii_case("HMAC_SHA1") => Ok(Algorithm::Sha1),
        Some(a) if a.eq_ignore_ascii_case("HMAC_SHA256") => Ok(Algorithm::Sha256),
        Some(_) => Err(Rejection::MalformedSignature),
    }
}

/// The `bodySHA256` query parameter of `url`, if any.
fn body_sha256(url: &str) -> Option<String> {
    let query = url.split_once('?')?.1.split('#').next().unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "bodySHA256")
        .map(|(_, v)| v.into_owned())
}

/// `url` split around its port: (before the port, the port with its colon, after the authority).
fn split_port(url: &str) -> Option<(&str, &str, &str, &str)> {
    let (scheme, after) = url.split_once("://")?;
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    let host_start = authority.rfind('@').map_or(0, |i| i + 1);
    let host = &authority[host_start..];
    let colon = if host.starts_with('[') {
        host.find("]:").map(|i| i + 1)
    } else {
        host.rfind(':')
    };
    let split = colon.map_or(authority.len(), |c| host_start + c);
    Some((scheme, &authority[..split], &authority[split..], rest))
}

/// `url` without its port, and `url` with the scheme's default port added (twilio-python's
/// `remove_port` / `add_port`; each is `url` itself when there is nothing to change).
pub(crate) fn port_variants(url: &str) -> [String; 2] {
    let Some((scheme, host, port, rest)) = split_port(url) else {
        return [url.to_string(), url.to_string()];
    };
    if port.is_empty() {
        let default = if scheme.eq_ignore_ascii_case("https") {
            443
        } else {
            80
        };
        [
            url.to_string(),
            format!("{scheme}://{host}:{default}{rest}"),
        ]
    } else {
        [format!("{scheme}://{host}{rest}"), url.to_string()]
    }
}

/// Node's `querystring.escape` leaves these unencoded (RFC 3986 unreserved plus `!'()*`).
const LEGACY_QUERY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*');

/// `url` with its query re-encoded as Node's `querystring.stringify(querystring.parse(q))` does:
/// form-decoded (`+` is a space), values of a repeated name grouped at its first place, each
/// `name=value` percent-encoded with [`LEGACY_QUERY`]. Unlike Node's parser no parameter is
/// dropped (Node keeps only the first 1,000), so padding cannot hide an unsigned one.
pub fn legacy_query(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    if query.is_empty() {
        return url.to_string();
    }
    let mut grouped: Vec<(String, Vec<String>)> = Vec::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match grouped.iter_mut().find(|(name, _)| *name == k) {
            Some((_, values)) => values.push(v.into_owned()),
            None => grouped.push((k.into_owned(), vec![v.into_owned()])),
        }
    }
    let encode = |s: &str| percent_encoding::utf8_percent_encode(s, LEGACY_QUERY).to_string();
    let pairs: Vec<String> = grouped
        .iter()
        .flat_map(|(k, values)| {
            values
                .iter()
                .map(move |v| format!("{}={}", encode(k), encode(v)))
        })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}

/// twilio-node's `removePort(new URL(url))` and `addPort(new URL(url))`: the WHATWG-normalised
/// URL without its port, and with the scheme's default port when it has none.
fn whatwg_port_variants(url: &str) -> Option<[String; 2]> {
    let parsed = url::Url::parse(url).ok()?;
    let mut without = parsed.clone();
    without.set_port(None).ok()?;
    let with = if parsed.port().is_some() {
        parsed.to_string()
    } else {
        let default = parsed.port_or_known_default()?;
        let mut credentials = parsed.username().to_string();
        if let Some(password) = parsed.password() {
            credentials.push(':');
            credentials.push_str(password);
        }
        if !credentials.is_empty() {
            credentials.push('@');
        }
        format!(
            "{}://{credentials}{}:{default}{}{}",
            parsed.scheme(),
            parsed.host_str()?,
            parsed.path(),
            parsed.query().map(|q| format!("?{q}")).unwrap_or_default(),
        )
    };
    Some([without.to_string(), with])
}

/// Every URL form Twilio's SDKs accept a signature over (see the module docs), without repeats.
pub fn url_variants(url: &str) -> Vec<String> {
    let mut out: Vec<String> = port_variants(url).to_vec();
    if let Some(normalised) = whatwg_port_variants(url) {
        out.extend(normalised);
    }
    let legacy: Vec<String> = out.iter().map(|u| legacy_query(u)).collect();
    out.extend(legacy);
    let mut seen = std::collections::HashSet::new();
    out.retain(|u| seen.insert(u.clone()));
    out
}

impl Scheme for UrlParamsHmac {
    /// The URL is signed.
    fn reads_public_url(&self) -> bool {
        true
    }

    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let value = common::single_header(req.headers, self.header)?;
        let signature = Encoding::Base64
            .decode(value)
            .ok_or(Rejection::MalformedSignature)?;
        let algorithm = self.algorithm(req)?;
        let params = self.params(req.method, req.public_url, req.body);
        let candidates = [signature];
        let urls = if self.twilio {
            url_variants(req.public_url)
        } else {
            vec![req.public_url.to_string()]
        };
        let mut matched = false;
        for url in &urls {
            matched |= common::any_hmac_matches(
                algorithm,
                &self.secrets,
                &[url.as_bytes(), &params],
                &candidates,
            );
        }
        if !matched {
            return Err(Rejection::BadSignature);
        }
        if self.twilio {
            if let Some(expected) = body_sha256(req.public_url) {
                let actual = hex::encode(sha2::Sha256::digest(req.body));
                if !common::ct_eq(actual.as_bytes(), expected.to_ascii_lowercase().as_bytes()) {
                    return Err(Rejection::BadSignature);
                }
            }
        }
        Ok(())
    }

    fn sign(&self, req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        let secret = common::first_secret(&self.secrets)?;
        let algorithm = self
            .algorithm(req)
            .map_err(|_| SignError(format!("{SIGNATURE_SETTINGS} names no supported algorithm")))?;
        let params = self.params(req.method, req.public_url, req.body);
        let mac = common::hmac_parts(
            algorithm,
            secret.bytes(),
            &[req.public_url.as_bytes(), &params],
        );
        Ok(vec![(
            self.header.to_string(),
            Encoding::Base64.encode(&mac),
        )])
    }
}
