//! Unix socket files for the tests: a fresh folder per test, and what is
//! at a path.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh folder for socket files, removed when dropped.
pub struct SockDir(pub PathBuf);

impl SockDir {
    pub fn new() -> SockDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        // Short: a socket's path must fit in about 100 bytes.
        let dir = std::env::temp_dir().join(format!("thriftc-ux-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        SockDir(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for SockDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A socket file is at `path` (not following a link).
pub fn is_socket(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

/// A connector for the socket at `path` with the test timeouts.
pub fn unix_connector(
    path: &Path,
    protocol: thriftc_runtime::ProtocolKind,
    framing: thriftc_runtime::Framing,
) -> thriftc_runtime::Connector<std::os::unix::net::UnixStream> {
    thriftc_runtime::Connector::unix(path)
        .protocol(protocol)
        .framing(framing)
        .read_timeout(std::time::Duration::from_secs(10))
}

/// True if the server closed `s` (end of stream or reset) within `within`.
pub fn closed_within_unix(
    s: &mut std::os::unix::net::UnixStream,
    within: std::time::Duration,
) -> bool {
    use std::io::Read;
    s.set_read_timeout(Some(within)).unwrap();
    let mut b = [0u8; 256];
    loop {
        match s.read(&mut b) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}
