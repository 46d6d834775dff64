use std::time::Duration;

use super::*;
use crate::GenerateConfig;

fn alert_named<'a>(file: &'a RuleFile, name: &str) -> &'a Alert {
    file.rules()
        .find_map(|r| match r {
            Rule::Alert(a) if a.alert == name => Some(a),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no alert {name}"))
}

#[test]
fn every_alert_has_severity_summary_description_and_for() {
    let file = alerts(&RuleNames::new("flowmeter"), &AlertSettings::default());
    assert_eq!(file.rules().count(), 12);
    for rule in file.rules() {
        let Rule::Alert(a) = rule else { panic!("only alerts: {rule:?}") };
        assert!(a.alert.starts_with("Flowmeter"), "{}", a.alert);
        assert!(["page", "ticket", "warning"].contains(&a.labels["severity"].as_str()));
        assert!(a.annotations.contains_key("summary") && a.annotations.contains_key("description"));
        assert!(a.for_.is_some());
    }
}

#[test]
fn target_down_selects_the_generated_scrape_job() {
    for alerts in
        [AlertSettings::default(), AlertSettings::builder().scrape_job("api").build().unwrap()]
    {
        let job = alerts.scrape_job().to_owned();
        let files = crate::generate(&GenerateConfig { alerts, ..GenerateConfig::default() });
        let file = |suffix: &str| files.iter().find(|f| f.path.ends_with(suffix)).unwrap();
        let prometheus = &file("prometheus.yml").contents;
        assert!(prometheus.contains(&format!("job_name: {job}\n")), "{prometheus}");
        let rules = &file("flowmeter.alerts.yml").contents;
        assert!(rules.contains(&format!("up{{job=\"{job}\"}} == 0")), "{rules}");
    }
}

#[test]
fn defaults_are_the_values_flowmeter_shipped_with() {
    let file = alerts(&RuleNames::new("flowmeter"), &AlertSettings::default());
    let expr_for = |name: &str| {
        let a = alert_named(&file, &format!("Flowmeter{name}"));
        (a.expr.clone(), a.for_.clone().unwrap())
    };
    let (expr, for_) = expr_for("PrimitiveErrorRatioHigh");
    assert!(expr.ends_with(" > 0.05") && for_ == "10m", "{expr} {for_}");
    let (expr, for_) = expr_for("WorkflowLatencyHigh");
    assert!(expr.ends_with(" > 10") && for_ == "15m", "{expr} {for_}");
    let (expr, for_) = expr_for("CacheHitRatioFalling");
    assert!(expr.contains("< 0.5 * ") && for_ == "30m", "{expr} {for_}");
    let (expr, for_) = expr_for("LlmSpendHigh");
    assert!(expr.ends_with(" > 10") && for_ == "15m", "{expr} {for_}");
    let (expr, for_) = expr_for("LlmBudgetLow");
    assert!(expr.contains("\n< 0.2\n") && for_ == "5m", "{expr} {for_}");
    let (expr, for_) = expr_for("LlmBudgetBurnRateHigh");
    assert!(expr.contains("[1h:1m]") && for_ == "15m", "{expr} {for_}");
    assert_eq!(expr_for("TargetDown").1, "5m");
    assert_eq!(expr_for("MetricsAbsent").1, "15m");
}

#[test]
fn every_setting_reaches_its_alert() {
    let settings = AlertSettings::builder()
        .error_ratio_threshold(0.125)
        .error_ratio_for(Duration::from_secs(60))
        .latency_p95_threshold_seconds(2.5)
        .latency_for(Duration::from_secs(90))
        .cache_hit_ratio_drop(0.25)
        .cache_hit_ratio_for(Duration::from_secs(7200))
        .llm_spend_dollars_per_hour(0.5)
        .llm_spend_for(Duration::from_millis(1500))
        .budget_remaining_share(0.1)
        .budget_low_for(Duration::from_secs(120))
        .budget_burn_window(Duration::from_secs(6 * 3600))
        .budget_burn_for(Duration::from_secs(1800))
        .target_down_for(Duration::from_secs(30))
        .metrics_absent_for(Duration::from_secs(86_400))
        .scrape_job("checkout-api")
        .build()
        .unwrap();
    let file = alerts(&RuleNames::new("tta"), &settings);
    let get = |name: &str| alert_named(&file, &format!("Tta{name}"));
    let has = |name: &str, expr_part: &str, for_: &str| {
        let a = get(name);
        assert!(a.expr.contains(expr_part), "{name}: {} lacks {expr_part}", a.expr);
        assert_eq!(a.for_.as_deref(), Some(for_), "{name}");
    };
    has("PrimitiveErrorRatioHigh", " > 0.125", "1m");
    has("WorkflowErrorRatioHigh", " > 0.125", "1m");
    has("PrimitiveLatencyHigh", " > 2.5", "1m30s");
    has("WorkflowLatencyHigh", " > 2.5", "1m30s");
    has("CacheHitRatioFalling", "< 0.25 * ", "2h");
    has("LlmSpendHigh", " > 0.5", "1s500ms");
    has("LlmBudgetLow", "\n< 0.1\n", "2m");
    has("LlmBudgetBurnRateHigh", "[6h:1m]", "30m");
    has("TargetDown", "up{job=\"checkout-api\"}", "30s");
    has("MetricsAbsent", "absent(", "1d");
    assert!(get("PrimitiveErrorRatioHigh").annotations["description"].contains("12.5%"));
    assert!(get("LlmBudgetLow").annotations["description"].contains("threshold 10%"));
    assert!(get("LlmBudgetBurnRateHigh").annotations["description"].contains("last 6h"));
    assert!(get("TargetDown").annotations["description"].contains("job checkout-api"));
}

#[test]
fn bad_values_are_named_errors() {
    let b = AlertSettings::builder;
    let out_of_range = |r: Result<AlertSettings, AlertSettingsError>, name: &str| match r {
        Err(AlertSettingsError::OutOfRange { setting, .. }) => assert_eq!(setting, name),
        other => panic!("{name}: {other:?}"),
    };
    out_of_range(b().budget_remaining_share(-0.1).build(), "budget_remaining_share");
    out_of_range(b().budget_remaining_share(1.5).build(), "budget_remaining_share");
    out_of_range(b().budget_remaining_share(f64::NAN).build(), "budget_remaining_share");
    out_of_range(b().error_ratio_threshold(1.0).build(), "error_ratio_threshold");
    out_of_range(b().latency_p95_threshold_seconds(0.0).build(), "latency_p95_threshold_seconds");
    out_of_range(b().cache_hit_ratio_drop(0.0).build(), "cache_hit_ratio_drop");
    out_of_range(b().llm_spend_dollars_per_hour(-1.0).build(), "llm_spend_dollars_per_hour");
    assert!(b().budget_remaining_share(0.0).build().is_ok());
    assert!(b().budget_remaining_share(1.0).build().is_ok());

    let error = b().scrape_job("").build().unwrap_err();
    assert_eq!(error, AlertSettingsError::ScrapeJob(String::new()));
    assert!(error.to_string().contains("scrape_job"), "{error}");
    for bad in ["-x", "a b", "a\"b", "a\nb", "job}"] {
        assert!(b().scrape_job(bad).build().is_err(), "{bad:?}");
    }
    assert!(b().scrape_job("kubernetes-pods/api_v2:9464").build().is_ok());

    let error = b().latency_for(Duration::ZERO).build().unwrap_err();
    assert!(matches!(error, AlertSettingsError::BadDuration { setting: "latency_for", .. }));
    assert!(b().target_down_for(Duration::from_micros(1500)).build().is_err());
    let error = b().budget_burn_window(Duration::from_secs(90)).build().unwrap_err();
    assert_eq!(
        error.to_string(),
        "alert setting budget_burn_window must be at least 2m, got 1m30s"
    );
    let error = b().budget_remaining_share(1.5).build().unwrap_err();
    let message = "alert setting budget_remaining_share must be in [0, 1], got 1.5";
    assert_eq!(error.to_string(), message);
}
