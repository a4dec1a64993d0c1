//! What a supervisor does after a crash: start the process again exactly as it was started
//! (command line, environment and working directory read from `/proc` before the kill), its
//! output appended to the component's log and its pid recorded where `cargo xtask up` keeps
//! it, so that `up`, `status` and `down` treat the new process as their own.

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;

/// How to start one component again.
#[derive(Debug, Clone)]
pub struct Relaunch {
    component: String,
    /// Program first, as it was started.
    argv: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    cwd: PathBuf,
    log: PathBuf,
    pid_file: PathBuf,
}

impl Relaunch {
    /// Reads how `pid` (component `component` of the stack in `run_dir`) was started.
    pub fn capture(component: &str, pid: u32, run_dir: &Path) -> anyhow::Result<Self> {
        let proc_dir = PathBuf::from(format!("/proc/{pid}"));
        let read = |what: &str| {
            fs::read(proc_dir.join(what))
                .with_context(|| format!("reading /proc/{pid}/{what} of {component}"))
        };
        let argv = nul_separated(read("cmdline")?);
        anyhow::ensure!(
            !argv.is_empty(),
            "{component} (pid {pid}) has no command line"
        );
        let env = nul_separated(read("environ")?)
            .into_iter()
            .filter_map(|entry| {
                let bytes = entry.into_vec();
                let split = bytes.iter().position(|byte| *byte == b'=')?;
                let (name, value) = bytes.split_at(split);
                Some((
                    OsString::from_vec(name.to_vec()),
                    OsString::from_vec(value[1..].to_vec()),
                ))
            })
            .collect();
        let cwd = fs::read_link(proc_dir.join("cwd"))
            .with_context(|| format!("reading the working directory of {component}"))?;
        Ok(Self {
            component: component.to_owned(),
            argv,
            env,
            cwd,
            log: run_dir.join("logs").join(format!("{component}.log")),
            pid_file: run_dir.join("pids").join(format!("{component}.pid")),
        })
    }

    /// Starts it again, detached (its own process group, like `up`'s), and records its pid.
    pub fn spawn(&self) -> anyhow::Result<u32> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .with_context(|| format!("opening {}", self.log.display()))?;
        let (program, args) = self.argv.split_first().context("an empty command line")?;
        let child = Command::new(program)
            .args(args)
            .env_clear()
            .envs(self.env.iter().map(|(name, value)| (name, value)))
            .current_dir(&self.cwd)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {} again ({program:?})", self.component))?;
        let pid = child.id();
        fs::write(&self.pid_file, format!("{pid}\n"))
            .with_context(|| format!("writing {}", self.pid_file.display()))?;
        Ok(pid)
    }
}

/// The NUL-separated fields of a `/proc` file.
fn nul_separated(raw: Vec<u8>) -> Vec<OsString> {
    raw.split(|byte| *byte == 0)
        .filter(|field| !field.is_empty())
        .map(|field| OsString::from_vec(field.to_vec()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_can_be_read_back() {
        let run_dir = Path::new("/run-dir");
        let me = Relaunch::capture("loadgen", std::process::id(), run_dir).unwrap();
        assert!(!me.argv.is_empty());
        assert!(me.env.iter().any(|(name, _)| name == "PATH"));
        assert_eq!(me.pid_file, Path::new("/run-dir/pids/loadgen.pid"));
        assert_eq!(me.log, Path::new("/run-dir/logs/loadgen.log"));
    }

    #[test]
    fn a_killed_process_comes_back_as_it_was_started() {
        let run_dir = std::env::temp_dir().join(format!("loadgen-relaunch-{}", std::process::id()));
        fs::create_dir_all(run_dir.join("logs")).unwrap();
        fs::create_dir_all(run_dir.join("pids")).unwrap();
        let mut first = Command::new("sleep")
            .arg("30")
            .env("RELAUNCH_MARK", "kept")
            .current_dir(&run_dir)
            .spawn()
            .unwrap();
        // Until the child has exec'd, /proc shows this process's command line.
        let exec = |pid: u32| fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        while !exec(first.id()).starts_with(b"sleep") {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let relaunch = Relaunch::capture("sleeper", first.id(), &run_dir).unwrap();
        first.kill().unwrap();
        first.wait().unwrap();
        let pid = relaunch.spawn().unwrap();
        let again = Relaunch::capture("sleeper", pid, &run_dir).unwrap();
        let recorded = fs::read_to_string(run_dir.join("pids/sleeper.pid")).unwrap();
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
        assert_eq!(again.argv, relaunch.argv);
        assert_eq!(again.cwd, relaunch.cwd);
        assert!(
            again
                .env
                .iter()
                .any(|(name, value)| name == "RELAUNCH_MARK" && value == "kept")
        );
        assert_eq!(recorded.trim(), pid.to_string());
        fs::remove_dir_all(&run_dir).unwrap();
    }

    #[test]
    fn fields_are_split_at_nuls() {
        assert_eq!(
            nul_separated(b"a\0bc\0\0".to_vec()),
            vec![OsString::from("a"), OsString::from("bc")]
        );
    }
}
