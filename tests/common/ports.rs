//! Ports for test servers.

use std::net::TcpListener;

/// A port nothing listens on now, never handed out before by this copy of the module: the kernel
/// may give the same ephemeral port to two binds in a row once the first is closed, and a gateway
/// whose `listen` and `admin_listen` collide does not start.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}
