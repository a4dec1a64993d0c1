//! `status`: every component with its pid, address and health, as a table or JSON.

use std::fs;

use serde_json::json;

use crate::components::{self, Component};
use crate::{Options, TaskResult, process};

/// One component's observed state.
pub struct Row {
    pub name: String,
    pub pid: Option<u32>,
    /// Whether `up` started it (and `down` will stop it).
    pub ours: bool,
    pub address: String,
    pub healthy: bool,
}

/// Observes every component.
pub fn collect(components: &[Component], release: bool) -> Vec<Row> {
    components
        .iter()
        .map(|component| {
            let ours = process::running_pid(&component.name, &component.marker);
            Row {
                name: component.name.clone(),
                pid: ours.or_else(|| find_pid(&component.marker)),
                ours: ours.is_some(),
                address: component.address.clone(),
                healthy: component.health.check(release),
            }
        })
        .collect()
}

/// A process whose command name starts with `marker`, for components `up` did not start.
pub fn find_pid(marker: &str) -> Option<u32> {
    let prefix: String = marker.chars().take(15).collect();
    fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
        let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
        let comm = fs::read_to_string(entry.path().join("comm")).ok()?;
        comm.trim().starts_with(&prefix).then_some(pid)
    })
}

/// Prints the table.
pub fn print_table(rows: &[Row]) {
    println!(
        "{:<11} {:>8}  {:<7} {:<22} HEALTH",
        "COMPONENT", "PID", "BY UP", "ADDRESS"
    );
    for row in rows {
        let pid = row
            .pid
            .map(|pid| pid.to_string())
            .unwrap_or_else(|| "-".into());
        let health = if row.healthy { "healthy" } else { "UNHEALTHY" };
        let ours = if row.ours { "yes" } else { "no" };
        println!(
            "{:<11} {:>8}  {:<7} {:<22} {health}",
            row.name, pid, ours, row.address
        );
    }
}

/// `cargo xtask status [--json]`; exits non-zero when something is unhealthy.
pub fn print(options: &Options) -> TaskResult {
    let gateways = running_gateways().max(1);
    let rows = collect(&components::all(gateways), options.release);
    if options.json {
        let list: Vec<_> = rows
            .iter()
            .map(|row| {
                json!({
                    "component": row.name, "pid": row.pid, "started_by_up": row.ours,
                    "address": row.address, "healthy": row.healthy,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&list).unwrap_or_default()
        );
    } else {
        print_table(&rows);
    }
    match rows.iter().filter(|row| !row.healthy).count() {
        0 => Ok(()),
        n => crate::fail(format!("{n} component(s) unhealthy")),
    }
}

/// How many gateways `up` started (by their pid files).
fn running_gateways() -> u16 {
    (0..16u16)
        .take_while(|index| process::recorded_pid(&format!("gateway-{index}")).is_some())
        .count() as u16
}
