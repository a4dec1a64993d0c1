//! Secrets the local stack needs (the S3 server's key, the gateways' URL-signing key):
//! generated on first use and kept in the run directory, never in the repository, so that
//! they survive restarts and every process and test reads the same one.

use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::{TaskResult, fail};

/// The secret in `path` (`bytes` random bytes in hex), created 0600 when missing or truncated.
pub fn ensure(path: &Path, bytes: usize) -> TaskResult<String> {
    if let Ok(text) = fs::read_to_string(path) {
        let key = text.trim();
        if key.len() >= bytes * 2 {
            return Ok(key.to_owned());
        }
        // Empty or truncated (an interrupted first run): replace it.
        fs::remove_file(path)?;
    }
    let mut random = vec![0u8; bytes];
    fs::File::open("/dev/urandom")?.read_exact(&mut random)?;
    let key: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    // Created 0600 from the start, so it is never readable by others even for a moment.
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .or_else(|error| fail(format!("cannot create {}: {error}", path.display())))?;
    file.write_all(format!("{key}\n").as_bytes())?;
    Ok(key)
}
