//! Signing certificates fetched as PEM (SNS, PayPal): parsed with `x509-parser`, their validity
//! period checked at the request's instant, RSA PKCS#1 v1.5 signatures verified with `ring`.

use std::time::Duration;

use ring::signature::{self, UnparsedPublicKey};
use x509_parser::prelude::{FromDer, X509Certificate};

/// The parts of a signing certificate a scheme needs. Nothing here is secret.
#[derive(Debug, Clone)]
pub struct SigningCert {
    /// The RSA public key (PKCS#1 `RSAPublicKey` DER) from the certificate's SubjectPublicKeyInfo.
    rsa_public_key: Vec<u8>,
    /// Validity period, Unix seconds, inclusive.
    not_before: i64,
    not_after: i64,
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
    pub fn parse(bytes: &[u8]) -> Result<SigningCert, String> {
        let der = match x509_parser::pem::parse_x509_pem(bytes) {
            Ok((_, pem)) if pem.label == "CERTIFICATE" => pem.contents,
            Ok((_, pem)) => return Err(format!("PEM block {:?} is not a certificate", pem.label)),
            Err(_) => bytes.to_vec(),
        };
        let (_, cert) = X509Certificate::from_der(&der)
            .map_err(|e| format!("not an X.509 certificate: {e}"))?;
        let spki = cert.public_key();
        if spki.algorithm.algorithm != x509_parser::oid_registry::OID_PKCS1_RSAENCRYPTION {
            return Err("the certificate's key is not RSA".into());
        }
        Ok(SigningCert {
            rsa_public_key: spki.subject_public_key.data.to_vec(),
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
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
