//! Price files (TOML and JSON) overriding built-ins, and their errors.

use super::date;
use crate::llm::{PriceFileError, PriceTable};

const OVERRIDE_TOML: &str = r#"
# Our negotiated gpt-4o price, and a fine-tune priced through a prefix rule.
[[price]]
provider = "openai"
model = "gpt-4o"
input = 2.0
cache_read = 1.0
output = 8.0

[[price]]
provider = "openai"
model = "ft-summarizer"
input = 3.75
output = 15.0
effective_from = 2025-01-01

[[prefix]]
provider = "openai"
prefix = "ft:gpt-4o-mini:"
model = "gpt-4o-mini"
"#;

const OVERRIDE_JSON: &str = r#"{
  "price": [
    {"provider": "openai", "model": "gpt-4o", "input": 2.0, "cache_read": 1.0, "output": 8.0},
    {"provider": "openai", "model": "ft-summarizer", "input": 3.75, "output": 15.0,
     "effective_from": "2025-01-01"}
  ],
  "prefix": [{"provider": "openai", "prefix": "ft:gpt-4o-mini:", "model": "gpt-4o-mini"}]
}"#;

fn check_overridden(t: &PriceTable) {
    let on = |d| date(d);
    // gpt-4o's whole built-in history is replaced: 2.00 on any date.
    for d in ["2024-06-01", "2025-06-01"] {
        let p = t.resolve("openai", "gpt-4o", on(d)).unwrap().price;
        assert_eq!((p.input.as_usd_per_mtok(), p.output.as_usd_per_mtok()), (2.0, 8.0), "{d}");
        assert_eq!(p.cache_read_rate().as_usd_per_mtok(), 1.0);
    }
    // Snapshots still reach it through the built-in prefix rule.
    assert_eq!(
        t.resolve("openai", "gpt-4o-2024-11-20", on("2025-06-01"))
            .unwrap()
            .price
            .input
            .as_usd_per_mtok(),
        2.0
    );
    // Untouched built-ins stay.
    assert_eq!(
        t.resolve("openai", "o3-mini", on("2025-06-01")).unwrap().price.input.as_usd_per_mtok(),
        1.1
    );
    // New model, with its effective date.
    assert!(t.resolve("openai", "ft-summarizer", on("2024-12-31")).is_none());
    assert_eq!(
        t.resolve("openai", "ft-summarizer", on("2025-01-01"))
            .unwrap()
            .price
            .input
            .as_usd_per_mtok(),
        3.75
    );
    // A file prefix rule may target a built-in model.
    assert_eq!(
        t.resolve("openai", "ft:gpt-4o-mini:acme::abc123", on("2025-06-01")).unwrap().model,
        "gpt-4o-mini"
    );
}

#[test]
fn toml_and_json_files_override_builtin_prices() {
    check_overridden(&PriceTable::builtin().with_toml(OVERRIDE_TOML, "prices.toml").unwrap());
    check_overridden(&PriceTable::builtin().with_json(OVERRIDE_JSON, "prices.json").unwrap());
    assert_eq!(
        PriceTable::new().with_toml(OVERRIDE_TOML, "a").unwrap_err().to_string(),
        "price file a, line 17, prefix[0] (openai/ft:gpt-4o-mini:): `model` \"gpt-4o-mini\" has no price for provider \"openai\""
    );
}

