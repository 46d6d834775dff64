//! The API client's collector: the reference's "API Metrics" (calls per API, rate limits,
//! errors, tokens used, last response time per API, request duration).
//!
//! The reference names the metrics but not their prefix or labels. Chosen here: the `api_`
//! prefix, `status` on the per-API call counters, `api` on the shared ones, `error_type` on
//! errors and `token_type` (`input` / `output`, as the OpenTelemetry GenAI conventions split
//! usage) on tokens. Every label has a declared value set, so a typo or an unknown API is a
//! typed error instead of a new series.

use flowmeter::app::{self, AppCounter, AppGauge, AppHistogram, AppMetricError};

/// The APIs the platform calls, the declared values of every `api` label.
pub const APIS: [&str; 2] = ["deepseek", "perplexity"];

/// The declared values of the `status` label of call counters (here and in the file
/// watcher's `test_watcher_api_calls_total`). A rate-limited call is an `error`; why it
/// failed is `api_errors_total{error_type}`.
pub const CALL_STATUSES: [&str; 2] = ["success", "error"];

/// `api_request_duration_seconds` buckets (not given by the reference): LLM and search APIs
/// answer in hundreds of milliseconds to tens of seconds.
pub const REQUEST_BUCKETS: [f64; 8] = [0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// How one call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// The API answered.
    Success,
    /// The API answered 429; counted in `api_rate_limits_total` too.
    RateLimited,
    /// No answer in time.
    Timeout,
}

impl CallOutcome {
    /// The `status` label value.
    pub fn status(self) -> &'static str {
        match self {
            CallOutcome::Success => "success",
            _ => "error",
        }
    }

    /// The `error_type` label value of a failed call.
    fn error_type(self) -> Option<&'static str> {
        match self {
            CallOutcome::Success => None,
            CallOutcome::RateLimited => Some("rate_limit"),
            CallOutcome::Timeout => Some("timeout"),
        }
    }
}

/// One finished API call, as the client reports it.
#[derive(Debug, Clone, Copy)]
pub struct ApiCall {
    /// How it ended.
    pub outcome: CallOutcome,
    /// Seconds from request to response (or to giving up).
    pub seconds: f64,
    /// Prompt tokens billed (0 when the call failed).
    pub input_tokens: u64,
    /// Completion tokens billed.
    pub output_tokens: u64,
}

/// The API client's metrics. Declaring it twice is harmless: two declarations of one name
/// share one instrument (the reference needed global singletons to avoid duplicate
/// registration).
#[derive(Debug, Clone)]
pub struct ApiClientCollector {
    deepseek_calls: AppCounter,
    perplexity_calls: AppCounter,
    rate_limits: AppCounter,
    errors: AppCounter,
    tokens_used: AppCounter,
    deepseek_response_time: AppGauge,
    perplexity_response_time: AppGauge,
    request_duration: AppHistogram,
}

impl ApiClientCollector {
    /// Declares the metrics.
    pub fn new() -> Result<Self, AppMetricError> {
        let calls = |name: &str, help: &str| {
            app::counter(name)
                .help(help)
                .labels(["status"])
                .label_values("status", CALL_STATUSES)
                .build()
        };
        let response_time = |name: &str, help: &str| {
            // A duration: never negative, no upper bound.
            app::gauge(name).help(help).unit("s").range(0.0..=f64::INFINITY).build()
        };
        Ok(ApiClientCollector {
            deepseek_calls: calls("api.deepseek.calls", "Total DeepSeek API calls")?,
            perplexity_calls: calls("api.perplexity.calls", "Total Perplexity API calls")?,
            rate_limits: app::counter("api.rate_limits")
                .help("Total API calls rejected by a rate limit")
                .labels(["api"])
                .label_values("api", APIS)
                .build()?,
            errors: app::counter("api.errors")
                .help("Total failed API calls")
                .labels(["api", "error_type"])
                .label_values("api", APIS)
                .label_values("error_type", ["rate_limit", "timeout"])
                .build()?,
            tokens_used: app::counter("api.tokens_used")
                .help("Total tokens billed by the APIs")
                .labels(["api", "token_type"])
                .label_values("api", APIS)
                .label_values("token_type", ["input", "output"])
                .build()?,
            deepseek_response_time: response_time(
                "api.deepseek.response_time",
                "Response time of the last DeepSeek API call",
            )?,
            perplexity_response_time: response_time(
                "api.perplexity.response_time",
                "Response time of the last Perplexity API call",
            )?,
            request_duration: app::histogram("api.request_duration")
                .help("API request duration")
                .unit("s")
                .labels(["api"])
                .label_values("api", APIS)
                .buckets(REQUEST_BUCKETS)
                .build()?,
        })
    }

    /// Records one call to `api` (one of [`APIS`]).
    ///
    /// # Errors
    /// [`AppMetricError::LabelValue`] for an API outside [`APIS`], and
    /// [`AppMetricError::Negative`] / [`AppMetricError::NotFinite`] for a bad duration;
    /// either way nothing is recorded.
    pub fn record_call(&self, api: &str, call: &ApiCall) -> Result<(), AppMetricError> {
        // The histogram checks both inputs (the API against the declared set, the duration
        // as finite and non-negative) before recording anything, and every later recording
        // takes the same two inputs, so a rejected call records nothing anywhere.
        self.request_duration.record(call.seconds, &[api])?;
        let (calls, response_time) = match api {
            "deepseek" => (&self.deepseek_calls, &self.deepseek_response_time),
            // The only other API the declared set lets through.
            _ => (&self.perplexity_calls, &self.perplexity_response_time),
        };
        calls.inc(&[call.outcome.status()])?;
        response_time.set(call.seconds, &[])?;
        if call.input_tokens > 0 {
            self.tokens_used.add(call.input_tokens, &[api, "input"])?;
        }
        if call.output_tokens > 0 {
            self.tokens_used.add(call.output_tokens, &[api, "output"])?;
        }
        if let Some(error_type) = call.outcome.error_type() {
            self.errors.inc(&[api, error_type])?;
        }
        if call.outcome == CallOutcome::RateLimited {
            self.rate_limits.inc(&[api])?;
        }
        Ok(())
    }
}
