//! End to end against a real Prometheus (Debian's `prometheus`, on a free loopback port, with
//! temporary storage and a 1 s scrape interval): this process serves its metrics behind a
//! bearer token and basic credentials, and Prometheus scrapes it with jobs configured the way
//! a user would:
//!
//! - `authorization: { credentials_file }`: up, and a flowmeter series is queryable;
//! - `basic_auth: { username, password_file }`: up;
//! - no credentials, or a wrong token: down, with `401` in the target's `lastError`;
//! - with the `tls` feature, a second endpoint on HTTPS, scraped with `scheme: https`,
//!   `tls_config: { ca_file }` and the token: up.
//!
//! Without `prometheus` on PATH the test fails under `CI` and says why it skips otherwise.
//! Prometheus is killed and the temporary directory removed on every exit path.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::prometheus::{Prometheus, api, query_one};
use common::{TempDir, tool_available};
use flowmeter::{Telemetry, instrumented};

const TOKEN: &str = "e2e-bearer-token-4f9c";
const USER: &str = "prometheus";
const PASSWORD: &str = "e2e-basic-password-7d2a";

/// How many times the instrumented function runs before Prometheus scrapes.
const CALLS: u32 = 7;

#[instrumented(span = false)]
fn e2e_work(n: u32) -> u32 {
    n + 1
}

/// Per job: (health, lastError) of its one target, once every target has been scraped.
fn scraped_targets(prometheus: SocketAddr, jobs: &[&str]) -> Option<Vec<(String, String)>> {
    let json = api(prometheus, "/api/v1/targets?state=active")?;
    let targets = json["data"]["activeTargets"].as_array()?;
    jobs.iter()
        .map(|job| {
            let target = targets.iter().find(|t| t["labels"]["job"] == *job)?;
            let health = target["health"].as_str()?;
            (health != "unknown")
                .then(|| (health.to_owned(), target["lastError"].as_str().unwrap_or("").to_owned()))
        })
        .collect()
}

fn wait_for<T>(what: &str, probe: impl FnMut() -> Option<T>) -> T {
    common::prometheus::wait_for(what, Duration::from_secs(60), probe)
}

fn job(name: &str, target: SocketAddr, extra: &str) -> String {
    format!("  - job_name: {name}\n{extra}    static_configs:\n      - targets: [\"{target}\"]\n")
}

/// An HTTPS endpoint behind the token, and the scrape job for it (`tls` feature).
#[cfg(feature = "tls")]
fn tls_endpoint(dir: &std::path::Path) -> (flowmeter::exporter::MetricsServer, String) {
    use flowmeter::exporter::{Endpoints, MetricsServer, ServerOptions, TlsConfig};
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    std::fs::write(dir.join("ca.pem"), ca_params.self_signed(&ca_key).unwrap().pem()).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let cert = CertificateParams::new(names).unwrap().signed_by(&key, &issuer).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();

    let tls = TlsConfig::from_pem_files(dir.join("cert.pem"), dir.join("key.pem")).unwrap();
    let server = MetricsServer::bind_endpoints(
        "127.0.0.1:0".parse().unwrap(),
        Endpoints::new("/metrics").bearer_token(TOKEN),
        ServerOptions::default().tls(tls),
    )
    .unwrap();
    let addr = server.start().unwrap();
    let extra = format!(
        "    scheme: https\n    tls_config:\n      ca_file: {}\n    authorization:\n      \
         credentials_file: {}\n",
        dir.join("ca.pem").display(),
        dir.join("token").display()
    );
    (server, job("tls_with_token", addr, &extra))
}

#[test]
fn a_real_prometheus_scrapes_the_protected_endpoint_only_with_credentials() {
    if !tool_available("prometheus") {
        return;
    }
    let dir = TempDir::new("auth-e2e");
    std::fs::write(dir.path().join("token"), format!("{TOKEN}\n")).unwrap();
    std::fs::write(dir.path().join("password"), PASSWORD).unwrap();

    let telemetry = Telemetry::builder()
        .ephemeral_port()
        .ignore_env()
        .install_subscriber(false)
        .bearer_token_file(dir.path().join("token"))
        .basic_auth_file(USER, dir.path().join("password"))
        .install()
        .expect("install telemetry");
    for n in 0..CALLS {
        e2e_work(n);
    }
    let target = telemetry.local_addr().expect("serving");

    let token_file = dir.path().join("token").display().to_string();
    let password_file = dir.path().join("password").display().to_string();
    let mut config = String::from("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n");
    config.push_str("scrape_configs:\n");
    let with_token = format!("    authorization:\n      credentials_file: {token_file}\n");
    config.push_str(&job("with_token", target, &with_token));
    let basic =
        format!("    basic_auth:\n      username: {USER}\n      password_file: {password_file}\n");
    config.push_str(&job("with_basic_auth", target, &basic));
    config.push_str(&job("without_credentials", target, ""));
    let wrong = "    authorization:\n      credentials: not-the-token\n";
    config.push_str(&job("with_a_wrong_token", target, wrong));
    #[cfg_attr(not(feature = "tls"), expect(unused_mut, reason = "the TLS job adds one"))]
    let mut jobs =
        vec!["with_token", "with_basic_auth", "without_credentials", "with_a_wrong_token"];
    #[cfg(feature = "tls")]
    let _tls_server = {
        let (server, tls_job) = tls_endpoint(dir.path());
        config.push_str(&tls_job);
        jobs.push("tls_with_token");
        server
    };
    std::fs::write(dir.path().join("prometheus.yml"), &config).unwrap();

    let server = Prometheus::start(dir.path());
    let prometheus = server.addr;

    let targets = wait_for("every target to be scraped", || scraped_targets(prometheus, &jobs));
    let report: Vec<_> = jobs.iter().zip(&targets).collect();
    for (job, (health, last_error)) in &report {
        let allowed = !job.starts_with("without") && !job.contains("wrong");
        if allowed {
            assert_eq!((health.as_str(), last_error.as_str()), ("up", ""), "{job}: {config}");
        } else {
            assert_eq!(health, "down", "{job}");
            assert!(last_error.contains("401"), "{job}: lastError {last_error:?}");
        }
    }

    // The same through PromQL: `up` per job, and flowmeter's own series, exact.
    for (job, up) in [("with_token", 1.0), ("with_basic_auth", 1.0), ("without_credentials", 0.0)] {
        let value = wait_for(&format!("up of {job}"), || {
            query_one(prometheus, &format!("up{{job=\"{job}\"}}"))
        });
        assert_eq!(value, up, "up{{job=\"{job}\"}}");
    }
    let executions = "flowmeter_primitive_executions_total{job=\"with_token\",\
                      primitive_name=\"e2e_work\",status=\"success\"}";
    let value = wait_for("the flowmeter series", || query_one(prometheus, executions));
    assert_eq!(value, f64::from(CALLS), "{executions}");
    let unauthorized = "count(target_info{job=\"without_credentials\"})";
    assert_eq!(
        query_one(prometheus, unauthorized),
        None,
        "nothing was ingested without credentials"
    );
    eprintln!("targets: {report:?}");
}
