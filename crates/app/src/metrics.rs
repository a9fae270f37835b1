//! The Prometheus registry of one running platform: requests and latencies by route, data
//! deliveries and rows by path, the log's size, and the catalog's ingest volume. The registry
//! belongs to the instance, not to the process, so tests can run several.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

/// The metrics of one running platform.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    deliveries: Family<KindLabels, Counter>,
    rows: Family<KindLabels, Counter>,
    log_entries: Gauge,
    datasets: Gauge,
    versions: Gauge,
    ingested_rows: Gauge,
    ingested_bytes: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("gongshu");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route, method and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
            ])
        });
        registry.register(
            "http_request_duration_seconds",
            "Time to the response head, by route and method",
            latency.clone(),
        );
        let deliveries = Family::<KindLabels, Counter>::default();
        registry.register(
            "data_deliveries",
            "Data responses by path (preview, query, aggregate, sql, download, datastore)",
            deliveries.clone(),
        );
        let rows = Family::<KindLabels, Counter>::default();
        registry.register("data_rows", "Rows delivered by path", rows.clone());
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let g = Gauge::default();
            registry.register(name, help, g.clone());
            g
        };
        let log_entries = gauge(&mut registry, "log_entries", "Leaves in the access log");
        let datasets = gauge(&mut registry, "datasets", "Datasets in the catalog");
        let versions = gauge(&mut registry, "versions", "Published versions");
        let ingested_rows = gauge(&mut registry, "ingested_rows", "Rows in published versions");
        let ingested_bytes = gauge(
            &mut registry,
            "ingested_bytes",
            "Parquet bytes of published versions",
        );
        Metrics {
            registry,
            requests,
            latency,
            deliveries,
            rows,
            log_entries,
            datasets,
            versions,
            ingested_rows,
            ingested_bytes,
        }
    }

    /// Counts a data delivery.
    pub fn delivered(&self, kind: &str, rows: u64) {
        let labels = KindLabels { kind: kind.into() };
        self.deliveries.get_or_create(&labels).inc();
        self.rows.get_or_create(&labels).inc_by(rows);
    }

    /// Records one HTTP request: its route template (never the raw path, so the number of
    /// series stays bounded), method, status and time to the response head.
    pub fn observe(&self, route: String, method: String, status: u16, seconds: f64) {
        self.latency
            .get_or_create(&RouteLabels {
                route: route.clone(),
                method: method.clone(),
            })
            .observe(seconds);
        self.requests
            .get_or_create(&RequestLabels {
                route,
                method,
                status,
            })
            .inc();
    }

    /// Sets the catalog and log gauges, then encodes the registry in the OpenMetrics text
    /// format.
    pub fn encode(
        &self,
        totals: Option<&store::CatalogTotals>,
        log_entries: Option<i64>,
    ) -> Result<String, std::fmt::Error> {
        if let Some(t) = totals {
            self.datasets.set(t.datasets);
            self.versions.set(t.versions);
            self.ingested_rows.set(t.rows);
            self.ingested_bytes.set(t.bytes);
        }
        if let Some(n) = log_entries {
            self.log_entries.set(n);
        }
        let mut body = String::new();
        prometheus_client::encoding::text::encode(&mut body, &self.registry)?;
        Ok(body)
    }
}
