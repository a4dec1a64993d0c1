//! A name for this process that is unique across machines and restarts.

/// `<host name>-<pid>-<random>`: tells processes apart in leases and logs.
pub fn instance_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_else(|_| "host".to_owned());
    let nonce = std::collections::hash_map::RandomState::new();
    let random = std::hash::BuildHasher::hash_one(&nonce, std::time::SystemTime::now());
    format!("{host}-{}-{:08x}", std::process::id(), random as u32)
}
