//! Apple App Store Server Notifications v2: the JSON body is `{"signedPayload": "<JWS>"}`, a
//! compact JWS signed ES256 whose header carries the signing chain in `x5c` (leaf, Apple
//! Worldwide Developer Relations intermediate, root; standard base64 DER). The gateway checks,
//! as Apple's App Store Server Library does offline:
//!
//! - exactly three certificates; the leaf and intermediate chain (rustls-webpki) to the bundled
//!   **Apple Root CA - G3** (the `x5c` root itself is not trusted), each valid at the payload's
//!   `signedDate` (Unix ms; the current time when the payload has none);
//! - the leaf carries Apple's receipt-signing marker `1.2.840.113635.100.6.11.1` and the
//!   intermediate `1.2.840.113635.100.6.2.1` (x509-parser);
//! - the JWS signature by the leaf's P-256 key (jsonwebtoken, ES256 only);
//! - `bundleId` (of `data`, `summary`, `externalPurchaseToken` or `appData`) equals
//!   `provider_options.bundle_id`, the environment equals `provider_options.environment`, and in
//!   Production `appAppleId` equals `provider_options.app_apple_id`.
//!
//! Apple's library checks no age of `signedDate`; a route's `tolerance` turns a window on.
//! Nothing is fetched: `provider_options.key_ca` replaces the bundled root **for testing only**
//! (Apple's test chains, a local CA).
//! Sources: developer.apple.com/documentation/appstoreservernotifications/responsebodyv2 and
//! /jwsdecodedheader (x5c); apple/app-store-server-library-python
//! `appstoreserverlibrary/signed_data_verifier.py` (`_ChainVerifier`, `_verify_notification`);
//! the root from www.apple.com/certificateauthority ("Apple Root CA - G3 Root", SHA-256
//! 63343ABFB89A6A03EBB57E9B3F5FA7BE7C4F5C756F3017B3A8C488C3653E9179).

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use serde::Deserialize;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::providers::families::key_fetch::jwt;
use crate::providers::families::key_fetch::{options::read_ca, KeyFetchContext, ProviderOptions};
use crate::providers::{
    common, Preset, Rejection, Scheme, SchemeSettings, SettingsError, SignError, WebhookRequest,
};

pub const PRESET: Preset = Preset {
    name: "apple-app-store",
    // Timestamped (`signedDate`), but Apple's library checks no window: off unless the route
    // sets `tolerance`.
    default_tolerance: Some(Duration::ZERO),
    event_id: None,
    event_type: None,
    summary: "JSON body signedPayload: ES256 JWS whose x5c chain reaches Apple Root CA - G3 at signedDate (leaf/intermediate marker OIDs); bundleId, environment, appAppleId from provider_options",
    build,
    family: "jws-x5c",
    headers: &["(JSON body: signedPayload)"],
    reference: "developer.apple.com/documentation/appstoreservernotifications (signedPayload, x5c); app-store-server-library-python SignedDataVerifier; Apple Root CA - G3 from apple.com/certificateauthority",
    ..Preset::DEFAULTS
};

/// Apple Root CA - G3 (DER), from www.apple.com/certificateauthority/AppleRootCA-G3.cer; its
/// SHA-256 is checked by a test against the fingerprint Apple publishes there.
pub const APPLE_ROOT_CA_G3: &[u8] = include_bytes!("apple_root_ca_g3.der");

/// Apple's marker of a receipt/notification signing certificate (the leaf).
const LEAF_OID: &str = "1.2.840.113635.100.6.11.1";
/// Apple's marker of the Worldwide Developer Relations intermediate.
const INTERMEDIATE_OID: &str = "1.2.840.113635.100.6.2.1";

/// The chain signatures Apple's hierarchy uses (P-384 root and intermediate, P-256 leaf), plus
/// the P-256 combinations of test chains.
static CHAIN_ALGORITHMS: &[&dyn rustls_pki_types::SignatureVerificationAlgorithm] = &[
    webpki::ring::ECDSA_P256_SHA256,
    webpki::ring::ECDSA_P256_SHA384,
    webpki::ring::ECDSA_P384_SHA256,
    webpki::ring::ECDSA_P384_SHA384,
];

fn build(settings: &SchemeSettings<'_>) -> Result<Box<dyn Scheme>, SettingsError> {
    crate::providers::families::key_fetch::options::build_without_options(
        build_with_options,
        settings,
    )
}

