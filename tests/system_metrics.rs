//! Process and host metrics (`system` feature) scraped over loopback HTTP from a process that
//! holds files open, keeps threads alive and burns CPU: the standard `process_*` families
//! (Linux) and the `system_*_percent` gauges, their types and plausible values, and promtool.
#![cfg(feature = "system")]

mod common;

use std::fs::File;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{Exposition, TempDir, http_get, parse, promtool_check_metrics};
use flowmeter::Telemetry;

static TELEMETRY: LazyLock<Telemetry> = LazyLock::new(|| {
    Telemetry::builder()
        .ephemeral_port()
        .ignore_env()
        .install_subscriber(false)
        .process_metrics(cfg!(target_os = "linux"))
        .system_metrics(true)
        .install()
        .expect("install telemetry")
});

fn scrape_text() -> String {
    let addr = TELEMETRY.local_addr().expect("serving");
    let response = http_get(addr, "/metrics");
    assert_eq!(response.status, 200);
    response.body
}

const FILES_HELD: usize = 16;
const THREADS_HELD: usize = 8;

/// Threads that burn CPU until `stop`, then stay alive until dropped.
struct BusyThreads {
    stop: Arc<AtomicBool>,
    release: Option<mpsc::Sender<()>>,
    handles: Vec<JoinHandle<u64>>,
}

impl BusyThreads {
    fn spawn(count: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (release, released) = mpsc::channel::<()>();
        let released = Arc::new(std::sync::Mutex::new(released));
        let handles = (0..count)
            .map(|seed| {
                let stop = Arc::clone(&stop);
                let released = Arc::clone(&released);
                std::thread::spawn(move || {
                    let mut x = seed as u64 + 1;
                    while !stop.load(Ordering::Relaxed) {
                        for _ in 0..10_000 {
                            x = std::hint::black_box(x.wrapping_mul(6364136223846793005) ^ 7);
                        }
                    }
                    // Stay alive until the test has counted us: recv returns when the sender
                    // is dropped.
                    let _ = released.lock().unwrap().recv();
                    x
                })
            })
            .collect();
        BusyThreads { stop, release: Some(release), handles }
    }

    fn stop_burning(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Drop for BusyThreads {
    fn drop(&mut self) {
        self.stop_burning();
        self.release.take();
        for handle in self.handles.drain(..) {
            let _ = handle.join();
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn process_metrics_reflect_the_files_threads_memory_and_cpu_this_process_holds() {
    let dir = TempDir::new("system-metrics");
    let files: Vec<File> = (0..FILES_HELD)
        .map(|i| File::create(dir.path().join(format!("{i}.txt"))).unwrap())
        .collect();
    // Touch every page so it is resident.
    let memory = std::hint::black_box(vec![1u8; 32 << 20]);
    let threads = BusyThreads::spawn(THREADS_HELD);

    // The collector reports whole CPU seconds; burn until the first one shows (bounded, so
    // a broken collector fails instead of hanging).
    let mut cpu_seconds = 0.0;
    for _ in 0..1200 {
        cpu_seconds = parse(&scrape_text()).value("process_cpu_seconds_total", &[]);
        if cpu_seconds > 0.0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    threads.stop_burning();
    assert!(cpu_seconds > 0.0, "no CPU second after busy work");

    let text = scrape_text();
    let exposition = parse(&text);
    for name in flowmeter::system::PROCESS_METRICS {
        let expected = if name.ends_with("_total") { "counter" } else { "gauge" };
        assert_eq!(exposition.types.get(name).map(String::as_str), Some(expected), "{name}");
        assert!(!exposition.help[name].is_empty(), "{name} has no HELP");
    }
    let value = |name| exposition.value(name, &[]);
    let open_fds = value("process_open_fds");
    assert!(open_fds >= FILES_HELD as f64, "process_open_fds {open_fds} < {FILES_HELD} held");
    assert!(value("process_max_fds") >= open_fds);
    // The threads held, plus the test's own thread.
    let threads_now = value("process_threads");
    assert!(threads_now > THREADS_HELD as f64, "process_threads {threads_now}");
    let resident = value("process_resident_memory_bytes");
    assert!(resident > 0.0);
    assert!(value("process_virtual_memory_bytes") >= resident);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    let started = value("process_start_time_seconds");
    assert!(started <= now + 1.0 && now - started < 3600.0, "started {started}, now {now}");
    assert!(value("process_cpu_seconds_total") >= cpu_seconds, "a counter never goes down");

    // Not namespaced: the standard names only.
    assert!(exposition.types.keys().all(|n| !n.starts_with("flowmeter_process_")));
    promtool_check_metrics(&text);
    drop((files, memory, threads));
}

#[test]
fn system_gauges_are_percentages_of_this_host() {
    // Some work between the install's CPU baseline and the scrape.
    let threads = BusyThreads::spawn(2);
    let _ = scrape_text();
    threads.stop_burning();
    drop(threads);

    let text = scrape_text();
    let exposition = parse(&text);
    for name in flowmeter::system::SYSTEM_METRICS {
        assert_eq!(exposition.types.get(name).map(String::as_str), Some("gauge"), "{name}");
        assert!(!exposition.help[name].is_empty(), "{name} has no HELP");
        let samples = exposition.find(name, &[]);
        assert_eq!(samples.len(), 1, "{name}: {samples:?}");
        // Host-wide: no labels but the ones the bridge adds to every series (none here).
        assert!(samples[0].labels.is_empty(), "{name}: {samples:?}");
        let percent = samples[0].value;
        assert!((0.0..=100.0).contains(&percent), "{name} = {percent}");
    }
    assert!(exposition.value("system_memory_percent", &[]) > 0.0, "a running host uses RAM");
    assert!(exposition.value("system_disk_percent", &[]) > 0.0, "the root file system holds files");
    assert!(exposition.types.keys().all(|n| !n.starts_with("flowmeter_system_")));
    promtool_check_metrics(&text);
}

#[test]
fn registering_again_keeps_one_series_each() {
    let pipeline = TELEMETRY.pipeline();
    flowmeter::system::register_system_metrics(pipeline);
    #[cfg(target_os = "linux")]
    flowmeter::system::register_process_collector(pipeline)
        .expect("second registration is a no-op");
    let exposition: Exposition = parse(&scrape_text());
    let mut names: Vec<&str> = flowmeter::system::SYSTEM_METRICS.to_vec();
    if cfg!(target_os = "linux") {
        names.extend(flowmeter::system::PROCESS_METRICS);
    }
    for name in names {
        assert_eq!(exposition.find(name, &[]).len(), 1, "{name}");
    }
}
