//! The baseline: OpenResty alone. `openresty/nginx.conf` serves `/_bench/<name>` from
//! `<run dir>/openresty/bench/` and reads and drops uploads at `/_bench/sink` (loopback only);
//! this module writes the files it serves (the same bytes the gateway gets) and names the URLs.

use std::path::{Path, PathBuf};

use anyhow::Context;
use bytes::Bytes;

use crate::rng::SplitMix64;
use crate::stack;

/// Where `cargo xtask up`'s OpenResty serves `/_bench/` from.
pub fn default_dir() -> PathBuf {
    stack::run_dir().join("openresty").join("bench")
}

/// `bytes` of incompressible content, the same on every run (a fixed seed).
pub fn content(bytes: u64) -> Bytes {
    let mut rng = SplitMix64::new(bytes);
    let mut data = Vec::with_capacity(bytes as usize + 8);
    while (data.len() as u64) < bytes {
        data.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    data.truncate(bytes as usize);
    Bytes::from(data)
}

/// The file name of the static copy of a `bytes`-long file.
pub fn name(bytes: u64) -> String {
    format!("file-{bytes}.bin")
}

/// Writes `data` as the static file of its size under `dir`, unless it is there already.
pub fn write(dir: &Path, data: &[u8]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(name(data.len() as u64));
    let same = std::fs::read(&path).is_ok_and(|existing| existing == data);
    if !same {
        std::fs::write(&path, data).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// The static file of a `bytes`-long file, served by OpenResty at `server`.
pub fn url(server: &str, bytes: u64) -> String {
    format!("{}/_bench/{}", server.trim_end_matches('/'), name(bytes))
}

/// OpenResty's sink for uploads at `server`.
pub fn sink_url(server: &str) -> String {
    format!("{}/_bench/sink", server.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_sized_and_repeatable() {
        let a = content(1000);
        assert_eq!(a.len(), 1000);
        assert_eq!(a, content(1000));
        assert_ne!(a.slice(0..8), a.slice(8..16));
    }

    #[test]
    fn files_are_written_once_and_named_by_size() {
        let dir = std::env::temp_dir().join(format!("chat-loadgen-static-{}", std::process::id()));
        let data = content(100);
        write(&dir, &data).unwrap();
        write(&dir, &data).unwrap();
        assert_eq!(std::fs::read(dir.join("file-100.bin")).unwrap(), data);
        assert_eq!(
            url("http://h:1/", 100),
            "http://h:1/_bench/file-100.bin".to_owned()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
