//! The local HTTPS key server of `tests/common/key_server.rs`, for the unit tests, plus the
//! route options that point a scheme at it.

#[path = "../../../../tests/common/key_server.rs"]
mod shared;

pub use shared::{Answer, KeyServer, Received};

use super::ProviderOptions;

impl KeyServer {
    /// `provider_options` that admit this server and trust its CA (its temp file lives as long as
    /// the server).
    pub fn options(&self) -> ProviderOptions {
        let path = self.ca_file();
        ProviderOptions {
            key_hosts: Some(vec![self.host()]),
            key_ca: Some(path.display().to_string()),
            key_timeout: Some("2s".into()),
            ..Default::default()
        }
    }
}
