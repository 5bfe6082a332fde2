//! Signing certificates fetched as PEM (SNS, PayPal): parsed with `x509-parser`, checked against
//! a [`CertPolicy`] (chain to trusted roots with `rustls-webpki`, subject name, key usage,
//! validity at the signing instant), RSA PKCS#1 v1.5 signatures verified with `ring`.
//! A leaf served without its issuer names it in its AIA `caIssuers` URL (RFC 5280 §4.2.2.1):
//! [`super::signing_certs`] fetches it and hands it to [`CertPolicy::check`].

use std::time::Duration;

use ring::signature::{self, UnparsedPublicKey};
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use x509_parser::prelude::{FromDer, GeneralName, ParsedExtension, X509Certificate};

use crate::providers::Rejection;

/// The parts of a signing certificate a scheme needs. Nothing here is secret.
#[derive(Debug, Clone)]
pub struct SigningCert {
    /// The RSA public key (PKCS#1 `RSAPublicKey` DER) from the certificate's SubjectPublicKeyInfo.
    rsa_public_key: Vec<u8>,
    /// Validity period, Unix seconds, inclusive.
    not_before: i64,
    not_after: i64,
    /// The leaf's DER, then every other certificate the document carried (its issuers).
    chain: Vec<Vec<u8>>,
    /// The subject's DNS names (`subjectAltName` dNSNames, else the subject CNs), lower case.
    names: Vec<String>,
    /// A key usage extension is present and lacks `digitalSignature` (RFC 5280 §4.2.1.3).
    signing_forbidden: bool,
    /// A CA certificate (basicConstraints CA) or a self-issued one: never a provider's leaf.
    ca_or_self_signed: bool,
    /// The first `http`/`https` AIA `caIssuers` URL (RFC 5280 §4.2.2.1): where the issuer is.
    ca_issuers: Option<String>,
}

/// When a fetched certificate must chain to a trusted root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainRule {
    /// Always (`aws-sns`, `paypal`; with `key_ca` too, which only replaces the roots): a leaf
    /// served without its issuer is chained through the issuer its AIA `caIssuers` URL names
    /// ([`CertPolicy::wanted_issuer`]), fetched from the preset's CA hosts.
    Required,
    /// Unit tests of published vectors only: a lone leaf whose real issuer cannot be fetched
    /// offline is taken as it is (self-signed and CA certificates are still refused).
    #[cfg(test)]
    WhenServed,
}

/// What a preset requires of the certificates it fetches.
#[derive(Debug, Clone)]
pub struct CertPolicy {
    roots: Vec<TrustAnchor<'static>>,
    /// One of these must be among the certificate's names (exact, case-insensitive).
    names: &'static [&'static str],
    chain: ChainRule,
    /// Test vectors only: a self-issued leaf (the OpenSSL SNS v2 vectors) is taken as a leaf.
    #[cfg(test)]
    trust_self_issued: bool,
}

/// Signature algorithms accepted in a certificate chain.
static CHAIN_ALGORITHMS: &[&dyn rustls_pki_types::SignatureVerificationAlgorithm] =
    webpki::ALL_VERIFICATION_ALGS;

/// Any extended key usage: the providers' SDKs check none on the signing certificate.
struct AnyUsage;

impl webpki::ExtendedKeyUsageValidator for AnyUsage {
    fn validate(&self, usages: webpki::KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        for usage in usages {
            usage?;
        }
        Ok(())
    }
}

