//! Processes that `up` starts: spawned detached with their output in a log file, remembered by
//! a pid file, recognised by their command line (so a reused pid is never mistaken for ours),
//! and stopped with SIGTERM, then SIGKILL.

use std::fs::{self, File, OpenOptions};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::{TaskResult, fail, paths};

/// The pid file of component `name`.
pub fn pid_file(name: &str) -> PathBuf {
    paths::run_dir().join("pids").join(format!("{name}.pid"))
}

/// The log file of component `name`.
pub fn log_file(name: &str) -> PathBuf {
    paths::run_dir().join("logs").join(format!("{name}.log"))
}

/// The recorded pid of `name`, if its pid file exists.
pub fn recorded_pid(name: &str) -> Option<u32> {
    fs::read_to_string(pid_file(name)).ok()?.trim().parse().ok()
}

/// Records `pid` as the process of component `name`.
pub fn record_pid(name: &str, pid: u32) -> TaskResult {
    let path = pid_file(name);
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::write(&path, format!("{pid}\n"))?;
    Ok(())
}

/// Forgets component `name`.
pub fn forget(name: &str) {
    let _ = fs::remove_file(pid_file(name));
}

/// Whether `pid` is a live (not zombie) process whose command line mentions `marker`.
pub fn is_ours(pid: u32, marker: &str) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the parenthesised command name, which may itself contain spaces.
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next());
    if matches!(state, Some("Z") | Some("X") | None) {
        return false;
    }
    fs::read(format!("/proc/{pid}/cmdline"))
        .map(|cmdline| String::from_utf8_lossy(&cmdline).contains(marker))
        .unwrap_or(false)
}

/// Direct children of `pid` (nginx's workers under the master whose pid `up` records).
pub fn children(pid: u32) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let child: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = fs::read_to_string(entry.path().join("stat")).ok()?;
            (parent_pid(&stat)? == pid).then_some(child)
        })
        .collect()
}

/// The parent pid (field 4) of a `/proc/<pid>/stat` line; fields count from the last ')',
/// since the command name may contain spaces and parentheses.
fn parent_pid(stat: &str) -> Option<u32> {
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// The arguments `pid` was started with (program first).
fn command_line(pid: u32) -> Option<Vec<String>> {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(
        raw.split(|byte| *byte == 0)
            .filter(|arg| !arg.is_empty())
            .map(|arg| String::from_utf8_lossy(arg).into_owned())
            .collect(),
    )
}

/// Whether `pid` runs with another command line than `wanted` would start (changed flags);
/// false when it cannot be read.
pub fn flags_differ(pid: u32, wanted: &Command) -> bool {
    let wanted: Vec<String> = std::iter::once(wanted.get_program())
        .chain(wanted.get_args())
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    command_line(pid).is_some_and(|running| running != wanted)
}

/// The live pid of component `name`, when its pid file points at our process.
pub fn running_pid(name: &str, marker: &str) -> Option<u32> {
    recorded_pid(name).filter(|pid| is_ours(*pid, marker))
}

/// Starts `command` detached (own process group, no stdin, output appended to `name`'s log)
/// and records its pid.
pub fn spawn(name: &str, command: &mut Command) -> TaskResult<u32> {
    let log_path = log_file(name);
    if let Some(dir) = log_path.parent() {
        fs::create_dir_all(dir)?;
    }
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)?;
    let child = command
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0)
        .spawn()
        .or_else(|error| {
            fail(format!(
                "cannot start {name} ({:?}): {error}",
                command.get_program()
            ))
        })?;
    let pid = child.id();
    record_pid(name, pid)?;
    // Until the child has exec'd, its command line is still ours; wait for the switch, so that
    // "not our process any more" can only mean it exited.
    let program = Path::new(command.get_program())
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    wait_until(Duration::from_secs(2), || {
        is_ours(pid, &program) || fs::metadata(format!("/proc/{pid}")).is_err()
    });
    Ok(pid)
}

/// Sends SIGTERM, waits up to `grace` for the process to go, then SIGKILLs it.
pub fn stop(pid: u32, marker: &str, grace: Duration) -> bool {
    if !is_ours(pid, marker) {
        return false;
    }
    signal(pid, "TERM");
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if !is_ours(pid, marker) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    signal(pid, "KILL");
    std::thread::sleep(Duration::from_millis(200));
    true
}

