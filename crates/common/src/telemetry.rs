//! Logs and traces: structured logs always; OTLP trace export only when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set, otherwise no exporter exists and nothing is sent.

use std::io::IsTerminal;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::StartupError;
use crate::flags::{CommonFlags, LogFormat};

/// Keeps the trace pipeline alive; [`Telemetry::shutdown`] flushes pending spans.
pub struct Telemetry {
    tracer_provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Flushes and stops trace export (a no-op when no exporter is configured).
    pub fn shutdown(self) {
        if let Some(provider) = self.tracer_provider
            && let Err(error) = provider.shutdown()
        {
            tracing::warn!(%error, "trace exporter did not shut down cleanly");
        }
    }
}

/// Installs the global subscriber for `service`. Must run inside the Tokio runtime.
pub fn init(service: &'static str, flags: &CommonFlags) -> Result<Telemetry, StartupError> {
    let filter = EnvFilter::try_new(&flags.log_filter).map_err(|error| {
        StartupError::Config(format!("log filter `{}`: {error}", flags.log_filter))
    })?;
    let logs = match flags.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(false)
            .with_writer(std::io::stderr)
            .boxed(),
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .boxed(),
    };
    let tracer_provider = otlp_provider(service)?;
    let traces = tracer_provider
        .as_ref()
        .map(|provider| tracing_opentelemetry::layer().with_tracer(provider.tracer(service)));
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    tracing_subscriber::registry()
        .with(filter)
        .with(logs)
        .with(traces)
        .try_init()
        .map_err(|error| StartupError::failed("log subscriber", error))?;
    if let Some(provider) = &tracer_provider {
        opentelemetry::global::set_tracer_provider(provider.clone());
        tracing::info!("exporting traces over OTLP");
    }
    Ok(Telemetry { tracer_provider })
}

fn otlp_provider(service: &'static str) -> Result<Option<SdkTracerProvider>, StartupError> {
    let endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").unwrap_or_default();
    if endpoint.trim().is_empty() {
        return Ok(None);
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .build()
        .map_err(|error| {
            StartupError::Config(format!("OTEL_EXPORTER_OTLP_ENDPOINT `{endpoint}`: {error}"))
        })?;
    let resource = Resource::builder().with_service_name(service).build();
    Ok(Some(
        SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource)
            .build(),
    ))
}
