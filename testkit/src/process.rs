//! Child processes, temporary directories and free ports, cleaned up on every exit path.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// A port the OS picked on loopback, free when returned (for child processes that take a
/// fixed address).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A free loopback port below the OS's ephemeral range (Linux: 32768 and up), for an address
/// that is bound, released and bound again over a test's life: no `bind(0)` (every
/// [`free_port`]) and no outgoing connection can be handed it in between.
pub fn free_port_outside_ephemeral_range() -> u16 {
    let start = 20_000 + (std::process::id() % 10_000) as u16;
    (start..32_000)
        .chain(20_000..start)
        .find(|port| std::net::TcpListener::bind(("127.0.0.1", *port)).is_ok())
        .expect("a free port in 20000..32000")
}

/// A child process killed and reaped on every exit path, panics included.
#[derive(Debug)]
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A fresh directory under the system temp dir, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// `flowmeter-{tag}-{pid}-{n}`, created empty.
    pub fn new(tag: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("flowmeter-{tag}-{}-{n}", std::process::id());
        let path = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether the external tool `name` (promtool, prometheus) runs. Under CI a missing tool is
/// a failure; locally the caller skips, and this says why.
pub fn tool_available(name: &str) -> bool {
    let probe = Command::new(name).arg("--version").output();
    available_or_skip(
        name,
        probe.map(drop).map_err(|e| format!("{name} not found ({e})")),
        "scripts/test.sh installs Debian's prometheus",
    )
}

/// The policy for everything the tests need from outside the workspace (a tool, an
/// interpreter and its library): `probe` is `Ok` when `what` is usable, else why not. Under
/// CI (`CI` set) a missing `what` fails the test with that reason; locally this prints
/// `skipping: {reason}; {install}` and answers `false`, and the caller skips.
pub(crate) fn available_or_skip(what: &str, probe: Result<(), String>, install: &str) -> bool {
    match probe {
        Ok(()) => true,
        Err(reason) => {
            assert!(std::env::var_os("CI").is_none(), "{what} is required under CI: {reason}");
            eprintln!("skipping: {reason}; {install}");
            false
        }
    }
}

/// A command running the example binary `name` (cargo builds examples for `cargo test`),
/// with every `FLOWMETER_*` variable removed.
pub fn example(name: &str) -> Command {
    // target/debug/deps/<test>-<hash> → target/debug/examples/<name>
    let exe = std::env::current_exe().unwrap();
    let path = exe.parent().unwrap().parent().unwrap().join("examples").join(name);
    assert!(path.exists(), "{} not built (cargo test builds examples)", path.display());
    let mut command = Command::new(path);
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("FLOWMETER_") {
            command.env_remove(var);
        }
    }
    command
}

/// Spawns an example `command` with its stdout piped, waits until it prints its `serving ...`
/// line, and keeps draining its output so it never blocks on a full pipe.
pub fn spawn_serving(mut command: Command) -> KillOnDrop {
    let mut child = KillOnDrop(command.stdout(Stdio::piped()).spawn().expect("spawn the example"));
    let mut lines = std::io::BufReader::new(child.0.stdout.take().unwrap()).lines();
    assert!(lines.any(|l| l.is_ok_and(|l| l.starts_with("serving "))), "the example serves");
    std::thread::spawn(move || lines.for_each(drop));
    child
}
