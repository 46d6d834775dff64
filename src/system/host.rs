//! Host-wide CPU, memory and disk gauges, in percent, measured with sysinfo.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::sync::{Arc, Mutex, PoisonError};

use opentelemetry::metrics::{AsyncInstrument, Meter};
use sysinfo::{DiskRefreshKind, Disks, MemoryRefreshKind, System};

use crate::pipeline::Pipeline;

/// Registers the `system_cpu_percent`, `system_memory_percent` and `system_disk_percent`
/// gauges (see the [module docs](super) for what each measures) on the pipeline's meter.
///
/// Registering twice is harmless (the second call does nothing), and so is calling it on a
/// pipeline installed with `enabled(false)`, which collects nothing.
///
/// ```no_run
/// # fn main() -> Result<(), flowmeter::Error> {
/// let telemetry = flowmeter::Telemetry::builder().install()?;
/// flowmeter::system::register_system_metrics(telemetry.pipeline());
/// assert!(telemetry.render().contains("# TYPE system_cpu_percent gauge"));
/// # Ok(()) }
/// ```
pub fn register_system_metrics(pipeline: &Pipeline) {
    if !pipeline.is_enabled() || !pipeline.claim_host_gauges() {
        return;
    }
    let sampler = Arc::new(HostSampler::new());
    // OpenTelemetry names without the unit; the Prometheus bridge appends `_percent` for `%`,
    // which gives the exported names (and an OTLP backend translating names does the same).
    gauge(
        pipeline.meter(),
        "system.cpu",
        "CPU in use over all CPUs of the host since the previous collection.",
        &sampler,
        HostSampler::cpu_percent,
    );
    gauge(
        pipeline.meter(),
        "system.memory",
        "RAM in use over the host's total RAM.",
        &sampler,
        HostSampler::memory_percent,
    );
    gauge(
        pipeline.meter(),
        "system.disk",
        "Space used over the total of all mounted disks.",
        &sampler,
        HostSampler::disk_percent,
    );
}

/// One `%` observable gauge whose callback reads `measure` from the shared sampler.
fn gauge(
    meter: &Meter,
    name: &'static str,
    description: &'static str,
    sampler: &Arc<HostSampler>,
    measure: fn(&HostSampler) -> Option<f64>,
) {
    let sampler = Arc::clone(sampler);
    // The instrument handle only marks the registration: the callback lives in the meter
    // provider until it shuts down.
    let _gauge = meter
        .f64_observable_gauge(name)
        .with_unit("%")
        .with_description(description)
        .with_callback(move |observer: &dyn AsyncInstrument<f64>| {
            if let Some(value) = measure(&sampler) {
                observer.observe(value, &[]);
            }
        })
        .build();
}

/// sysinfo state kept between collections: CPU usage is computed from the difference
/// between two refreshes, so the `System` must outlive each callback.
struct HostSampler {
    system: Mutex<System>,
    disks: Mutex<Disks>,
}

impl HostSampler {
    fn new() -> Self {
        let mut system = System::new();
        // The baseline the first collection's CPU usage is measured from.
        system.refresh_cpu_usage();
        HostSampler { system: Mutex::new(system), disks: Mutex::new(Disks::new()) }
    }

    fn cpu_percent(&self) -> Option<f64> {
        // A panic elsewhere while holding the lock leaves sysinfo state that is still valid.
        let mut system = self.system.lock().unwrap_or_else(PoisonError::into_inner);
        system.refresh_cpu_usage();
        clamp_percent(f64::from(system.global_cpu_usage()))
    }

    fn memory_percent(&self) -> Option<f64> {
        let mut system = self.system.lock().unwrap_or_else(PoisonError::into_inner);
        system.refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
        percent(
            system.total_memory().saturating_sub(system.available_memory()),
            system.total_memory(),
        )
    }

    fn disk_percent(&self) -> Option<f64> {
        let mut disks = self.disks.lock().unwrap_or_else(PoisonError::into_inner);
        // `true` re-reads the mount table, so disks mounted or unmounted since are followed.
        disks.refresh_specifics(true, DiskRefreshKind::nothing().with_storage());
        disk_percent(disks.list().iter().map(|d| DiskSpace {
            device: d.name(),
            total: d.total_space(),
            available: d.available_space(),
        }))
    }
}

/// One mounted file system's size, as sysinfo reports it.
#[derive(Debug, Clone, Copy)]
struct DiskSpace<'a> {
    device: &'a OsStr,
    total: u64,
    available: u64,
}

/// Used over total of all `disks`, counting each file system once: a bind mount repeats its
/// device and size. Zero-size (pseudo) file systems are skipped; `None` when none is left.
fn disk_percent<'a>(disks: impl IntoIterator<Item = DiskSpace<'a>>) -> Option<f64> {
    let mut seen = HashSet::new();
    let (mut used, mut total) = (0u128, 0u128);
    for disk in disks {
        if disk.total == 0 || !seen.insert((disk.device, disk.total)) {
            continue;
        }
        total += u128::from(disk.total);
        used += u128::from(disk.total.saturating_sub(disk.available));
    }
    if total == 0 {
        return None;
    }
    clamp_percent(used as f64 / total as f64 * 100.0)
}

/// `used / total` in percent; `None` for a zero total (nothing to measure against).
fn percent(used: u64, total: u64) -> Option<f64> {
    if total == 0 {
        return None;
    }
    clamp_percent(used as f64 / total as f64 * 100.0)
}

/// Keeps a reading within 0..=100 (rounding can overshoot); drops NaN.
fn clamp_percent(value: f64) -> Option<f64> {
    if value.is_nan() { None } else { Some(value.clamp(0.0, 100.0)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk(device: &str, total: u64, available: u64) -> DiskSpace<'_> {
        DiskSpace { device: OsStr::new(device), total, available }
    }

    #[test]
    fn disk_percent_is_used_over_total_of_all_disks() {
        let disks = [disk("/dev/sda1", 100, 25), disk("/dev/sdb1", 300, 275)];
        // (75 + 25) / (100 + 300)
        assert_eq!(disk_percent(disks), Some(25.0));
    }

    #[test]
    fn bind_mounts_count_once_and_zero_size_file_systems_are_skipped() {
        let disks = [
            disk("/dev/vda", 200, 50),
            disk("/dev/vda", 200, 50), // the same file system bind-mounted elsewhere
            disk("proc", 0, 0),
        ];
        assert_eq!(disk_percent(disks), Some(75.0));
    }

    #[test]
    fn no_disk_gives_no_value() {
        assert_eq!(disk_percent([]), None);
        assert_eq!(disk_percent([disk("none", 0, 0)]), None);
    }

    #[test]
    fn percent_stays_within_bounds() {
        assert_eq!(percent(1, 4), Some(25.0));
        assert_eq!(percent(0, 0), None);
        assert_eq!(clamp_percent(100.000_01), Some(100.0));
        assert_eq!(clamp_percent(-0.5), Some(0.0));
        assert_eq!(clamp_percent(f64::NAN), None);
    }

    #[test]
    fn samples_this_host_within_bounds() {
        let sampler = HostSampler::new();
        for value in [sampler.cpu_percent(), sampler.memory_percent()] {
            let value = value.expect("every supported host has CPUs and RAM");
            assert!((0.0..=100.0).contains(&value), "{value}");
        }
        if let Some(disk) = sampler.disk_percent() {
            assert!((0.0..=100.0).contains(&disk), "{disk}");
        }
    }
}
