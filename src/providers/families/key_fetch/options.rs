//! The route's `provider_options` table: what key-fetching presets need beyond `secrets` (the
//! audience of a Pub/Sub token, PayPal's webhook ID, the SNS topics accepted, …), and the
//! override of where keys may be fetched from, for testing and private deployments.

use std::time::Duration;

use super::allowlist::HostAllowlist;
use super::counters::FetchCounters;
use super::fetcher::{FetchSettings, KeyFetcher, Parse};
use crate::providers::{Scheme, SchemeSettings, SettingsError};

/// `provider_options = { ... }` of a route. Each preset says which keys it reads; any other key
/// set is a configuration error naming it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderOptions {
    /// Replaces the preset's documented key-host allowlist (testing and private deployments):
    /// `host`, `*.domain` (one label) or `host:port`.
    pub key_hosts: Option<Vec<String>>,
    /// A PEM file of CA certificates that replaces the built-in roots for the key server's TLS
    /// (testing and private deployments); for `apple-app-store`, the root the `x5c` chain must
    /// reach instead of the bundled Apple Root CA - G3.
    pub key_ca: Option<String>,
    /// `aws-sns`, `paypal`: replaces the CA hosts a served-alone leaf's issuer (its AIA
    /// `caIssuers` URL, `http` or `https`) may be fetched from (testing and private deployments).
    pub issuer_hosts: Option<Vec<String>>,
    /// The key endpoint, for presets with a fixed one (Pub/Sub's JWKs, Plaid's key endpoint).
    pub key_url: Option<String>,
    /// Total bound on one key fetch (default 5s).
    pub key_timeout: Option<String>,
    /// `aws-sns`: the `TopicArn`s accepted (`["*"]`: any topic).
    pub topic_arns: Option<Vec<String>>,
    /// `gcp-pubsub`: the token's expected `aud`.
    pub audience: Option<String>,
    /// `gcp-pubsub`: the push subscription's service account (`email` claim).
    pub email: Option<String>,
    /// `paypal`: the webhook's ID (part of the signed string).
    pub webhook_id: Option<String>,
    /// `plaid`: the client ID sent with the route's secret to Plaid's key endpoint.
    pub client_id: Option<String>,
    /// `plaid`: `production` | `sandbox`; `apple-app-store`: `Production` | `Sandbox`.
    pub environment: Option<String>,
    /// `apple-app-store`: the app's bundle ID.
    pub bundle_id: Option<String>,
    /// `apple-app-store`: the app's Apple ID (checked in Production).
    pub app_apple_id: Option<u64>,
}

/// Every field of [`ProviderOptions`] with its config key, for [`ProviderOptions::only`].
const FIELDS: &[&str] = &[
    "key_hosts",
    "key_ca",
    "issuer_hosts",
    "key_url",
    "key_timeout",
    "topic_arns",
    "audience",
    "email",
    "webhook_id",
    "client_id",
    "environment",
    "bundle_id",
    "app_apple_id",
];

fn config_key(field: &str) -> &'static str {
    match field {
        "key_hosts" => "provider_options.key_hosts",
        "key_ca" => "provider_options.key_ca",
        "issuer_hosts" => "provider_options.issuer_hosts",
        "key_url" => "provider_options.key_url",
        "key_timeout" => "provider_options.key_timeout",
        "topic_arns" => "provider_options.topic_arns",
        "audience" => "provider_options.audience",
        "email" => "provider_options.email",
        "webhook_id" => "provider_options.webhook_id",
        "client_id" => "provider_options.client_id",
        "environment" => "provider_options.environment",
        "bundle_id" => "provider_options.bundle_id",
        "app_apple_id" => "provider_options.app_apple_id",
        _ => "provider_options",
    }
}

