//! The machine a run happened on: on a shared box every figure depends on it.

use std::fs;

use crate::procfs;
use crate::report::Machine;

/// Cores and model from `/proc/cpuinfo`, memory from `/proc/meminfo`, the kernel release.
pub fn describe() -> Machine {
    let (cores, cpu_model) = fs::read_to_string("/proc/cpuinfo")
        .map(|text| procfs::parse_cpuinfo(&text))
        .unwrap_or((0, None));
    let cores = if cores > 0 {
        cores
    } else {
        std::thread::available_parallelism().map_or(1, usize::from)
    };
    Machine {
        cores,
        cpu_model,
        mem_total_kib: fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| procfs::parse_kib(&text, "MemTotal")),
        kernel: fs::read_to_string("/proc/sys/kernel/osrelease")
            .ok()
            .map(|text| text.trim().to_owned()),
    }
}
