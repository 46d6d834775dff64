//! `enabled = false` (FLOWMETER_ENABLED=false): instrumented code runs unchanged, nothing is
//! recorded or served, nothing panics.

use flowmeter::{Telemetry, instrumented};

#[instrumented]
fn double(x: u32) -> u32 {
    x * 2
}

#[instrumented]
fn panics() {
    panic!("expected by the test");
}

#[instrumented]
async fn fails() -> Result<(), String> {
    Err("no".into())
}

#[test]
fn disabled_telemetry_records_and_serves_nothing() {
    let telemetry = Telemetry::builder().enabled(false).ignore_env().install().expect("install");
    assert!(!telemetry.config().enabled);
    assert_eq!(telemetry.local_addr(), None, "nothing is served");
    assert_eq!(double(21), 42);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    assert!(runtime.block_on(fails()).is_err());
    assert!(std::panic::catch_unwind(panics).is_err(), "the panic propagates unchanged");
    assert_eq!(telemetry.render(), "", "a disabled pipeline exports nothing, not even target_info");
    assert_eq!(telemetry.metadata(), []);
    assert!(!telemetry.pipeline().is_enabled(), "a disabled pipeline records nothing");

    // The endpoints, mounted in an application's own server, say the metrics are off (the
    // catalog, which describes what would be recorded, is still served).
    let endpoints = flowmeter::exporter::Endpoints::default();
    for path in ["/metrics", "/metadata", "/summary"] {
        let request = hyper::Request::get(path).body(()).unwrap();
        assert_eq!(endpoints.respond(&request).status(), 503, "{path}");
    }
    let catalog = hyper::Request::get("/catalog").body(()).unwrap();
    assert_eq!(endpoints.respond(&catalog).status(), 200);
    assert_eq!(telemetry.summary(), Default::default());
}
