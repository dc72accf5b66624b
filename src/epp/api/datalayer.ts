import type { Result } from "../../common/result.js";
import type { Plugin } from "../../plugin/plugin.js";
import type { EndpointMetadata, EndpointMetrics } from "./endpoint.js";

/** Sample is one Prometheus sample: its labels, value and optional timestamp (ms). */
export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly timestampMs: number | undefined;
}

/** MetricFamilies are the gauge/counter/untyped samples of one scrape, by metric name. */
export type MetricFamilies = ReadonlyMap<string, readonly Sample[]>;

/** MetricsSourceSettings say how to scrape an endpoint: the URL and TLS verification. */
export interface MetricsDataSource extends Plugin {
  metricsUrl(endpoint: EndpointMetadata): string;
  readonly insecureSkipVerify: boolean;
}

/** MetricsSample is the engine-independent part of EndpointMetrics an extractor produces. */
export type ExtractedMetrics = Omit<EndpointMetrics, "updatedAt">;

/**
 * MetricsExtractor maps one scrape onto EndpointMetrics for an endpoint (the engine is chosen
 * per endpoint, by label). An error means the scrape is unusable (e.g. a required metric is
 * missing) and the endpoint keeps its previous metrics.
 */
export interface MetricsExtractor extends Plugin {
  extract(families: MetricFamilies, endpoint: EndpointMetadata): Result<ExtractedMetrics, string>;
}

/** isMetricsDataSource tells whether a plugin is a metrics data source. */
export function isMetricsDataSource(p: Plugin): p is MetricsDataSource {
  return typeof (p as Partial<MetricsDataSource>).metricsUrl === "function";
}

/** isMetricsExtractor tells whether a plugin is a metrics extractor. */
export function isMetricsExtractor(p: Plugin): p is MetricsExtractor {
  return typeof (p as Partial<MetricsExtractor>).extract === "function";
}
