//! Where the certificate-fetching presets (`aws-sns`, `paypal`) get a signing certificate they
//! can trust: the leaf from the provider's URL ([`KeyFetcher`] on the preset's key hosts) and,
//! when it is served alone, its issuer from the leaf's AIA `caIssuers` URL (RFC 5280 §4.2.2.1)
//! on the CA's own hosts (a second allowlist, `http` admitted, as CAs publish them), so that the
//! leaf chains to a root ([`CertPolicy`]). This is what .NET's `X509Chain.Build` does for
//! PayPal-NET-SDK `CertificateManager.ValidateCertificateChain` (it downloads missing issuers
//! from AIA), and what lets a leaf such as AWS's (`Amazon RSA 2048 M0x` intermediates, not in the
//! Mozilla set) reach Amazon Root CA 1.
//!
//! Both fetches are bounded, cached and single-flight like any key fetch, counted under the
//! preset's `provider` label; an issuer URL outside the CA allowlist is refused (401) without a
//! request.

use std::sync::Arc;
use std::time::Duration;

use super::allowlist::HostAllowlist;
use super::certs::{CertPolicy, IssuerCerts, SigningCert};
use super::fetcher::{FetchError, FetchRequest, FetchSettings, KeyFetcher, Lookup};
use super::{FetchCounters, ProviderOptions};
use crate::providers::{Prepare, Rejection, SettingsError};

/// How long a fetched issuer is fresh: CA certificates live for years and the AIA URL of a leaf
/// names one certificate, so a day (the cap on any key) is the bound.
const ISSUER_FRESH: Duration = Duration::from_secs(24 * 3600);

/// The leaf and issuer fetchers of one route, and the policy its certificates must meet.
/// Cheap to clone.
#[derive(Clone)]
pub struct CertSource {
    certs: KeyFetcher<SigningCert>,
    issuers: KeyFetcher<IssuerCerts>,
    policy: Arc<CertPolicy>,
}

impl CertSource {
    /// For `provider`: leaves from its `hosts` (or `key_hosts`), issuers from its `ca_hosts` (or
    /// `issuer_hosts`), checked by `policy(key_ca)`. Errors name the option at fault.
    pub fn new(
        provider: &'static str,
        options: &ProviderOptions,
        hosts: &[&str],
        ca_hosts: &[&str],
        policy: impl FnOnce(Option<&[u8]>) -> Result<CertPolicy, String>,
        counters: &FetchCounters,
    ) -> Result<CertSource, SettingsError> {
        let fetch = options.fetch_settings(provider, hosts)?;
        let ca_error = |m| SettingsError::new("provider_options.key_ca", m);
        let policy = policy(fetch.ca_pem.as_deref()).map_err(ca_error)?;
        let issuer_hosts = match &options.issuer_hosts {
            Some(list) => HostAllowlist::new(list),
            None => HostAllowlist::new(ca_hosts),
        }
        .map_err(|m| SettingsError::new("provider_options.issuer_hosts", m))?;
        let issuer_fetch = FetchSettings {
            allowlist: issuer_hosts.with_http(),
            fresh_for: ISSUER_FRESH,
            ..fetch.clone()
        };
        Ok(CertSource {
            certs: KeyFetcher::new(fetch, SigningCert::parse, counters.clone())
                .map_err(ca_error)?,
            issuers: KeyFetcher::new(issuer_fetch, IssuerCerts::parse, counters.clone())
                .map_err(ca_error)?,
            policy: Arc::new(policy),
        })
    }

    /// Whether `url` may be fetched as a leaf.
    pub fn allowed(&self, url: &str) -> bool {
        self.certs.allowed(url)
    }

    /// The leaf fetcher (its counters and `confirm`, for SNS subscription confirmations).
    pub fn leaf_fetcher(&self) -> &KeyFetcher<SigningCert> {
        &self.certs
    }

    /// [`crate::providers::Scheme::prepare`] for the certificate at `url`: `None` when the leaf
    /// (and the issuer it wants) are cached or their failure is; else a future fetching what is
    /// missing, the leaf first. A URL outside the allowlist is left to `verified` (no request).
    pub fn prepare(&self, url: &str) -> Option<Prepare<'static>> {
        if !self.certs.allowed(url) {
            return None;
        }
        match self.certs.lookup(url) {
            Lookup::Failed(_) => None,
            Lookup::Fresh { value, .. } => self.prepare_issuer(&value),
            Lookup::Stale { value } => {
                self.certs
                    .refresh_in_background(url, FetchRequest::Get(url.to_string()));
                self.prepare_issuer(&value)
            }
            Lookup::Missing => {
                let leaf = self
                    .certs
                    .fetch(url.to_string(), FetchRequest::Get(url.to_string()));
                let source = self.clone();
                Some(Box::pin(async move {
                    let cert = leaf.await.map_err(FetchError::rejection)?;
                    match source.prepare_issuer(&cert) {
                        Some(issuer) => issuer.await,
                        None => Ok(()),
                    }
                }))
            }
        }
    }

    /// The certificate at `url` once `prepare` ran, checked against the policy with its fetched
    /// issuer: signed at `at`, checked `now`, `host` one more acceptable name.
    pub fn verified(
        &self,
        url: &str,
        at: Duration,
        now: Duration,
        host: &str,
    ) -> Result<Arc<SigningCert>, Rejection> {
        if !self.certs.allowed(url) {
            return Err(self.certs.refused());
        }
        let cert = self.certs.get(url)?;
        let issuers = match self.policy.wanted_issuer(&cert) {
            None => None,
            Some(aia) if self.issuers.allowed(aia) => Some(self.issuers.get(aia)?),
            Some(_) => return Err(self.issuers.refused()),
        };
        let fetched = issuers.as_deref().map_or(&[][..], |i| i.0.as_slice());
        self.policy.check(&cert, fetched, at, now, host)?;
        Ok(cert)
    }

    /// The issuer fetch `cert` wants and is not cached, if any (none when its AIA URL is outside
    /// the CA allowlist: `verified` refuses it without a request).
    fn prepare_issuer(&self, cert: &SigningCert) -> Option<Prepare<'static>> {
        let url = self.policy.wanted_issuer(cert)?;
        if !self.issuers.allowed(url) {
            return None;
        }
        self.issuers
            .prepare(url, || FetchRequest::Get(url.to_string()))
    }

    /// Replaces the policy (unit tests of published vectors).
    #[cfg(test)]
    pub fn set_policy(&mut self, policy: CertPolicy) {
        self.policy = Arc::new(policy);
    }

    /// The policy (unit tests of published vectors).
    #[cfg(test)]
    pub fn policy(&self) -> &CertPolicy {
        &self.policy
    }
}
