//! Helpers of the fault and load tests: a deadline that turns a deadlock into a failure, a
//! suspension point that needs no runtime, and a panic hook that keeps planned panics quiet.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Once;
use std::task::Poll;
use std::time::Duration;

/// How long a call may take before it counts as blocked (never reached by a passing run).
pub const DEADLINE: Duration = Duration::from_secs(120);

/// Runs `f` on its own thread; fails if it has not returned by [`DEADLINE`] (a deadlock or
/// something blocked). A panic in `f`, such as a failed assertion, is passed on.
pub fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(catch_unwind(AssertUnwindSafe(f))));
    match rx.recv_timeout(DEADLINE) {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => resume_unwind(panic),
        Err(_) => panic!("{what}: not finished within {DEADLINE:?} (deadlock or blocked)"),
    }
}

/// Pending once, then ready: a suspension point that needs no runtime.
pub async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if std::mem::replace(&mut yielded, true) {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await;
}

/// Installs, once per test binary, a panic hook that prints every panic but those whose
/// payload is a `P` (the panics a test raises on purpose), so the log shows only real ones.
pub fn quiet_panics_of<P: Any>() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<P>() {
                default(info);
            }
        }));
    });
}
