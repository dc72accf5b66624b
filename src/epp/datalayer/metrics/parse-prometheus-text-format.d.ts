// Types for parse-prometheus-text-format (the package ships none): the prom2json-shaped output.
declare module "parse-prometheus-text-format" {
  /** PrometheusMetric is one sample (gauge/counter/untyped) or one histogram/summary series. */
  export interface PrometheusMetric {
    value?: string;
    labels?: Record<string, string>;
    timestamp_ms?: string;
    buckets?: Record<string, string>;
    quantiles?: Record<string, string>;
    count?: string;
    sum?: string;
  }

  /** PrometheusFamily is one metric family. */
  export interface PrometheusFamily {
    name: string;
    help: string;
    type: "GAUGE" | "COUNTER" | "UNTYPED" | "HISTOGRAM" | "SUMMARY";
    metrics: PrometheusMetric[];
  }

  /** parsePrometheusTextFormat parses the Prometheus text exposition format; it throws on lines it cannot read. */
  export default function parsePrometheusTextFormat(text: string): PrometheusFamily[];
}
