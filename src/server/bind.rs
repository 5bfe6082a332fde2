//! Binding the listening sockets before pingora starts, so that an address already in use ends
//! start-up with an error naming it. pingora 0.9.1 binds inside its services, retries an
//! `EADDRINUSE` for 30 s and then only logs the failure while the process keeps running (and the
//! admin listener keeps answering `/readyz` 200). A service given a socket through pingora's
//! listening-fd table ([`ListenFds`], the table it uses for zero-downtime upgrades) takes that
//! socket instead of binding: [`PreBound`] puts ours there.

use std::net::TcpListener;
use std::os::fd::IntoRawFd;

use async_trait::async_trait;
use pingora::server::{ListenFds, ShutdownWatch};
use pingora::services::{ServiceReadyNotifier, ServiceWithDependents};

/// A listening address that could not be bound.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {addr} (`server.{key}`): {cause}")]
pub struct BindError {
    /// The config key the address comes from: `listen` or `admin_listen`.
    pub key: &'static str,
    pub addr: String,
    #[source]
    pub cause: std::io::Error,
}

/// A bound, listening TCP socket and the address text it was configured as (pingora's key for it).
pub struct Bound {
    addr: String,
    listener: TcpListener,
}

/// Binds `addr` (`ip:port`) for `key` now. Like pingora's own bind, `SO_REUSEADDR` is set (std
/// does so on Unix), so a restart does not wait out `TIME_WAIT`; the socket is non-blocking, as
/// tokio needs. pingora raises the backlog when it adopts the socket.
pub fn bind(key: &'static str, addr: &str) -> Result<Bound, BindError> {
    let error = |cause| BindError {
        key,
        addr: addr.to_string(),
        cause,
    };
    let listener = TcpListener::bind(addr).map_err(error)?;
    listener.set_nonblocking(true).map_err(error)?;
    Ok(Bound {
        addr: addr.to_string(),
        listener,
    })
}

/// A pingora service whose listening sockets were bound by [`bind`]. On start it registers them
/// in pingora's listening-fd table under their address, where the service's listener builder
/// looks first, then starts the inner service.
pub struct PreBound<S> {
    inner: S,
    bound: Vec<Bound>,
}

impl<S> PreBound<S> {
    /// `bound` must hold exactly the addresses `inner` was told to listen on.
    pub fn new(inner: S, bound: Vec<Bound>) -> Self {
        PreBound { inner, bound }
    }
}

#[async_trait]
impl<S: ServiceWithDependents> ServiceWithDependents for PreBound<S> {
    async fn start_service(
        &mut self,
        fds: Option<ListenFds>,
        shutdown: ShutdownWatch,
        listeners_per_fd: usize,
        ready_notifier: ServiceReadyNotifier,
    ) {
        match &fds {
            Some(table) => {
                let mut table = table.lock();
                for bound in self.bound.drain(..) {
                    // The table's owner (the listener builder) takes ownership of the fd.
                    table.add(bound.addr, bound.listener.into_raw_fd());
                }
            }
            // pingora 0.9.1 always passes the table on Unix; without one the service binds the
            // address itself, so ours is closed first.
            None => self.bound.clear(),
        }
        self.inner
            .start_service(fds, shutdown, listeners_per_fd, ready_notifier)
            .await
    }

    fn name(&self) -> &str {
        self.inner.name()
    }

    fn threads(&self) -> Option<usize> {
        self.inner.threads()
    }

    fn listen_addresses(&self) -> Option<Vec<String>> {
        self.inner.listen_addresses()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_in_use_is_an_error_naming_it_and_the_key() {
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap().to_string();
        let error = bind("listen", &addr).err().expect("the address is taken");
        assert_eq!(error.cause.kind(), std::io::ErrorKind::AddrInUse);
        let text = error.to_string();
        assert!(
            text.contains(&addr) && text.contains("server.listen"),
            "{text}"
        );
    }
}
