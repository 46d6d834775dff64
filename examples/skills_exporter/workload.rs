//! The deterministic workload ([`run_workload`]: 8 sessions at once, exact values a test can
//! assert) and the steady rounds that keep recording while the example serves
//! ([`run_round`]).

use std::thread;

use flowmeter::app::AppMetricError;

use crate::exporter::{SkillsExporter, WORKFLOW_PHASES};

/// Threads of the workload, recording at once (the reference is used from several agents).
pub const THREADS: usize = 8;
/// Skills of the workload.
pub const SKILLS: [&str; 4] = ["pytest-run", "ruff-check", "mypy-check", "code-review"];
/// Simulated durations, one per bucket of [`DURATION_BUCKETS`] and one above them: 0.5 and 10
/// sit on a boundary (which `le` includes). All are multiples of 1/16, so their sums are
/// exact in `f64` whatever order the threads add them in.
pub const DURATIONS: [f64; 10] = [0.0625, 0.5, 0.75, 1.5, 4.0, 10.0, 20.0, 45.0, 150.0, 600.0];
/// An invocation slower than this (the top bucket) is recorded as a `spike` anomaly.
pub const SPIKE_ABOVE_SECONDS: f64 = 300.0;
/// A session whose completion rate of a skill is below this records a `drop` anomaly.
pub const DROP_BELOW_RATE: f64 = 0.8;

/// Runs the deterministic workload and returns how many invocations it recorded.
///
/// [`THREADS`] sessions run at once, in phase `execution` (even threads) or `setup` (odd),
/// each recording `per_thread` invocations: invocation `i` is of skill
/// `SKILLS[(i / 10) % 4]`, lasts `DURATIONS[i % 10]` and is not completed when
/// `(i / 40) % 4 == 0`. When `per_thread` is a multiple of 160 every skill, duration and
/// outcome comes out evenly, every session sees a completion rate of 0.75 for every skill
/// (so the gauge's last writer does not matter) and records one `drop` per skill. The active
/// sessions gauge reads [`THREADS`] while they run and 0 after.
///
/// # Errors
/// The first recording error of any thread (none with the constants above).
pub fn run_workload(exporter: &SkillsExporter, per_thread: usize) -> Result<usize, AppMetricError> {
    exporter.update_active_sessions(THREADS as u64)?;
    let sessions = thread::scope(|scope| {
        let threads: Vec<_> = (0..THREADS)
            .map(|thread| scope.spawn(move || run_session(exporter, thread, per_thread)))
            .collect();
        // A panicking thread is a bug of this example: let it propagate.
        threads.into_iter().try_for_each(|t| t.join().expect("session thread"))
    });
    exporter.update_active_sessions(0)?;
    sessions?;
    Ok(THREADS * per_thread)
}

fn run_session(
    exporter: &SkillsExporter,
    thread: usize,
    per_thread: usize,
) -> Result<(), AppMetricError> {
    let phase = if thread.is_multiple_of(2) { "execution" } else { "setup" };
    let mut outcomes = [(0_u64, 0_u64); SKILLS.len()]; // (invocations, completed) per skill
    for i in 0..per_thread {
        let skill = (i / 10) % SKILLS.len();
        let seconds = DURATIONS[i % DURATIONS.len()];
        let completed = (i / 40) % 4 != 0;
        exporter.record_invocation(SKILLS[skill], Some(phase), completed, Some(seconds))?;
        if seconds > SPIKE_ABOVE_SECONDS {
            exporter.record_anomaly("spike", SKILLS[skill])?;
        }
        outcomes[skill].0 += 1;
        outcomes[skill].1 += u64::from(completed);
    }
    let ran = SKILLS.into_iter().zip(outcomes).filter(|(_, (invocations, _))| *invocations > 0);
    for (skill, (invocations, completed)) in ran {
        let rate = completed as f64 / invocations as f64;
        exporter.update_completion_rate(skill, rate)?;
        if rate < DROP_BELOW_RATE {
            exporter.record_anomaly("drop", skill)?;
        }
    }
    Ok(())
}

/// One round of the steady workload that runs while serving, so that the reference's
/// `rate(...[5m])` and p95 queries have recent data (frozen counters show 0 and no p95).
/// Round `round` is a session in phase `setup`, `execution`, `verification` in turn, with 1
/// to 3 open: two invocations per skill, each with the skill's next of [`DURATIONS`] (one in
/// ten a spike), one in four not completed; the completion rate is the skill's in the round,
/// and under [`DROP_BELOW_RATE`] it records a `drop`.
///
/// # Errors
/// The first recording error (none with the constants above).
pub fn run_round(exporter: &SkillsExporter, round: usize) -> Result<(), AppMetricError> {
    exporter.update_active_sessions(1 + (round % 3) as u64)?;
    let phase = WORKFLOW_PHASES[round % 3];
    for (k, skill) in SKILLS.into_iter().enumerate() {
        let mut completed_here = 0_u32;
        for j in 0..2 {
            let seconds = DURATIONS[(round * 2 + j + 3 * k) % DURATIONS.len()];
            let completed = !(round * 2 + j + k).is_multiple_of(4);
            exporter.record_invocation(skill, Some(phase), completed, Some(seconds))?;
            if seconds > SPIKE_ABOVE_SECONDS {
                exporter.record_anomaly("spike", skill)?;
            }
            completed_here += u32::from(completed);
        }
        let rate = f64::from(completed_here) / 2.0;
        exporter.update_completion_rate(skill, rate)?;
        if rate < DROP_BELOW_RATE {
            exporter.record_anomaly("drop", skill)?;
        }
    }
    Ok(())
}