impl ProviderOptions {
    fn is_set(&self, field: &str) -> bool {
        match field {
            "key_hosts" => self.key_hosts.is_some(),
            "key_ca" => self.key_ca.is_some(),
            "issuer_hosts" => self.issuer_hosts.is_some(),
            "key_url" => self.key_url.is_some(),
            "key_timeout" => self.key_timeout.is_some(),
            "topic_arns" => self.topic_arns.is_some(),
            "audience" => self.audience.is_some(),
            "email" => self.email.is_some(),
            "webhook_id" => self.webhook_id.is_some(),
            "client_id" => self.client_id.is_some(),
            "environment" => self.environment.is_some(),
            "bundle_id" => self.bundle_id.is_some(),
            "app_apple_id" => self.app_apple_id.is_some(),
            _ => false,
        }
    }

    /// Errors naming the first field set that `provider` does not read.
    pub fn only(&self, provider: &str, reads: &[&str]) -> Result<(), SettingsError> {
        match FIELDS.iter().find(|f| self.is_set(f) && !reads.contains(f)) {
            None => Ok(()),
            Some(f) => Err(SettingsError::new(
                config_key(f),
                format!(
                    "not an option of provider {provider:?} (it reads: {})",
                    reads.join(", ")
                ),
            )),
        }
    }

    /// [`Self::only`] for a preset that fetches over HTTPS: its `own` options plus the
    /// [`FETCH_OVERRIDES`] every such preset reads.
    pub fn only_with_fetch(&self, provider: &str, own: &[&str]) -> Result<(), SettingsError> {
        let reads: Vec<&str> = own.iter().chain(FETCH_OVERRIDES).copied().collect();
        self.only(provider, &reads)
    }

    /// A fetcher for keys at `url` (the provider's, or `key_url`), which must be `https` on
    /// the allowed hosts ([`Self::fetch_settings`]); `parse` reads an answer's body.
    pub fn url_fetcher<V: Send + Sync + 'static>(
        &self,
        provider: &'static str,
        hosts: &[&str],
        url: &str,
        parse: Parse<V>,
        ctx: &KeyFetchContext,
    ) -> Result<KeyFetcher<V>, SettingsError> {
        let fetch = self.fetch_settings(provider, hosts)?;
        if fetch.allowlist.check(url).is_none() {
            return Err(SettingsError::new(
                "provider_options.key_url",
                format!("{url:?} is not https on an allowed host"),
            ));
        }
        KeyFetcher::new(fetch, parse, ctx.counters.clone())
            .map_err(|m| SettingsError::new("provider_options.key_ca", m))
    }

    /// A required text option.
    pub fn required<'o>(value: &'o Option<String>, field: &str) -> Result<&'o str, SettingsError> {
        match value.as_deref().map(str::trim) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(SettingsError::new(config_key(field), "missing")),
        }
    }

    /// The fetch settings of `provider`: its documented `hosts` unless `key_hosts` replaces
    /// them, the `key_ca` bundle, the `key_timeout`.
    pub fn fetch_settings(
        &self,
        provider: &'static str,
        hosts: &[&str],
    ) -> Result<FetchSettings, SettingsError> {
        let allowlist = match &self.key_hosts {
            Some(list) => HostAllowlist::new(list)
                .map_err(|m| SettingsError::new("provider_options.key_hosts", m))?,
            None => HostAllowlist::new(hosts)
                .map_err(|m| SettingsError::new("provider_options.key_hosts", m))?,
        };
        let mut settings = FetchSettings::new(provider, allowlist);
        if let Some(path) = &self.key_ca {
            settings.ca_pem = Some(read_ca(path)?);
        }
        if let Some(t) = &self.key_timeout {
            let timeout = crate::config::units::parse_duration(t)
                .map_err(|m| SettingsError::new("provider_options.key_timeout", m))?;
            if timeout.is_zero() {
                return Err(SettingsError::new(
                    "provider_options.key_timeout",
                    "must be greater than zero",
                ));
            }
            settings.timeout = timeout;
            settings.connect_timeout = settings.connect_timeout.min(timeout);
        }
        Ok(settings)
    }
}

/// The `provider_options` every preset that fetches over HTTPS reads besides its own: the host
/// allowlist, the CA bundle and the timeout of a fetch.
pub const FETCH_OVERRIDES: &[&str] = &["key_hosts", "key_ca", "key_timeout"];

