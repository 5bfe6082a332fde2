//! Scratch directories for queue stores: under Cargo's per-target scratch space (a real disk,
//! where fsync costs, not a tmpfs), named per test and process, removed when dropped.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A fresh directory (not created: the store creates it), removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// `<CARGO_TARGET_TMPDIR>/<name>-<pid>-<nanos>`, emptied if it exists.
    pub fn new(name: &str) -> Scratch {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "{name}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        Scratch(dir)
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // The store's background threads may still be finishing a file as it closes: retry.
        for _ in 0..50 {
            let _ = std::fs::remove_dir_all(&self.0);
            if !self.0.exists() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
