//! The README's metric table is the catalog: same names, types and labels, same order.

use flowmeter::metrics::catalog;

#[test]
fn readme_metric_table_matches_the_catalog() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let rows: Vec<Vec<String>> = readme
        .lines()
        .skip_while(|l| !l.starts_with("| OpenTelemetry instrument"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|').split('|').map(|c| c.trim().trim_matches('`').to_owned()).collect()
        })
        .collect();
    let expected: Vec<Vec<String>> = catalog::list("flowmeter")
        .into_iter()
        .map(|m| vec![m.name, m.prometheus_name, m.prometheus_type.to_owned(), m.labels.join(", ")])
        .collect();
    assert_eq!(rows, expected);
}