/// The bytes of the `key_ca` file.
pub fn read_ca(path: &str) -> Result<Vec<u8>, SettingsError> {
    std::fs::read(path).map_err(|e| {
        SettingsError::new(
            "provider_options.key_ca",
            format!("cannot read {path}: {}", e.kind()),
        )
    })
}

/// What the gateway hands every key-fetching scheme: the counters it registers once (they carry
/// over reloads with the rest of the gateway's state).
#[derive(Clone, Default)]
pub struct KeyFetchContext {
    pub counters: FetchCounters,
}

/// The constructor of a preset that reads `provider_options`.
pub type BuildWithOptions = fn(
    &SchemeSettings<'_>,
    &ProviderOptions,
    &KeyFetchContext,
) -> Result<Box<dyn Scheme>, SettingsError>;

/// A `Preset::build` for an options-reading preset (`build`, its own constructor), used where no
/// route options exist (benchmarks, `hookgate sign` without a route): the options are empty, so
/// presets that require one report it missing.
pub fn build_without_options(
    build: BuildWithOptions,
    settings: &SchemeSettings<'_>,
) -> Result<Box<dyn Scheme>, SettingsError> {
    build(
        settings,
        &ProviderOptions::default(),
        &KeyFetchContext::default(),
    )
}

/// Seconds since the Unix epoch, as `Duration`, from a JWT `NumericDate`.
pub fn numeric_date(seconds: i64) -> Duration {
    Duration::from_secs(seconds.max(0) as u64)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{parse_str, Config, ConfigError};

    fn parse(text: &str) -> Result<Config, ConfigError> {
        let env = |n: &str| (n == "PLAID_SECRET").then(|| "s3cret".to_string());
        parse_str(text, Path::new("gateway.toml"), &env)
    }

    fn route(provider: &str, extra: &str) -> String {
        format!(
            "[[route]]\nname = \"r\"\npath = \"/r\"\nupstream = \"http://127.0.0.1:3000/r\"\nprovider = \"{provider}\"\n{extra}\n"
        )
    }

    fn err(text: &str) -> String {
        match parse(text) {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn key_fetching_routes_compile_with_their_options() {
        parse(&route(
            "aws-sns",
            "provider_options = { topic_arns = [\"arn:aws:sns:us-east-1:123456789012:orders\"] }",
        ))
        .unwrap();
        parse(&route(
            "gcp-pubsub",
            "provider_options = { audience = \"https://hooks.example.com/r\", email = \"push@p.iam.gserviceaccount.com\" }",
        ))
        .unwrap();
        parse(&route(
            "paypal",
            "provider_options = { webhook_id = \"WH-1\" }",
        ))
        .unwrap();
        parse(&route(
            "plaid",
            "secrets = [\"env:PLAID_SECRET\"]\nprovider_options = { client_id = \"c\", environment = \"sandbox\" }",
        ))
        .unwrap();
    }

    #[test]
    fn option_errors_name_file_route_and_key() {
        let e = err(&route("paypal", ""));
        assert!(e.contains("route \"r\""), "{e}");
        assert!(e.contains("provider_options.webhook_id"), "{e}");
        let e = err(&route(
            "paypal",
            "provider_options = { webhook_id = \"WH-1\", audience = \"x\" }",
        ));
        assert!(e.contains("provider_options.audience"), "{e}");
        let e = err(&route(
            "paypal",
            "provider_options = { webhookid = \"WH-1\" }",
        ));
        assert!(e.contains("webhookid"), "{e}");
        let e = err(&route(
            "stripe",
            "secrets = [\"whsec\"]\nprovider_options = { webhook_id = \"WH-1\" }",
        ));
        assert!(e.contains("provider_options"), "{e}");
        assert!(e.contains("takes no provider_options"), "{e}");
        let e = err(&route(
            "paypal",
            "provider_options = { webhook_id = \"WH-1\", key_ca = \"/nonexistent/ca.pem\" }",
        ));
        assert!(e.contains("provider_options.key_ca"), "{e}");
    }
}
