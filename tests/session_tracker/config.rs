//! The session tracker's configuration and command line: the port the OS picks, the
//! metrics path from the environment, listen address and path from a config file, the
//! disabled mode, usage errors. Part of `tests/session_tracker_example.rs`.

use super::*;

#[test]
fn port_zero_serves_on_a_port_the_os_picks() {
    let mut command = session_tracker();
    // --port wins over the environment (the builder is first in precedence).
    command.args(["--port", "0", "--workload", "fixed"]).env("FLOWMETER_LISTEN", "127.0.0.1:1");
    let serving = serve(command);
    assert_ne!(serving.addr.port(), 0, "{}", serving.line);
    assert_eq!(serving.line, format!("serving http://{}/metrics", serving.addr));
    let scraped = parse(&http_get(serving.addr, "/metrics").body);
    assert_eq!(scraped.value("session_quality_score", &[("component_name", "mahavishnu")]), 85.5);
}

#[test]
fn the_metrics_path_comes_from_the_environment() {
    let port = free_port();
    let mut command = session_tracker();
    command.env("FLOWMETER_LISTEN", format!("127.0.0.1:{port}"));
    command.env("FLOWMETER_METRICS_PATH", "/custom");
    let serving = serve(command);
    assert_eq!(serving.line, format!("serving http://127.0.0.1:{port}/custom"));
    let custom = http_get(serving.addr, "/custom");
    assert_eq!(custom.status, 200);
    assert!(custom.body.contains("session_start_total{"), "{}", custom.body);
    assert_eq!(http_get(serving.addr, "/metrics").status, 404);
}

#[test]
fn listen_and_path_come_from_a_config_file() {
    let dir = TempDir::new("session-config");
    let port = free_port();
    let file = dir.path().join("session-buddy.toml");
    let toml = format!(
        "# the reference's settings: port 9090, path /metrics, enabled\n\
         enabled = true\nlisten = \"127.0.0.1:{port}\"\nmetrics_path = \"/prometheus\"\n"
    );
    std::fs::write(&file, toml).unwrap();

    // Through FLOWMETER_CONFIG ...
    let mut command = session_tracker();
    command.env("FLOWMETER_CONFIG", &file);
    let serving = serve(command);
    assert_eq!(serving.line, format!("serving http://127.0.0.1:{port}/prometheus"));
    assert!(http_get(serving.addr, "/prometheus").body.contains("session_quality_score{"));
    drop(serving);

    // ... and through --config, where the environment still wins over the file.
    let other_port = free_port();
    let mut command = session_tracker();
    command.arg("--config").arg(&file).env("FLOWMETER_LISTEN", format!("127.0.0.1:{other_port}"));
    let serving = serve(command);
    assert_eq!(serving.line, format!("serving http://127.0.0.1:{other_port}/prometheus"));
}

#[test]
fn disabled_metrics_run_the_workload_bind_nothing_and_exit_cleanly() {
    let dir = TempDir::new("session-disabled");
    let file = dir.path().join("disabled.toml");
    std::fs::write(&file, "enabled = false\n").unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let from_env = session_tracker()
        .env("FLOWMETER_ENABLED", "false")
        .env("FLOWMETER_LISTEN", &listen)
        .output()
        .unwrap();
    let from_file = session_tracker()
        .arg("--config")
        .arg(&file)
        .env("FLOWMETER_LISTEN", &listen)
        .output()
        .unwrap();
    for output in [from_env, from_file] {
        assert!(output.status.success(), "{output:?}");
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert_eq!(String::from_utf8_lossy(&output.stderr), "", "no error output");
        assert_eq!(
            stdout,
            "metrics disabled: handled 10 session events (2 sessions active); \
             nothing recorded, nothing served\n"
        );
        assert!(!stdout.contains("serving"), "{stdout}");
    }
    // Nothing listened: the port is still free to bind.
    std::net::TcpListener::bind(listen).expect("the example left the port unbound");
}

#[test]
fn an_unknown_argument_is_a_usage_error() {
    for (args, message) in [
        (&["--host"][..], "unknown argument `--host`"),
        (&["--port"], "--port needs a value"),
        (&["--workload", "busy"], "unknown workload `busy`"),
        (&["--workload"], "--workload needs a value"),
        (&["--interval-ms", "0"], "--interval-ms takes a whole number of milliseconds above 0"),
        (&["--interval-ms", "soon"], "not `soon`"),
        (&["--port", "65536"], "--port takes a port number (0 to 65535), not `65536`"),
    ] {
        let output = session_tracker().args(args).output().unwrap();
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains(message) && stderr.contains("usage:"), "{args:?}: {stderr}");
    }
}
