//! [`TelemetryBuilder::install`]: resolving the configuration from its layers, building the
//! OpenTelemetry providers and the Prometheus bridge, and publishing the pipeline.

use std::path::PathBuf;

use opentelemetry::KeyValue;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;

use super::TelemetryBuilder;
use crate::error::Error;
use crate::error::Origin;
use crate::exporter::{Endpoints, MetricsServer, ServerOptions};
use crate::pipeline::Pipeline;
use crate::pipeline::cardinality;
use crate::sampling::SpanPolicy;
use crate::sampling::ids::PeekedIds;
use crate::telemetry::config::{self, Layer, RawConfig};
use crate::telemetry::guard::Telemetry;

impl TelemetryBuilder {
    /// Resolves the configuration, installs the pipeline for the process and, unless
    /// `serve(false)`, starts the endpoint.
    ///
    /// # Errors
    /// [`Error::Config`] for an invalid value (naming the field, value and source; secrets
    /// show as `<redacted>`), [`Error::Tls`] for an unusable certificate or key file,
    /// [`Error::Bind`] when the address cannot be listened on, and
    /// [`Error::AlreadyInstalled`] on a second install in one process.
    pub fn install(self) -> Result<Telemetry, Error> {
        let config = self.resolve_config()?;
        if let Some(reason) = cardinality::invalid(self.cardinality_limit) {
            let limit = self.cardinality_limit.to_string();
            return Err(config::error("cardinality_limit", &limit, &Origin::Builder, reason).into());
        }
        // Bind before publishing anything, so a busy port leaves the process uninstalled.
        let server =
            if config.enabled && config.serve { Some(bind_server(&config)?) } else { None };

        let resource = self.resource();
        #[cfg(feature = "otlp")]
        let otlp = if config.enabled {
            crate::otlp::parts(self.otlp.as_ref(), self.read_env)?
        } else {
            None
        };
        // One sampler, asked by flowmeter before a span exists and by the SDK when it starts;
        // root trace ids come from `PeekedIds`, so both see the same id (see `sampling`).
        let spans = match self.custom_sampler {
            Some(custom) => SpanPolicy::custom(custom),
            None => SpanPolicy::standard(config.sampler),
        };
        let tracer = self.tracer.with_sampler(spans.sdk_sampler()).with_id_generator(PeekedIds);
        let meter_provider = SdkMeterProvider::builder();
        #[cfg(feature = "otlp")]
        let (tracer, meter_provider, otlp) = crate::otlp::attach(otlp, tracer, meter_provider);
        let registry = prometheus::Registry::new();
        let bridge = opentelemetry_prometheus::exporter()
            .with_registry(registry.clone())
            .scope_info_enabled(false)
            .build()
            .map_err(|e| Error::OpenTelemetry(e.to_string()))?;
        let meter_provider = meter_provider
            .with_resource(resource.clone())
            .with_reader(bridge)
            .with_view(cardinality::view(self.cardinality_limit))
            .build();
        let tracer_provider = tracer.with_resource(resource).build();

        // Before any of flowmeter's instruments exists (the view reads the limits then).
        crate::metrics::limits::declare_own(&config.namespace, self.cardinality_limit);
        let pipeline = Pipeline::new(
            config.enabled,
            config.namespace.clone(),
            meter_provider,
            registry,
            tracer_provider,
            spans,
        )
        .with_exemplars(config.exemplars);
        // Before publishing, so a failure leaves the process uninstalled.
        #[cfg(feature = "system")]
        crate::system::register_configured(
            &pipeline,
            config.process_metrics,
            config.system_metrics,
        )?;
        let pipeline = match pipeline.publish() {
            Ok(pipeline) => pipeline,
            Err(error) => {
                // The refused pipeline was flushed and shut down; its exporters' runtime goes
                // after it, as the guard's drop does it for an installed one.
                #[cfg(feature = "otlp")]
                if let Some(otlp) = &otlp {
                    otlp.shutdown();
                }
                return Err(error);
            }
        };
        crate::metrics::warm_up(pipeline);
        let telemetry = Telemetry::new(
            config,
            pipeline,
            server,
            #[cfg(feature = "otlp")]
            otlp,
        );
        let own_subscriber = pipeline.is_enabled()
            && self.install_subscriber
            && telemetry.install_global_subscriber();
        pipeline.spans().set_skip_unsampled(self.skip_unsampled_spans.unwrap_or(own_subscriber));
        if let Some(server) = telemetry.server() {
            server.start()?;
        }
        Ok(telemetry)
    }

    fn resolve_config(&self) -> Result<config::Config, Error> {
        let mut layers: Vec<Layer> = vec![(self.raw.clone(), Origin::Builder)];
        if self.read_env {
            layers.push((
                RawConfig::from_env(|name| std::env::var(name).ok()),
                Origin::Env("FLOWMETER_*"),
            ));
        }
        let file = layers
            .iter()
            .find_map(|(raw, origin)| raw.config_file.clone().map(|f| (f, origin.clone())));
        if let Some((path, origin)) = file {
            let path = PathBuf::from(path);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                let reason = format!("cannot read it: {e}");
                config::error("config_file", &path.display().to_string(), &origin, reason)
            })?;
            layers.push((RawConfig::from_toml(&path, &text)?, Origin::File(path)));
        }
        // Name the exact variable in env errors.
        config::resolve(&layers, self.allow_port_zero).map_err(|mut e| {
            if let Origin::Env(_) = e.origin
                && let Some((var, _)) = config::ENV_VARS.iter().find(|(_, f)| *f == e.field)
            {
                e.origin = Origin::Env(var);
            }
            Error::Config(e)
        })
    }

    fn resource(&self) -> Resource {
        // Resource::builder() reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; the
        // builder's own values are added after, so they win.
        let mut resource = Resource::builder();
        if let Some(name) = &self.service_name {
            resource = resource.with_service_name(name.clone());
        }
        if let Some(version) = &self.service_version {
            resource = resource.with_attribute(KeyValue::new("service.version", version.clone()));
        }
        resource.with_attributes(self.resource_attributes.clone()).build()
    }
}

/// Binds the built-in endpoint as configured: its path, credentials and TLS files (loaded
/// here, so a bad file fails the install before anything is published).
fn bind_server(config: &config::Config) -> Result<MetricsServer, Error> {
    let endpoints = Endpoints::new(config.metrics_path.as_str()).auth(config.auth.clone());
    #[cfg_attr(not(feature = "tls"), expect(unused_mut, reason = "set only with TLS"))]
    let mut options = ServerOptions::default();
    #[cfg(feature = "tls")]
    if let Some(files) = &config.tls {
        options = options.tls(crate::exporter::TlsConfig::load(files)?);
    }
    MetricsServer::bind_endpoints(config.listen, endpoints, options)
}