/// An App Store environment, spelled as in the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Environment {
    Production,
    Sandbox,
}

impl Environment {
    fn as_str(self) -> &'static str {
        match self {
            Environment::Production => "Production",
            Environment::Sandbox => "Sandbox",
        }
    }
}

/// The constructor with the route's `provider_options`: `bundle_id` (required), `environment`
/// (`Production`, the default, or `Sandbox`), `app_apple_id` (required in Production), and
/// `key_ca` (a PEM or DER file of roots replacing Apple Root CA - G3; for testing only).
pub fn build_with_options(
    settings: &SchemeSettings<'_>,
    options: &ProviderOptions,
    _ctx: &KeyFetchContext,
) -> Result<Box<dyn Scheme>, SettingsError> {
    options.only(
        PRESET.name,
        &["bundle_id", "environment", "app_apple_id", "key_ca"],
    )?;
    common::refuse_secrets(
        settings.secrets,
        PRESET.name,
        "the x5c chain is checked against Apple's root",
    )?;
    common::preset_header(settings, "", false)?;
    let bundle_id = ProviderOptions::required(&options.bundle_id, "bundle_id")?.to_string();
    let environment = match options.environment.as_deref().unwrap_or("Production") {
        "Production" => Environment::Production,
        "Sandbox" => Environment::Sandbox,
        other => {
            return Err(SettingsError::new(
                "provider_options.environment",
                format!("{other:?} is not one of Production, Sandbox"),
            ))
        }
    };
    if environment == Environment::Production && options.app_apple_id.is_none() {
        return Err(SettingsError::new(
            "provider_options.app_apple_id",
            "missing: the app's Apple ID is required in Production (as Apple's library requires)",
        ));
    }
    let root_ders = match &options.key_ca {
        None => vec![APPLE_ROOT_CA_G3.to_vec()],
        Some(path) => certificates(&read_ca(path)?)
            .map_err(|m| SettingsError::new("provider_options.key_ca", format!("{path}: {m}")))?,
    };
    let roots = root_ders
        .iter()
        .map(|der| {
            webpki::anchor_from_trusted_cert(&CertificateDer::from(der.as_slice()))
                .map(|a| a.to_owned())
                .map_err(|e| {
                    SettingsError::new(
                        "provider_options.key_ca",
                        format!("not a usable root certificate: {e}"),
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Box::new(AppStore {
        roots,
        bundle_id,
        environment,
        app_apple_id: options.app_apple_id,
        window: (!settings.tolerance.is_zero()).then(|| PRESET.window(settings.tolerance)),
    }))
}

/// The DER certificates of a PEM document, or the file itself when it is not PEM.
fn certificates(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if !bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        X509Certificate::from_der(bytes).map_err(|_| "neither PEM nor a DER certificate")?;
        return Ok(vec![bytes.to_vec()]);
    }
    let mut ders = Vec::new();
    for pem in x509_parser::pem::Pem::iter_from_buffer(bytes) {
        let pem = pem.map_err(|e| format!("bad PEM: {e}"))?;
        if pem.label == "CERTIFICATE" {
            ders.push(pem.contents);
        }
    }
    if ders.is_empty() {
        return Err("no CERTIFICATE block".into());
    }
    Ok(ders)
}

struct AppStore {
    roots: Vec<TrustAnchor<'static>>,
    bundle_id: String,
    environment: Environment,
    app_apple_id: Option<u64>,
    /// `None`: `signedDate`'s age is not checked (Apple's library checks none).
    window: Option<common::Window>,
}

#[derive(Deserialize)]
struct Body {
    #[serde(rename = "signedPayload")]
    signed_payload: Option<String>,
}

/// The app a notification is about.
#[derive(Deserialize, Default)]
struct AppInfo {
    #[serde(rename = "bundleId")]
    bundle_id: Option<String>,
    #[serde(rename = "appAppleId")]
    app_apple_id: Option<u64>,
    environment: Option<String>,
    /// `externalPurchaseToken` only: `SANDBOX…` in the sandbox.
    #[serde(rename = "externalPurchaseId")]
    external_purchase_id: Option<String>,
}

/// The decoded notification payload (`ResponseBodyV2DecodedPayload`), the parts checked.
#[derive(Deserialize)]
struct Payload {
    #[serde(rename = "signedDate")]
    signed_date: Option<i64>,
    data: Option<AppInfo>,
    summary: Option<AppInfo>,
    #[serde(rename = "externalPurchaseToken")]
    external_purchase_token: Option<AppInfo>,
    #[serde(rename = "appData")]
    app_data: Option<AppInfo>,
}

impl Payload {
    /// Bundle ID, Apple ID and environment, from the part the notification carries (in the
    /// order Apple's library reads them).
    fn app(&self) -> (Option<&str>, Option<u64>, Option<String>) {
        if let Some(t) = &self.external_purchase_token {
            if self.data.is_none() && self.summary.is_none() {
                let sandbox = t
                    .external_purchase_id
                    .as_deref()
                    .is_some_and(|id| id.starts_with("SANDBOX"));
                let env = if sandbox { "Sandbox" } else { "Production" };
                return (t.bundle_id.as_deref(), t.app_apple_id, Some(env.into()));
            }
        }
        match self
            .data
            .as_ref()
            .or(self.summary.as_ref())
            .or(self.app_data.as_ref())
        {
            Some(a) => (
                a.bundle_id.as_deref(),
                a.app_apple_id,
                a.environment.clone(),
            ),
            None => (None, None, None),
        }
    }
}

/// Apple's certificates mark their purpose with Apple OIDs (checked separately) and carry no
/// extended key usage for it, so any EKU is accepted (as Apple's library does).
struct AnyUsage;

impl webpki::ExtendedKeyUsageValidator for AnyUsage {
    fn validate(&self, usages: webpki::KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        for usage in usages {
            usage?;
        }
        Ok(())
    }
}

fn has_extension(der: &[u8], oid: &str) -> bool {
    X509Certificate::from_der(der).is_ok_and(|(_, cert)| {
        cert.extensions()
            .iter()
            .any(|e| e.oid.to_id_string() == oid)
    })
}

impl AppStore {
    /// The leaf's public key (uncompressed P-256 point) once the chain checks out at `at`.
    fn verified_leaf_key(&self, x5c: &[String], at: Duration) -> Result<Vec<u8>, Rejection> {
        let [leaf, intermediate, _root] = x5c else {
            return Err(Rejection::MalformedSignature);
        };
        let decode = |c: &String| common::decode_base64(c).ok_or(Rejection::MalformedSignature);
        let (leaf, intermediate) = (decode(leaf)?, decode(intermediate)?);
        let leaf_der = CertificateDer::from(leaf.as_slice());
        let end_entity = webpki::EndEntityCert::try_from(&leaf_der)
            .map_err(|_| Rejection::MalformedSignature)?;
        let intermediates = [CertificateDer::from(intermediate.as_slice())];
        end_entity
            .verify_for_usage(
                CHAIN_ALGORITHMS,
                &self.roots,
                &intermediates,
                UnixTime::since_unix_epoch(at),
                AnyUsage,
                None,
                None,
            )
            .map_err(|_| Rejection::BadSignature)?;
        if !has_extension(&leaf, LEAF_OID) || !has_extension(&intermediate, INTERMEDIATE_OID) {
            return Err(Rejection::BadSignature);
        }
        let (_, cert) =
            X509Certificate::from_der(&leaf).map_err(|_| Rejection::MalformedSignature)?;
        Ok(cert.public_key().subject_public_key.data.to_vec())
    }

    fn check_app(&self, payload: &Payload) -> Result<(), Rejection> {
        let (bundle_id, app_apple_id, environment) = payload.app();
        let apple_id_ok = self.environment != Environment::Production
            || app_apple_id.is_some() && app_apple_id == self.app_apple_id;
        if bundle_id != Some(self.bundle_id.as_str())
            || !apple_id_ok
            || environment.as_deref() != Some(self.environment.as_str())
        {
            return Err(Rejection::BadSignature);
        }
        Ok(())
    }
}

/// The payload, signature not checked: only to learn the instant the chain is checked at.
fn unverified_payload(token: &str) -> Result<Payload, Rejection> {
    let mut validation = Validation::new(Algorithm::ES256);
    validation.insecure_disable_signature_validation();
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Payload>(token, &DecodingKey::from_secret(&[]), &validation)
        .map(|d| d.claims)
        .map_err(|_| Rejection::MalformedSignature)
}

impl Scheme for AppStore {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), Rejection> {
        let body: Body =
            serde_json::from_slice(req.body).map_err(|_| Rejection::MalformedSignature)?;
        let token = body.signed_payload.ok_or(Rejection::MissingSignature)?;
        let header = jwt::header(&token)?;
        if header.alg != Algorithm::ES256 {
            return Err(Rejection::MalformedSignature);
        }
        let x5c = header.x5c.ok_or(Rejection::MalformedSignature)?;
        let signed_date = unverified_payload(&token)?.signed_date;
        if let Some(window) = self.window {
            window.check_millis(signed_date.ok_or(Rejection::MalformedSignature)?, req.now)?;
        }
        // Apple's library checks the chain at signedDate when offline, else now.
        let at = signed_date
            .map(|ms| Duration::from_millis(ms.max(0) as u64))
            .unwrap_or(req.now);
        let key = self.verified_leaf_key(&x5c, at)?;
        let payload: Payload = jwt::verified_claims(
            &token,
            &DecodingKey::from_ec_der(&key),
            Algorithm::ES256,
            &jwt::Required::default(),
        )?;
        self.check_app(&payload)
    }

    fn reads_public_url(&self) -> bool {
        false
    }

    fn sign(&self, _req: &WebhookRequest<'_>) -> Result<Vec<(String, String)>, SignError> {
        Err(SignError(
            "App Store notifications are signed by Apple; hookgate cannot sign one".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::testkit::{headers, secs};
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine;
    use sha2::Digest;

    // apple/app-store-server-library-python @8b5ccdc7 tests/resources: certs/testCA.der (Apple's
    // test root), mock_signed_data/testNotification (a TEST notification for bundle
    // com.example, appAppleId 1234, Sandbox, signedDate 2023-04-12, its x5c chain issued by
    // testCA) and mock_signed_data/wrongBundleId (bundle com.example.wrong). Apple's
    // tests/test_payload_verification.py verifies the first in Sandbox for com.example and
    // refuses it in Production and for appAppleId 1235; the second is refused for its bundle.
    const TEST_CA: &[u8] = include_bytes!("testdata/apple_test_ca.der");
    const TEST_NOTIFICATION: &str = include_str!("testdata/apple_test_notification.jws");
    const WRONG_BUNDLE: &str = include_str!("testdata/apple_wrong_bundle_id.jws");
    const SIGNED_AT: u64 = 1_681_314_324; // the notification's signedDate, in seconds

    /// `der` in a file of its own (tests run in parallel).
    fn ca_file(der: &[u8]) -> String {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("hookgate-apple-ca-{}-{n}.der", std::process::id()));
        std::fs::write(&path, der).unwrap();
        path.display().to_string()
    }

    fn scheme_with(
        root: Option<&[u8]>,
        bundle: &str,
        environment: &str,
        apple_id: Option<u64>,
        tolerance: Duration,
    ) -> Box<dyn Scheme> {
        let options = ProviderOptions {
            bundle_id: Some(bundle.into()),
            environment: Some(environment.into()),
            app_apple_id: apple_id,
            key_ca: root.map(ca_file),
            ..Default::default()
        };
        let built = build_with_options(
            &SchemeSettings {
                secrets: &[],
                tolerance,
                signature: None,
            },
            &options,
            &KeyFetchContext::default(),
        );
        // The root is read at build time.
        if let Some(path) = &options.key_ca {
            let _ = std::fs::remove_file(path);
        }
        built.unwrap()
    }

    fn test_scheme(bundle: &str) -> Box<dyn Scheme> {
        scheme_with(Some(TEST_CA), bundle, "Sandbox", None, Duration::ZERO)
    }

    fn body(jws: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({ "signedPayload": jws.trim() })).unwrap()
    }

    fn check(s: &dyn Scheme, body: &[u8], now: u64) -> Result<(), Rejection> {
        let map = headers(&[]);
        let req = WebhookRequest {
            method: "POST",
            public_url: "",
            headers: &map,
            body,
            now: secs(now),
        };
        assert!(s.prepare(&req).is_none(), "nothing is fetched");
        s.verify(&req)
    }

    /// `jws` with its payload replaced by `edit(payload)`, header and signature kept.
    fn with_payload(jws: &str, edit: impl Fn(&mut serde_json::Value)) -> String {
        let parts: Vec<&str> = jws.trim().split('.').collect();
        let mut payload: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        edit(&mut payload);
        let encoded = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap());
        format!("{}.{encoded}.{}", parts[0], parts[2])
    }

    #[test]
    fn the_bundled_root_is_apples_published_g3() {
        // Fingerprint from www.apple.com/certificateauthority ("Apple Root CA - G3 Root").
        assert_eq!(
            hex::encode_upper(sha2::Sha256::digest(APPLE_ROOT_CA_G3)),
            "63343ABFB89A6A03EBB57E9B3F5FA7BE7C4F5C756F3017B3A8C488C3653E9179"
        );
    }

    #[test]
    fn apples_test_notification_verifies_with_the_test_root() {
        let s = test_scheme("com.example");
        // Whenever it arrives: no window by default, the chain is checked at signedDate.
        assert_eq!(check(&*s, &body(TEST_NOTIFICATION), SIGNED_AT), Ok(()));
        assert_eq!(
            check(&*s, &body(TEST_NOTIFICATION), SIGNED_AT + 5 * 365 * 86400),
            Ok(())
        );
        // Production for appAppleId 1234 needs the payload to say Production: it says Sandbox.
        let production = scheme_with(
            Some(TEST_CA),
            "com.example",
            "Production",
            Some(1234),
            Duration::ZERO,
        );
        assert_eq!(
            check(&*production, &body(TEST_NOTIFICATION), SIGNED_AT),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn a_tampered_payload_is_refused() {
        let s = test_scheme("com.example");
        let tampered = with_payload(TEST_NOTIFICATION, |p| {
            p["notificationType"] = "REFUND".into()
        });
        assert_eq!(
            check(&*s, &body(&tampered), SIGNED_AT),
            Err(Rejection::BadSignature)
        );
        // The notification's own bundle rewritten to match another app: still the signature.
        let other = test_scheme("com.other");
        let rebundled = with_payload(TEST_NOTIFICATION, |p| {
            p["data"]["bundleId"] = "com.other".into()
        });
        assert_eq!(
            check(&*other, &body(&rebundled), SIGNED_AT),
            Err(Rejection::BadSignature)
        );
        // One byte of the body outside the JWS changes nothing that is signed, but the body
        // must still be the JSON object Apple sends.
        assert_eq!(
            check(&*s, b"{\"signedPayload\": 1}", SIGNED_AT),
            Err(Rejection::MalformedSignature)
        );
        assert_eq!(
            check(&*s, b"{}", SIGNED_AT),
            Err(Rejection::MissingSignature)
        );
    }

    #[test]
    fn wrong_bundle_is_refused() {
        // Apple's test_wrong_bundle_id_for_server_notification.
        assert_eq!(
            check(
                &*test_scheme("com.examplex"),
                &body(WRONG_BUNDLE),
                SIGNED_AT
            ),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            check(
                &*test_scheme("com.other"),
                &body(TEST_NOTIFICATION),
                SIGNED_AT
            ),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn a_chain_to_another_root_is_refused() {
        // The bundled Apple root: Apple's test chain does not reach it.
        let apple = scheme_with(None, "com.example", "Sandbox", None, Duration::ZERO);
        assert_eq!(
            check(&*apple, &body(TEST_NOTIFICATION), SIGNED_AT),
            Err(Rejection::BadSignature)
        );
        // A chain made here, checked against Apple's test root.
        let (_, jws) = Chain::new(true, true, None).sign(&notification("com.example", NOW_MS));
        assert_eq!(
            check(
                &*test_scheme("com.example"),
                &body(&jws),
                NOW_MS as u64 / 1000
            ),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn chain_shape() {
        let s = test_scheme("com.example");
        let parts: Vec<&str> = TEST_NOTIFICATION.trim().split('.').collect();
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        let reheader = |h: serde_json::Value| {
            format!(
                "{}.{}.{}",
                URL_SAFE_NO_PAD.encode(serde_json::to_vec(&h).unwrap()),
                parts[1],
                parts[2]
            )
        };
        // Two certificates instead of three.
        let mut short = header.clone();
        short["x5c"].as_array_mut().unwrap().pop();
        assert_eq!(
            check(&*s, &body(&reheader(short)), SIGNED_AT),
            Err(Rejection::MalformedSignature)
        );
        // No x5c (Apple's missingX5CHeaderClaim case).
        let mut none = header.clone();
        none.as_object_mut().unwrap().remove("x5c");
        assert_eq!(
            check(&*s, &body(&reheader(none)), SIGNED_AT),
            Err(Rejection::MalformedSignature)
        );
        // The leaf where the intermediate belongs: no chain.
        let mut swapped = header.clone();
        let leaf = swapped["x5c"][0].clone();
        swapped["x5c"][1] = leaf;
        assert_eq!(
            check(&*s, &body(&reheader(swapped)), SIGNED_AT),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn a_route_tolerance_turns_on_a_window_on_signed_date() {
        let s = scheme_with(
            Some(TEST_CA),
            "com.example",
            "Sandbox",
            None,
            Duration::from_secs(300),
        );
        let b = body(TEST_NOTIFICATION);
        assert_eq!(check(&*s, &b, SIGNED_AT + 300), Ok(()));
        assert_eq!(
            check(&*s, &b, SIGNED_AT + 301),
            Err(Rejection::StaleTimestamp)
        );
        assert_eq!(
            check(&*s, &b, SIGNED_AT - 301),
            Err(Rejection::StaleTimestamp)
        );
    }

    const NOW_MS: i64 = 1_800_000_000_000;
    /// 2026-01-01 and 2028-01-01 (Unix seconds): the validity of [`Chain`]'s leaf when bounded.
    const LEAF_FROM: i64 = 1_767_225_600;
    const LEAF_UNTIL: i64 = 1_830_297_600;

    fn notification(bundle: &str, signed_date_ms: i64) -> serde_json::Value {
        serde_json::json!({
            "notificationType": "TEST", "notificationUUID": "9ad56bd2-0000-42e0-af24-fd996d87a1e6",
            "signedDate": signed_date_ms,
            "data": { "bundleId": bundle, "appAppleId": 1234, "environment": "Sandbox" },
        })
    }

    /// A root → intermediate → leaf chain made with rcgen, shaped like Apple's (marker OIDs as
    /// DER NULL extensions), to reach cases Apple ships no data for.
    struct Chain {
        root: rcgen::Certificate,
        intermediate: rcgen::Certificate,
        leaf: rcgen::Certificate,
        leaf_key: rcgen::KeyPair,
    }

    impl Chain {
        fn new(leaf_oid: bool, intermediate_oid: bool, leaf_validity: Option<(i64, i64)>) -> Chain {
            let marker =
                |oid: &[u64]| rcgen::CustomExtension::from_oid_content(oid, vec![0x05, 0x00]);
            let root_key = rcgen::KeyPair::generate().unwrap();
            let mut root = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
            root.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            let root = root.self_signed(&root_key).unwrap();
            let int_key = rcgen::KeyPair::generate().unwrap();
            let mut int = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
            int.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
            if intermediate_oid {
                int.custom_extensions
                    .push(marker(&[1, 2, 840, 113635, 100, 6, 2, 1]));
            }
            let intermediate = int.signed_by(&int_key, &root, &root_key).unwrap();
            let leaf_key = rcgen::KeyPair::generate().unwrap();
            let mut leaf = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
            if leaf_oid {
                leaf.custom_extensions
                    .push(marker(&[1, 2, 840, 113635, 100, 6, 11, 1]));
            }
            if let Some((from, until)) = leaf_validity {
                leaf.not_before = time::OffsetDateTime::from_unix_timestamp(from).unwrap();
                leaf.not_after = time::OffsetDateTime::from_unix_timestamp(until).unwrap();
            }
            let leaf = leaf.signed_by(&leaf_key, &intermediate, &int_key).unwrap();
            Chain {
                root,
                intermediate,
                leaf,
                leaf_key,
            }
        }

        /// The root's DER and a JWS of `claims` with the chain in `x5c`, signed by the leaf.
        fn sign(&self, claims: &serde_json::Value) -> (Vec<u8>, String) {
            let mut header = jsonwebtoken::Header::new(Algorithm::ES256);
            header.x5c = Some(
                [self.leaf.der(), self.intermediate.der(), self.root.der()]
                    .iter()
                    .map(|d| STANDARD.encode(d.as_ref()))
                    .collect(),
            );
            let key = jsonwebtoken::EncodingKey::from_ec_der(&self.leaf_key.serialize_der());
            let jws = jsonwebtoken::encode(&header, claims, &key).unwrap();
            (self.root.der().to_vec(), jws)
        }
    }

    #[test]
    fn marker_oids_are_required_on_leaf_and_intermediate() {
        for (leaf_oid, int_oid, want) in [
            (true, true, Ok(())),
            (false, true, Err(Rejection::BadSignature)),
            (true, false, Err(Rejection::BadSignature)),
        ] {
            let (root, jws) =
                Chain::new(leaf_oid, int_oid, None).sign(&notification("com.example", NOW_MS));
            let s = scheme_with(Some(&root), "com.example", "Sandbox", None, Duration::ZERO);
            assert_eq!(
                check(&*s, &body(&jws), NOW_MS as u64 / 1000),
                want,
                "leaf OID {leaf_oid}, intermediate OID {int_oid}"
            );
        }
    }

    #[test]
    fn the_chain_is_checked_at_signed_date() {
        let chain = Chain::new(true, true, Some((LEAF_FROM, LEAF_UNTIL)));
        let inside = (LEAF_FROM + 86400) * 1000;
        let (root, jws) = chain.sign(&notification("com.example", inside));
        let s = scheme_with(Some(&root), "com.example", "Sandbox", None, Duration::ZERO);
        // Received long after the leaf expired: valid, because it was signed while valid.
        assert_eq!(check(&*s, &body(&jws), LEAF_UNTIL as u64 + 86400), Ok(()));
        for outside in [(LEAF_FROM - 86400) * 1000, (LEAF_UNTIL + 86400) * 1000] {
            let (_, jws) = chain.sign(&notification("com.example", outside));
            assert_eq!(
                check(&*s, &body(&jws), (LEAF_FROM + 86400) as u64),
                Err(Rejection::BadSignature),
                "signedDate {outside}"
            );
        }
    }

    #[test]
    fn production_needs_the_apple_id_and_the_environment() {
        let chain = Chain::new(true, true, None);
        let mut claims = notification("com.example", NOW_MS);
        claims["data"]["environment"] = "Production".into();
        let (root, jws) = chain.sign(&claims);
        let production = |apple_id| {
            scheme_with(
                Some(&root),
                "com.example",
                "Production",
                Some(apple_id),
                Duration::ZERO,
            )
        };
        let now = NOW_MS as u64 / 1000;
        assert_eq!(check(&*production(1234), &body(&jws), now), Ok(()));
        // Apple's test_wrong_app_apple_id_for_server_notification.
        assert_eq!(
            check(&*production(1235), &body(&jws), now),
            Err(Rejection::BadSignature)
        );
        // A Production route refuses a Sandbox notification and the other way round.
        let (_, sandbox) = chain.sign(&notification("com.example", NOW_MS));
        assert_eq!(
            check(&*production(1234), &body(&sandbox), now),
            Err(Rejection::BadSignature)
        );
        let sandbox_route =
            scheme_with(Some(&root), "com.example", "Sandbox", None, Duration::ZERO);
        assert_eq!(
            check(&*sandbox_route, &body(&jws), now),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn configuration_errors_name_the_key() {
        let settings = SchemeSettings {
            secrets: &[],
            tolerance: Duration::ZERO,
            signature: None,
        };
        let ctx = KeyFetchContext::default();
        let err = |o: ProviderOptions| build_with_options(&settings, &o, &ctx).err().unwrap().key;
        assert_eq!(
            err(ProviderOptions::default()),
            "provider_options.bundle_id"
        );
        let bundle = || ProviderOptions {
            bundle_id: Some("com.example".into()),
            ..Default::default()
        };
        assert_eq!(err(bundle()), "provider_options.app_apple_id");
        assert_eq!(
            err(ProviderOptions {
                environment: Some("sandbox".into()),
                ..bundle()
            }),
            "provider_options.environment"
        );
        assert_eq!(
            err(ProviderOptions {
                key_hosts: Some(vec!["x".into()]),
                ..bundle()
            }),
            "provider_options.key_hosts"
        );
        assert_eq!(
            err(ProviderOptions {
                environment: Some("Sandbox".into()),
                key_ca: Some("/nonexistent/apple.pem".into()),
                ..bundle()
            }),
            "provider_options.key_ca"
        );
        let secrets = [crate::config::secret::Secret::literal("s")];
        let with_secret = SchemeSettings {
            secrets: &secrets,
            ..settings
        };
        assert_eq!(
            build_with_options(
                &with_secret,
                &ProviderOptions {
                    environment: Some("Sandbox".into()),
                    ..bundle()
                },
                &ctx
            )
            .err()
            .unwrap()
            .key,
            "secrets"
        );
        // Production with the Apple ID and the bundled root builds.
        assert!(build_with_options(
            &settings,
            &ProviderOptions {
                app_apple_id: Some(1234),
                ..bundle()
            },
            &ctx
        )
        .is_ok());
    }
}