impl CertPolicy {
    /// The built-in roots (Mozilla's, `webpki-roots`), or the certificates of `key_ca` (PEM).
    pub fn new(
        key_ca: Option<&[u8]>,
        names: &'static [&'static str],
        chain: ChainRule,
    ) -> Result<CertPolicy, String> {
        let Some(pem) = key_ca else {
            let roots = webpki_roots::TLS_SERVER_ROOTS.to_vec();
            return Ok(CertPolicy {
                roots,
                names,
                chain,
                #[cfg(test)]
                trust_self_issued: false,
            });
        };
        let mut roots = Vec::new();
        for block in x509_parser::pem::Pem::iter_from_buffer(pem) {
            let block = block.map_err(|e| format!("bad PEM: {e}"))?;
            let der = CertificateDer::from(block.contents);
            let anchor = webpki::anchor_from_trusted_cert(&der)
                .map_err(|e| format!("not a usable root certificate: {e}"))?;
            roots.push(anchor.to_owned());
        }
        if roots.is_empty() {
            return Err("no certificate in the CA bundle".into());
        }
        Ok(CertPolicy {
            roots,
            names,
            chain,
            #[cfg(test)]
            trust_self_issued: false,
        })
    }

    /// `Ok` when `cert` may sign at `at` (the signing instant): valid then, allowed to sign,
    /// named for the provider, and chained to a root as [`ChainRule`] says.
    /// `host` (the host it was fetched from) is one more acceptable name. The certificate must be
    /// valid both when the message was signed (`at`) and `now` (the SDKs check `now`).
    /// `issuers` are the certificates fetched from the leaf's AIA URL (empty when none was).
    pub fn check(
        &self,
        cert: &SigningCert,
        issuers: &[Vec<u8>],
        at: Duration,
        now: Duration,
        host: &str,
    ) -> Result<(), Rejection> {
        let named = cert.names.iter().any(|n| {
            n.eq_ignore_ascii_case(host)
                || self.names.iter().any(|want| n.eq_ignore_ascii_case(want))
        });
        if !cert.valid_at(at) || !cert.valid_at(now) || cert.signing_forbidden || !named {
            return Err(Rejection::BadSignature);
        }
        #[cfg(test)]
        if self.chain == ChainRule::WhenServed && cert.chain.len() == 1 {
            return match cert.ca_or_self_signed && !self.trust_self_issued {
                true => Err(Rejection::BadSignature),
                false => Ok(()),
            };
        }
        self.verify_chain(cert, issuers, at)
    }

    /// The AIA `caIssuers` URL to fetch for `cert`: a leaf served alone, under a rule that
    /// requires the chain. A self-issued certificate wants none (it cannot chain: refused).
    pub fn wanted_issuer<'c>(&self, cert: &'c SigningCert) -> Option<&'c str> {
        let lone = cert.chain.len() == 1 && !cert.ca_or_self_signed;
        (self.chain == ChainRule::Required && lone)
            .then_some(cert.ca_issuers.as_deref())
            .flatten()
    }

    /// This policy with `rule` (unit tests of published vectors).
    #[cfg(test)]
    pub fn with_rule(self, chain: ChainRule) -> CertPolicy {
        CertPolicy { chain, ..self }
    }

    /// A policy for published test vectors whose certificate is self-issued and named `names`.
    #[cfg(test)]
    pub fn for_test_vectors(names: &'static [&'static str]) -> CertPolicy {
        CertPolicy {
            roots: Vec::new(),
            names,
            chain: ChainRule::WhenServed,
            trust_self_issued: true,
        }
    }

    fn verify_chain(
        &self,
        cert: &SigningCert,
        fetched: &[Vec<u8>],
        at: Duration,
    ) -> Result<(), Rejection> {
        let (leaf, served) = cert.chain.split_first().ok_or(Rejection::BadSignature)?;
        let leaf = CertificateDer::from(leaf.as_slice());
        let issuers: Vec<CertificateDer<'_>> = served
            .iter()
            .chain(fetched)
            .map(|d| CertificateDer::from(d.as_slice()))
            .collect();
        let end_entity =
            webpki::EndEntityCert::try_from(&leaf).map_err(|_| Rejection::BadSignature)?;
        end_entity
            .verify_for_usage(
                CHAIN_ALGORITHMS,
                &self.roots,
                &issuers,
                UnixTime::since_unix_epoch(at),
                AnyUsage,
                None,
                None,
            )
            .map(|_| ())
            .map_err(|_| Rejection::BadSignature)
    }
}

/// The hash of an RSA PKCS#1 v1.5 signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RsaHash {
    /// SHA-1 (SNS `SignatureVersion` 1; legacy, still sent by default).
    Sha1,
    Sha256,
}

impl SigningCert {
    /// The first certificate of a PEM document (or a DER certificate). Errors when it is not an
    /// X.509 certificate with an RSA key.
    /// The certificates after the first are kept as its issuers, for the chain check.
    pub fn parse(bytes: &[u8]) -> Result<SigningCert, String> {
        let chain = der_certificates(bytes)?;
        let leaf = chain.first().ok_or("no certificate")?;
        let (_, cert) = X509Certificate::from_der(leaf)
            .map_err(|e| format!("not an X.509 certificate: {e}"))?;
        let spki = cert.public_key();
        if spki.algorithm.algorithm != x509_parser::oid_registry::OID_PKCS1_RSAENCRYPTION {
            return Err("the certificate's key is not RSA".into());
        }
        let signing_forbidden =
            matches!(cert.key_usage(), Ok(Some(ku)) if !ku.value.digital_signature());
        let is_ca = matches!(cert.basic_constraints(), Ok(Some(bc)) if bc.value.ca);
        // Self-issued (RFC 5280 §3.2: issuer = subject), as every self-signed certificate is.
        let self_signed = cert.subject() == cert.issuer();
        Ok(SigningCert {
            rsa_public_key: spki.subject_public_key.data.to_vec(),
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            names: subject_names(&cert),
            signing_forbidden,
            ca_or_self_signed: is_ca || self_signed,
            ca_issuers: ca_issuers_url(&cert),
            chain,
        })
    }

