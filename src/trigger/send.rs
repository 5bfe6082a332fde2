//! Sends a [`Delivery`] and prints the answer: the status line, the `X-Hookgate-*` headers and
//! the body.

use std::time::Duration;

use super::{Delivery, TriggerError};

/// How long the whole exchange may take (the gateway's own default `upstream_timeout` is 30 s).
const TIMEOUT: Duration = Duration::from_secs(60);

/// Sends `delivery`, prints what came back; `Ok(0)` for a 2xx answer, `Ok(1)` for another.
pub fn send(delivery: &Delivery) -> Result<i32, TriggerError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| TriggerError::Failed(format!("cannot start a runtime: {e}")))?;
    let (status, head, body) = runtime.block_on(exchange(delivery))?;
    println!(
        "POST {} ({} {}, sample after {})",
        delivery.url, delivery.preset, delivery.event, delivery.docs
    );
    println!("{status}");
    for (name, value) in head {
        println!("{name}: {value}");
    }
    println!();
    println!("{}", String::from_utf8_lossy(&body));
    Ok(if status.is_success() { 0 } else { 1 })
}

type Answer = (reqwest::StatusCode, Vec<(String, String)>, Vec<u8>);

async fn exchange(delivery: &Delivery) -> Result<Answer, TriggerError> {
    let failed = |e: reqwest::Error| TriggerError::Failed(format!("{}: {e}", delivery.url));
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(failed)?;
    let mut request = client.post(&delivery.url).body(delivery.body.clone());
    for (name, value) in &delivery.headers {
        request = request.header(name, value);
    }
    let response = request.send().await.map_err(failed)?;
    let status = response.status();
    let head = response
        .headers()
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("x-hookgate-"))
        .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
        .collect();
    let body = response.bytes().await.map_err(failed)?.to_vec();
    Ok((status, head, body))
}