fn signal(pid: u32, name: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The last `lines` lines of a log, for error messages.
pub fn log_tail(name: &str, lines: usize) -> String {
    let text = fs::read_to_string(log_file(name)).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The whole task's deadline, when one is set (`cargo xtask test --deadline`): every command
/// that [`run`] or [`status_within_deadline`] waits on is stopped, with its children, once it
/// passes, so a hung build or test fails the task with a report instead of being cut off.
static DEADLINE: OnceLock<Instant> = OnceLock::new();

/// Sets the deadline of every later [`run`] (first call wins).
pub fn set_deadline(at: Instant) {
    let _ = DEADLINE.set(at);
}

/// Runs a command to completion with inherited output, failing with `what` on a non-zero exit.
pub fn run(what: &str, command: &mut Command) -> TaskResult {
    let status = status_within_deadline(what, command)?;
    if !status.success() {
        return fail(format!("{what} failed ({status})"));
    }
    Ok(())
}

/// Runs a command to completion and returns its exit status; past the task's deadline the
/// command and everything it started are stopped (SIGTERM, then SIGKILL) and this fails.
pub fn status_within_deadline(what: &str, command: &mut Command) -> TaskResult<ExitStatus> {
    status_within(what, command, None)
}

/// As [`status_within_deadline`], and the command is also stopped (and this fails) when it
/// runs longer than `bound`.
pub fn status_within(
    what: &str,
    command: &mut Command,
    bound: Option<Duration>,
) -> TaskResult<ExitStatus> {
    let mut child = command.spawn().or_else(|error| {
        fail(format!(
            "{what}: cannot run {:?}: {error}",
            command.get_program()
        ))
    })?;
    let deadline = DEADLINE.get().copied();
    let bound_at = bound.map(|bound| Instant::now() + bound);
    if deadline.is_none() && bound_at.is_none() {
        return Ok(child.wait()?);
    }
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        let now = Instant::now();
        let why = if deadline.is_some_and(|deadline| now >= deadline) {
            "the task's deadline passed while it ran".to_owned()
        } else if let (Some(at), Some(bound)) = (bound_at, bound)
            && now >= at
        {
            format!("it ran longer than {} s", bound.as_secs())
        } else {
            std::thread::sleep(Duration::from_millis(200));
            continue;
        };
        stop_tree(child.id());
        let _ = child.wait();
        return fail(format!("{what} was stopped: {why}"));
    }
}

/// Every process below `pid`, children before their own children.
fn descendants(pid: u32) -> Vec<u32> {
    let mut all = children(pid);
    let mut next = 0;
    while next < all.len() {
        let below = children(all[next]);
        all.extend(below);
        next += 1;
    }
    all
}

/// SIGTERM to `pid` and everything below it, SIGKILL to whatever is left 10 s later.
fn stop_tree(pid: u32) {
    let mut tree = descendants(pid);
    tree.insert(0, pid);
    for &member in &tree {
        signal(member, "TERM");
    }
    let gone = |member: &u32| fs::metadata(format!("/proc/{member}")).is_err();
    wait_until(Duration::from_secs(10), || tree.iter().all(gone));
    for member in tree.iter().filter(|member| !gone(member)) {
        signal(*member, "KILL");
    }
}

/// Runs a command and returns its stdout, failing with `what` (and its stderr) otherwise.
pub fn output(what: &str, command: &mut Command) -> TaskResult<String> {
    let out = command.output().or_else(|error| {
        fail(format!(
            "{what}: cannot run {:?}: {error}",
            command.get_program()
        ))
    })?;
    if !out.status.success() {
        return fail(format!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Modification time of a file, if it exists.
pub fn modified(path: &Path) -> Option<std::time::SystemTime> {
    File::open(path).ok()?.metadata().ok()?.modified().ok()
}

/// Polls `ready` every 200 ms until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if ready() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_pids_are_read_after_the_command_name() {
        let stat = "12701 (nginx: worker (x)) S 12700 12700 12700 0 -1 4194624 0 0 0 0 1 2";
        assert_eq!(parent_pid(stat), Some(12700));
        assert_eq!(parent_pid("garbage"), None);
    }
}