    /// Whether `now` (since the Unix epoch) is within the validity period.
    pub fn valid_at(&self, now: Duration) -> bool {
        let now = now.as_secs() as i64;
        self.not_before <= now && now <= self.not_after
    }

    /// Verifies an RSA PKCS#1 v1.5 signature over `message` (keys of 2048 to 8192 bits).
    pub fn verify_rsa(&self, hash: RsaHash, message: &[u8], signature: &[u8]) -> bool {
        let algorithm: &'static signature::RsaParameters = match hash {
            RsaHash::Sha1 => &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            RsaHash::Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        };
        UnparsedPublicKey::new(algorithm, &self.rsa_public_key)
            .verify(message, signature)
            .is_ok()
    }
}

/// An issuer fetched from an AIA `caIssuers` URL: DER (`application/pkix-cert`, what Amazon
/// Trust Services and DigiCert serve) or PEM; every certificate must parse. (A PKCS#7
/// `certs-only` bundle, which RFC 5280 also allows, is refused as not a certificate.)
#[derive(Debug, Clone)]
pub struct IssuerCerts(pub Vec<Vec<u8>>);

impl IssuerCerts {
    /// A [`super::fetcher::Parse`] for the issuer fetcher.
    pub fn parse(bytes: &[u8]) -> Result<IssuerCerts, String> {
        let ders = der_certificates(bytes)?;
        for der in &ders {
            X509Certificate::from_der(der).map_err(|e| format!("not an X.509 certificate: {e}"))?;
        }
        Ok(IssuerCerts(ders))
    }
}

/// The first `http`/`https` `caIssuers` URI of the certificate's AIA extension.
fn ca_issuers_url(cert: &X509Certificate<'_>) -> Option<String> {
    let ca_issuers = x509_parser::oid_registry::OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS;
    cert.extensions()
        .iter()
        .filter_map(|ext| match ext.parsed_extension() {
            ParsedExtension::AuthorityInfoAccess(aia) => Some(aia),
            _ => None,
        })
        .flat_map(|aia| aia.accessdescs.iter())
        .filter(|d| d.access_method == ca_issuers)
        .find_map(|d| match d.access_location {
            GeneralName::URI(uri) if uri.starts_with("http://") || uri.starts_with("https://") => {
                Some(uri.to_string())
            }
            _ => None,
        })
}

/// Every certificate of a PEM document in order, or the bytes as one DER certificate.
fn der_certificates(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if !bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        return Ok(vec![bytes.to_vec()]);
    }
    let mut ders = Vec::new();
    for pem in x509_parser::pem::Pem::iter_from_buffer(bytes) {
        let pem = pem.map_err(|e| format!("bad PEM: {e}"))?;
        if pem.label != "CERTIFICATE" {
            return Err(format!("PEM block {:?} is not a certificate", pem.label));
        }
        ders.push(pem.contents);
    }
    Ok(ders)
}

/// The DNS names a certificate is for: its `subjectAltName` dNSNames when it has the extension
/// (RFC 6125 §6.4.4: then the CN is not used), else its subject CNs.
fn subject_names(cert: &X509Certificate<'_>) -> Vec<String> {
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        return san
            .value
            .general_names
            .iter()
            .filter_map(|n| match n {
                GeneralName::DNSName(name) => Some(name.to_ascii_lowercase()),
                _ => None,
            })
            .collect();
    }
    cert.subject()
        .iter_common_name()
        .filter_map(|cn| cn.as_str().ok())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// A Unix-milliseconds instant as a `Duration` since the epoch (0 for instants before it).
pub fn millis(unix_ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(unix_ms).unwrap_or(0))
}

