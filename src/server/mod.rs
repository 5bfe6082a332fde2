//! The pingora glue: the webhook listener, the admin listener, signals. Everything a request
//! goes through is in [`crate::pipeline`] and [`crate::providers`]; this module only drives it.

pub mod admin;
pub mod body;
pub mod forward;
pub mod listener;
pub mod reply;
pub mod request;
pub mod signals;
pub mod state;
pub mod upstream_request;

use std::sync::Arc;

use pingora::listeners::tls::TlsSettings;
use pingora::server::configuration::ServerConf;
use pingora::server::{RunArgs, Server};
use pingora::services::background::background_service;
use pingora::services::listening::Service;

use crate::config::GatewayConfig;
use state::GatewayState;

/// Serves until a signal stops it.
pub fn run(config: GatewayConfig) -> Result<(), String> {
    let server_settings = config.server.clone();
    let state = GatewayState::new(config);

    let conf = ServerConf {
        threads: server_settings.threads,
        // Measured ~20% less CPU per request than work stealing for this short request/response
        // work (shared/notes/pingora-0.9.md §5).
        work_stealing: false,
        grace_period_seconds: Some(server_settings.grace_period.as_secs().max(1)),
        graceful_shutdown_timeout_seconds: Some(1),
        pid_file: std::env::temp_dir()
            .join(format!("hookgate-{}.pid", std::process::id()))
            .display()
            .to_string(),
        upgrade_sock: std::env::temp_dir()
            .join(format!("hookgate-{}.sock", std::process::id()))
            .display()
            .to_string(),
        ..ServerConf::default()
    };
    let mut server = Server::new_with_opt_and_conf(None, conf);
    server.bootstrap();

    let mut webhooks = Service::new(
        "webhooks".to_string(),
        listener::WebhookListener::new(state.clone()),
    );
    match &server_settings.tls {
        None => webhooks.add_tcp(&server_settings.listen),
        Some(tls) => {
            let mut settings = TlsSettings::intermediate(&tls.cert, &tls.key)
                .map_err(|e| format!("TLS: cannot load {} / {}: {e}", tls.cert, tls.key))?;
            settings.enable_h2();
            webhooks.add_tls_with_settings(&server_settings.listen, None, settings);
        }
    }
    server.add_service(webhooks);

    if let Some(admin_addr) = &server_settings.admin_listen {
        let mut admin = Service::new(
            "admin".to_string(),
            admin::AdminApp {
                state: state.clone(),
            },
        );
        admin.threads = Some(1);
        admin.add_tcp(admin_addr);
        server.add_service(admin);
    }
    server.add_service(background_service(
        "config reload",
        signals::ReloadOnHup {
            state: state.clone(),
        },
    ));

    tracing::info!(
        listen = %server_settings.listen,
        admin = server_settings.admin_listen.as_deref().unwrap_or("-"),
        tls = server_settings.tls.is_some(),
        "hookgate starting"
    );
    server.run(RunArgs {
        shutdown_signal: Box::new(signals::DrainOnTerm {
            state: Arc::clone(&state),
            grace_period: server_settings.grace_period,
        }),
    });
    Ok(())
}
