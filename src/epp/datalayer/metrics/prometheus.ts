import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { err, ok, type Result } from "../../../common/result.js";
import type { MetricFamilies, Sample } from "../../api/datalayer.js";

/**
 * parseMetricsText reads a Prometheus text exposition into samples by metric name. Histogram
 * and summary families are skipped: the extractors read gauges and info-style series only.
 */
export function parseMetricsText(text: string): Result<MetricFamilies, string> {
  let families: ReturnType<typeof parsePrometheusTextFormat>;
  try {
    families = parsePrometheusTextFormat(text);
  } catch (e) {
    return err(`unparseable metrics text: ${e instanceof Error ? e.message : String(e)}`);
  }
  const out = new Map<string, Sample[]>();
  for (const family of families) {
    if (family.type === "HISTOGRAM" || family.type === "SUMMARY") continue;
    let samples = out.get(family.name);
    if (!samples) {
      samples = [];
      out.set(family.name, samples);
    }
    for (const m of family.metrics) {
      if (m.value === undefined) continue;
      const ts = m.timestamp_ms === undefined ? undefined : Number(m.timestamp_ms);
      samples.push({
        labels: m.labels ?? {},
        value: Number(m.value),
        timestampMs: ts !== undefined && Number.isFinite(ts) ? ts : undefined,
      });
    }
  }
  return ok(out);
}
