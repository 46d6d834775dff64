//! Families and values OpenMetrics does not allow: each is left out or written the way the
//! specification permits, and the rest of the body stays valid.

use prometheus::proto::{Metric, MetricType};

use super::{counter, family, gauge, histogram, labels, plain, summary};

#[test]
fn families_openmetrics_does_not_allow_are_left_out() {
    let kept = |name: &str| family(name, MetricType::GAUGE, vec![gauge(1.0)]);
    let mut labelled_le = histogram(&[("le", "x")], &[(1.0, 1)], 1, 1.0);
    labelled_le.set_label(labels(&[("le", "x")]));
    let mut twice = gauge(1.0);
    twice.set_label(labels(&[("a", "1"), ("a", "2")]));
    let mut bad_label = gauge(1.0);
    bad_label.set_label(labels(&[("a:b", "1")]));
    let rejected = [
        family("nan_total", MetricType::COUNTER, vec![counter(1.0), counter(f64::NAN)]),
        family("negative_total", MetricType::COUNTER, vec![counter(-1.0)]),
        family("1bad", MetricType::GAUGE, vec![gauge(1.0)]),
        family("le_labelled", MetricType::HISTOGRAM, vec![labelled_le]),
        family("repeated", MetricType::GAUGE, vec![twice]),
        family("colon_label", MetricType::GAUGE, vec![bad_label]),
        family(
            "unordered",
            MetricType::HISTOGRAM,
            vec![histogram(&[], &[(1.0, 1), (0.5, 1)], 1, 1.0)],
        ),
        family(
            "decreasing",
            MetricType::HISTOGRAM,
            vec![histogram(&[], &[(1.0, 2), (2.0, 1)], 2, 1.0)],
        ),
        family("nan_bound", MetricType::HISTOGRAM, vec![histogram(&[], &[(f64::NAN, 1)], 1, 1.0)]),
        family("over_count", MetricType::HISTOGRAM, vec![histogram(&[], &[(1.0, 3)], 2, 1.0)]),
        family(
            "inf_mismatch",
            MetricType::HISTOGRAM,
            vec![histogram(&[], &[(f64::INFINITY, 3)], 2, 1.0)],
        ),
        family("quantile_high", MetricType::SUMMARY, vec![summary(&[(1.5, 1.0)], 1, 1.0)]),
        family("quantile_negative", MetricType::SUMMARY, vec![summary(&[(0.5, -1.0)], 1, 1.0)]),
    ];
    for bad in rejected {
        let name = bad.name().to_owned();
        let body = plain(&[kept("before"), bad, kept("after")]);
        let expected = "# TYPE before gauge\nbefore 1\n# TYPE after gauge\nafter 1\n";
        assert_eq!(body, expected, "{name} is left out, the rest kept");
    }
}

#[test]
fn a_family_whose_sample_names_are_taken_is_left_out() {
    let pairs = [
        (
            family("dup_total", MetricType::COUNTER, vec![counter(1.0)]),
            family("dup", MetricType::GAUGE, vec![gauge(2.0)]),
        ),
        (
            family("dup", MetricType::GAUGE, vec![gauge(2.0)]),
            family("dup_total", MetricType::COUNTER, vec![counter(1.0)]),
        ),
        (
            family("h", MetricType::HISTOGRAM, vec![histogram(&[], &[], 0, 0.0)]),
            family("h_count", MetricType::GAUGE, vec![gauge(2.0)]),
        ),
        (
            family("s_sum", MetricType::GAUGE, vec![gauge(2.0)]),
            family("s", MetricType::SUMMARY, vec![summary(&[], 0, 0.0)]),
        ),
    ];
    for (first, second) in pairs {
        let alone = plain(std::slice::from_ref(&first));
        let (a, b) = (first.name().to_owned(), second.name().to_owned());
        assert_eq!(plain(&[first, second]), alone, "{a} then {b}");
    }
    // Different families that only look alike are both kept.
    let both = [
        family("g", MetricType::GAUGE, vec![gauge(1.0)]),
        family("g_bucket", MetricType::GAUGE, vec![gauge(2.0)]),
        family("g_total", MetricType::GAUGE, vec![gauge(3.0)]),
    ];
    assert_eq!(plain(&both).lines().filter(|l| !l.starts_with('#')).count(), 3);
}

#[test]
fn sums_openmetrics_forbids_are_left_out_with_their_count() {
    let negative_bounds = family(
        "temperature_celsius",
        MetricType::HISTOGRAM,
        vec![histogram(&[], &[(-10.0, 1), (0.0, 2), (10.0, 3)], 3, 5.0)],
    );
    let body = plain(&[negative_bounds]);
    assert_eq!(
        body,
        "# TYPE temperature_celsius histogram\n\
         temperature_celsius_bucket{le=\"-10\"} 1\n\
         temperature_celsius_bucket{le=\"0\"} 2\n\
         temperature_celsius_bucket{le=\"10\"} 3\n\
         temperature_celsius_bucket{le=\"+Inf\"} 3\n"
    );
    for sum in [f64::NAN, -1.0] {
        let body =
            plain(&[family("h", MetricType::HISTOGRAM, vec![histogram(&[], &[(1.0, 1)], 1, sum)])]);
        assert!(!body.contains("h_sum") && !body.contains("h_count"), "{body}");
        let body = plain(&[family("s", MetricType::SUMMARY, vec![summary(&[(0.5, 1.0)], 1, sum)])]);
        assert_eq!(body, "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_count 1\n");
    }
}

#[test]
fn a_counter_without_total_is_unknown_under_its_own_name() {
    let body = plain(&[family("requests", MetricType::COUNTER, vec![counter(2.0)])]);
    assert_eq!(body, "# TYPE requests unknown\nrequests 2\n");
    let body = plain(&[family("_total", MetricType::COUNTER, vec![counter(2.0)])]);
    assert_eq!(body, "# TYPE _total unknown\n_total 2\n", "no empty family name");
    let mut untyped = Metric::default();
    #[allow(deprecated)]
    {
        let mut value = prometheus::proto::Untyped::default();
        value.set_value(4.0);
        untyped.set_untyped(value);
    }
    let body = plain(&[family("legacy", MetricType::UNTYPED, vec![untyped])]);
    assert_eq!(body, "# TYPE legacy unknown\nlegacy 4\n");
}