/// The host of `url`, lower case (empty when it has none).
pub fn url_host(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: &[&str] = &["messageverificationcerts.paypal.com"];
    const NOW: Duration = Duration::from_secs(1_800_000_000);

    struct Ca {
        cert: rcgen::Certificate,
        key: rcgen::KeyPair,
    }

    fn ca(name: &str) -> Ca {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let cert = params.self_signed(&key).unwrap();
        Ca { cert, key }
    }

    /// An RSA leaf named `name` issued by `issuer` (self-signed without one).
    fn leaf(name: &str, issuer: Option<&Ca>, usage: &[rcgen::KeyUsagePurpose]) -> String {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap_or_else(|_| {
            rcgen::KeyPair::from_pem(include_str!(
                "../../presets/testdata/gcp_pubsub_test_key.pem"
            ))
            .unwrap()
        });
        let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.key_usages = usage.to_vec();
        match issuer {
            Some(ca) => params.signed_by(&key, &ca.cert, &ca.key).unwrap().pem(),
            None => params.self_signed(&key).unwrap().pem(),
        }
    }

    fn policy(root: &Ca, chain: ChainRule) -> CertPolicy {
        CertPolicy::new(Some(root.cert.pem().as_bytes()), NAMES, chain).unwrap()
    }

    fn check(p: &CertPolicy, pem: &str) -> Result<(), Rejection> {
        p.check(
            &SigningCert::parse(pem.as_bytes()).unwrap(),
            &[],
            NOW,
            NOW,
            "",
        )
    }

    /// Issue 20 fault 2, as PayPal-Java-SDK `SSLUtil.validateCertificateChain` decides it: a
    /// certificate must chain to a trusted root and carry PayPal's name; a self-signed one in
    /// PayPal's name is refused whatever the chain rule.
    #[test]
    fn chain_name_usage_and_self_signed() {
        let root = ca("test root");
        let int = ca("test intermediate");
        let signing = [rcgen::KeyUsagePurpose::DigitalSignature];
        let name = NAMES[0];
        let int_under_root = {
            let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
            params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, "test intermediate");
            params
                .signed_by(&int.key, &root.cert, &root.key)
                .unwrap()
                .pem()
        };
        let served_chain = format!("{}{int_under_root}", leaf(name, Some(&int), &signing));
        for rule in [ChainRule::Required, ChainRule::WhenServed] {
            let p = policy(&root, rule);
            assert_eq!(check(&p, &served_chain), Ok(()), "{rule:?}");
            assert_eq!(
                check(&p, &leaf(name, None, &signing)),
                Err(Rejection::BadSignature)
            );
            let other_root = policy(&ca("other root"), rule);
            assert_eq!(
                check(&other_root, &served_chain),
                Err(Rejection::BadSignature)
            );
            let wrong_name = format!(
                "{}{int_under_root}",
                leaf("evil.example", Some(&int), &signing)
            );
            assert_eq!(check(&p, &wrong_name), Err(Rejection::BadSignature));
            let no_signing = [rcgen::KeyUsagePurpose::KeyEncipherment];
            let wrong_usage = format!("{}{int_under_root}", leaf(name, Some(&int), &no_signing));
            assert_eq!(check(&p, &wrong_usage), Err(Rejection::BadSignature));
        }
        // A lone leaf from a CA the document does not carry: chained only with its issuer
        // fetched (AIA), or taken as it is under the published-vector rule.
        let lone = leaf(name, Some(&int), &signing);
        assert_eq!(check(&policy(&root, ChainRule::WhenServed), &lone), Ok(()));
        let required = policy(&root, ChainRule::Required);
        assert_eq!(check(&required, &lone), Err(Rejection::BadSignature));
        let fetched = IssuerCerts::parse(int_under_root.as_bytes()).unwrap().0;
        let lone = SigningCert::parse(lone.as_bytes()).unwrap();
        assert_eq!(required.check(&lone, &fetched, NOW, NOW, ""), Ok(()));
        let wrong = IssuerCerts::parse(ca("test intermediate").cert.pem().as_bytes()).unwrap();
        assert_eq!(
            required.check(&lone, &wrong.0, NOW, NOW, ""),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn validity_at_signing_time_and_now() {
        let root = ca("test root");
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap_or_else(|_| {
            rcgen::KeyPair::from_pem(include_str!(
                "../../presets/testdata/gcp_pubsub_test_key.pem"
            ))
            .unwrap()
        });
        let mut params = rcgen::CertificateParams::new(vec![NAMES[0].to_string()]).unwrap();
        params.not_before = rcgen::date_time_ymd(2027, 1, 1);
        params.not_after = rcgen::date_time_ymd(2028, 1, 1);
        let pem = params.signed_by(&key, &root.cert, &root.key).unwrap().pem();
        let cert = SigningCert::parse(pem.as_bytes()).unwrap();
        let p = policy(&root, ChainRule::Required);
        let in_2027 = Duration::from_secs(1_815_000_000);
        let in_2029 = Duration::from_secs(1_870_000_000);
        assert_eq!(p.check(&cert, &[], in_2027, in_2027, ""), Ok(()));
        assert_eq!(
            p.check(&cert, &[], in_2027, in_2029, ""),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            p.check(&cert, &[], in_2029, in_2027, ""),
            Err(Rejection::BadSignature)
        );
    }
}