#[test]
fn with_file_picks_the_format_by_extension() {
    let dir = std::env::temp_dir().join(format!("flowmeter-llm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (toml, json, txt) = (dir.join("p.toml"), dir.join("p.json"), dir.join("p.txt"));
    std::fs::write(&toml, OVERRIDE_TOML).unwrap();
    std::fs::write(&json, OVERRIDE_JSON).unwrap();
    std::fs::write(&txt, OVERRIDE_JSON).unwrap();
    check_overridden(&PriceTable::builtin().with_file(&toml).unwrap());
    check_overridden(&PriceTable::builtin().with_file(&json).unwrap());
    let e = PriceTable::builtin().with_file(&txt).unwrap_err();
    assert!(e.message().contains("*.toml or *.json"), "{e}");
    let e = PriceTable::builtin().with_file(dir.join("missing.toml")).unwrap_err();
    assert!(e.file().ends_with("missing.toml"));
    assert!(std::error::Error::source(&e).is_some());
    std::fs::remove_dir_all(&dir).unwrap();
}

fn toml_err(text: &str) -> PriceFileError {
    PriceTable::builtin().with_toml(text, "prices.toml").unwrap_err()
}

const GOOD: &str = "[[price]]\nprovider = \"openai\"\nmodel = \"a\"\ninput = 1.0\noutput = 2.0\n\n";

#[test]
fn malformed_toml_names_file_line_entry_and_field() {
    let cases: &[(&str, usize, Option<&str>, &str)] = &[
        (
            "[[price]]\nprovider = \"openai\"\nmodel = \"b\"\ninput = -1.0\noutput = 2.0\n",
            10,
            Some("price[1]"),
            "`input`: invalid price -1 USD per million tokens: negative",
        ),
        (
            "[[price]]\nprovider = \"openai\"\nmodel = \"b\"\ninput = 1.0\noutput = \"ten\"\n",
            11,
            Some("price[1]"),
            "invalid type: string \"ten\", expected f64",
        ),
        (
            "[[price]]\nprovider = \"openai\"\nmodel = \"b\"\ninput = 1.0\noutput = 2.0\ncache_reed = 1.0\n",
            12,
            Some("price[1]"),
            "unknown field `cache_reed`",
        ),
        (
            "[[price]]\nprovider = \"openai\"\nmodel = \"b\"\ninput = 1.0\n",
            7,
            Some("price[1]"),
            "missing field `output`",
        ),
        (
            "[[price]]\nprovider = \"openai\"\nmodel = \"b\"\ninput = 1.0\noutput = 2.0\neffective_from = \"2025-02-30\"\n",
            12,
            Some("price[1]"),
            "`effective_from`: invalid date \"2025-02-30\"",
        ),
        (
            "[[price]]\nprovider = \"\"\nmodel = \"b\"\ninput = 1.0\noutput = 2.0\n",
            8,
            Some("price[1]"),
            "`provider` must not be empty",
        ),
        (
            "[[price]]\nprovider = \"openai\"\nmodel = \"a\"\ninput = 3.0\noutput = 4.0\n",
            7,
            Some("price[1] (openai/a)"),
            "duplicate of price[0]",
        ),
        (
            "[[prefix]]\nprovider = \"openai\"\nprefix = \"zz-\"\nmodel = \"nope\"\n",
            7,
            Some("prefix[0] (openai/zz-)"),
            "`model` \"nope\" has no price",
        ),
        ("[[price]\n", 7, None, "unclosed array"),
        (
            "[[price]]\nprovider = \"openai\"\nmodel = \"b\"\ninput = 1.0\noutput = 2.0\neffective_from = 2025-01-01T10:00:00Z\n",
            12,
            Some("price[1]"),
            "`effective_from`: 2025-01-01T10:00:00Z is not a plain date",
        ),
    ];
    for (tail, line, entry, message) in cases {
        let e = toml_err(&format!("{GOOD}{tail}"));
        assert_eq!(e.file(), "prices.toml");
        assert_eq!(e.line(), Some(*line), "{e}");
        match entry {
            Some(entry) => assert!(e.entry().is_some_and(|x| x.starts_with(entry)), "{e}"),
            None => assert_eq!(e.entry(), None, "{e}"),
        }
        assert!(e.message().contains(message), "{e}");
    }
    let e = toml_err(&format!(
        "{GOOD}[[price]]\nprovider = \"openai\"\nmodel = \"b\"\ninput = -1.0\noutput = 2.0\n"
    ));
    assert_eq!(
        e.to_string(),
        "price file prices.toml, line 10, price[1]: `input`: invalid price -1 USD per million tokens: negative"
    );
}

#[test]
fn malformed_json_names_file_line_and_field() {
    let e = PriceTable::builtin()
        .with_json("{\"price\": [\n {\"provider\": \"openai\", \"model\": \"m\",\n  \"input\": 1e9, \"output\": 1}\n]}", "p.json")
        .unwrap_err();
    assert_eq!((e.file(), e.line()), ("p.json", Some(3)));
    assert!(
        e.message()
            .starts_with("`input`: invalid price 1000000000 USD per million tokens: above the cap"),
        "{e}"
    );
    let e = PriceTable::builtin().with_json("{\"prices\": []}", "p.json").unwrap_err();
    assert!(e.message().contains("unknown field `prices`"), "{e}");
    let e = PriceTable::builtin()
        .with_json(r#"{"price": [{"provider": "a", "model": "m", "input": 1, "output": 1}, {"provider": "a", "model": "m", "input": 2, "output": 1}]}"#, "p.json")
        .unwrap_err();
    assert_eq!(e.entry(), Some("price[1] (a/m)"));
}
