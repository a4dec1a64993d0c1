//! Reading `/proc`: a process's CPU time and peak memory, and the machine's cores and memory.
//! Parsing is kept apart from reading so it can be checked against fixture text.

use std::fs;
use std::process::Command;

/// The kernel's clock tick when `getconf` cannot tell (it is 100 on every common Linux).
const DEFAULT_TICKS_PER_SECOND: u64 = 100;

/// User plus system CPU time, in clock ticks, from the text of `/proc/<pid>/stat`.
pub fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    // The command name is parenthesised and may hold spaces or parentheses itself, so fields
    // are counted from the last ')': state is field 3, utime 14 and stime 15.
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// A `Key:   123 kB` line of `/proc/<pid>/status` or `/proc/meminfo`, in KiB.
pub fn parse_kib(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let value = line.strip_prefix(key)?.strip_prefix(':')?;
        value.split_whitespace().next()?.parse().ok()
    })
}

/// Logical CPUs and the first model name, from the text of `/proc/cpuinfo`.
pub fn parse_cpuinfo(text: &str) -> (usize, Option<String>) {
    let field = |line: &str, key: &str| -> Option<String> {
        let (name, value) = line.split_once(':')?;
        (name.trim() == key).then(|| value.trim().to_owned())
    };
    let cores = text
        .lines()
        .filter(|line| field(line, "processor").is_some())
        .count();
    let model = text.lines().find_map(|line| field(line, "model name"));
    (cores, model)
}

/// Busy and all CPU ticks of the whole machine (every core) from the text of `/proc/stat`:
/// busy is user, nice, system, irq, softirq and steal; the rest is idle and iowait.
pub fn parse_machine_ticks(stat: &str) -> Option<MachineTicks> {
    let line = stat.lines().find(|line| line.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|field| field.parse().ok())
        .collect::<Option<_>>()?;
    let [user, nice, system, idle, iowait, irq, softirq, steal] = fields[..] else {
        return None;
    };
    let busy = user + nice + system + irq + softirq + steal;
    Some(MachineTicks {
        busy,
        total: busy + idle + iowait,
    })
}

/// The machine's CPU tick counters at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MachineTicks {
    pub busy: u64,
    pub total: u64,
}

/// The whole machine's CPU ticks so far.
pub fn machine_ticks() -> Option<MachineTicks> {
    parse_machine_ticks(&fs::read_to_string("/proc/stat").ok()?)
}

/// CPU ticks used so far by `pid`, or `None` when it is gone.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    parse_cpu_ticks(&fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Resident set of `pid` now (VmRSS), in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    parse_kib(
        &std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?,
        "VmRSS",
    )
}

/// Peak resident set of `pid` since it started (VmHWM), in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    parse_kib(
        &fs::read_to_string(format!("/proc/{pid}/status")).ok()?,
        "VmHWM",
    )
}

/// The kernel's clock ticks per second, which `/proc/<pid>/stat` times are counted in.
pub fn ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8_lossy(&out.stdout).trim().parse().ok())
        .filter(|ticks| *ticks > 0)
        .unwrap_or(DEFAULT_TICKS_PER_SECOND)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real `/proc/<pid>/stat` line, with a command name holding a space and a ')'.
    const STAT: &str = "12724 (chat-mess) x) S 1 12724 12724 0 -1 4194560 10386 0 0 0 \
                        1234 567 0 0 20 0 9 0 2716423 644173824 11403 18446744073709551615 \
                        1 1 0 0 0 0 0 4096 17987 0 0 0 17 1 0 0 0 0 0";

    const STATUS: &str = "Name:\tchat-message\nUmask:\t0022\nState:\tS (sleeping)\n\
                          VmPeak:\t  629076 kB\nVmHWM:\t   45612 kB\nVmRSS:\t   45100 kB\n";

    const CPUINFO: &str = "processor\t: 0\nvendor_id\t: AuthenticAMD\n\
                           model name\t: AMD EPYC 7B13\nflags\t\t: fpu\n\n\
                           processor\t: 1\nmodel name\t: AMD EPYC 7B13\n";

    #[test]
    fn cpu_time_is_utime_plus_stime_counted_from_the_last_parenthesis() {
        assert_eq!(parse_cpu_ticks(STAT), Some(1234 + 567));
    }

    #[test]
    fn machine_ticks_split_busy_from_idle_and_iowait() {
        let stat = "cpu  100 5 20 1000 50 1 2 3 0 0\ncpu0 50 2 10 500 25 0 1 1 0 0\n";
        assert_eq!(
            parse_machine_ticks(stat),
            Some(MachineTicks {
                busy: 100 + 5 + 20 + 1 + 2 + 3,
                total: 131 + 1000 + 50
            })
        );
        assert_eq!(parse_machine_ticks("cpu  1 2 3\n"), None);
    }

    #[test]
    fn truncated_stat_lines_are_refused() {
        assert_eq!(parse_cpu_ticks("12 (x) S 1 2 3"), None);
        assert_eq!(parse_cpu_ticks("garbage"), None);
    }

    #[test]
    fn memory_lines_are_read_by_exact_key() {
        assert_eq!(parse_kib(STATUS, "VmHWM"), Some(45_612));
        assert_eq!(parse_kib(STATUS, "VmRSS"), Some(45_100));
        assert_eq!(parse_kib(STATUS, "VmH"), None);
        assert_eq!(
            parse_kib("MemTotal:       24683940 kB\n", "MemTotal"),
            Some(24_683_940)
        );
    }

    #[test]
    fn cpuinfo_counts_processors_and_names_the_model() {
        assert_eq!(parse_cpuinfo(CPUINFO), (2, Some("AMD EPYC 7B13".into())));
    }

    #[test]
    fn our_own_process_is_readable() {
        let pid = std::process::id();
        assert!(cpu_ticks(pid).is_some());
        assert!(peak_rss_kib(pid).is_some_and(|kib| kib > 0));
    }
}
