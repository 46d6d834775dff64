//! Checking label values against a declaration and turning them into attributes.

use opentelemetry::KeyValue;

use super::error::AppMetricError;
use super::spec::Spec;
use crate::metrics::rejected;

impl Spec {
    /// Checks `values` (one per declared label, in order) and returns the attributes.
    pub(crate) fn attributes(&self, values: &[&str]) -> Result<Vec<KeyValue>, AppMetricError> {
        self.check_labels(values)?;
        Ok(self
            .labels
            .iter()
            .zip(values)
            .map(|(label, value)| KeyValue::new(label.key.clone(), (*value).to_owned()))
            .collect())
    }

    /// Counts `error` in `ns.measurements.rejected` when it refuses a measurement, and
    /// returns it: every validation error of a recording path goes through here.
    pub(crate) fn rejected(&self, error: AppMetricError) -> AppMetricError {
        if let Some(reason) = error.rejection() {
            rejected::count(&self.name, reason, &error);
        }
        error
    }

    /// Checks label arity and declared value sets.
    pub(crate) fn check_labels(&self, values: &[&str]) -> Result<(), AppMetricError> {
        self.check_label_values(values).map_err(|error| self.rejected(error))
    }

    fn check_label_values(&self, values: &[&str]) -> Result<(), AppMetricError> {
        if values.len() != self.labels.len() {
            return Err(AppMetricError::LabelArity {
                metric: self.name.clone(),
                expected: self.labels.len(),
                got: values.len(),
                labels: self.labels.iter().map(|l| l.name.as_str()).collect::<Vec<_>>().join(","),
            });
        }
        for (label, value) in self.labels.iter().zip(values) {
            if let Some(allowed) = &label.allowed
                && !allowed.iter().any(|a| a == value)
            {
                return Err(AppMetricError::LabelValue {
                    metric: self.name.clone(),
                    label: label.name.clone(),
                    value: (*value).to_owned(),
                    allowed: allowed.clone(),
                });
            }
        }
        Ok(())
    }

    /// Rejects NaN and infinities.
    pub(crate) fn check_finite(&self, value: f64) -> Result<(), AppMetricError> {
        if value.is_finite() {
            Ok(())
        } else {
            Err(self.rejected(AppMetricError::NotFinite { metric: self.name.clone(), value }))
        }
    }
}
