//! The local HTTPS key server of `tests/common/key_server.rs`, for the unit tests, plus the
//! route options that point a scheme at it.

#[path = "../../../tests/common/key_server.rs"]
mod shared;

pub use shared::{Answer, KeyServer, Received};

use super::ProviderOptions;

impl KeyServer {
    /// `provider_options` that admit this server and trust its CA (written to a temp file).
    pub fn options(&self) -> ProviderOptions {
        let path = std::env::temp_dir().join(format!(
            "hookgate-keyserver-ca-{}-{}.pem",
            std::process::id(),
            self.port
        ));
        std::fs::write(&path, &self.ca_pem).unwrap();
        ProviderOptions {
            key_hosts: Some(vec![self.host()]),
            key_ca: Some(path.display().to_string()),
            key_timeout: Some("2s".into()),
            ..Default::default()
        }
    }
}
