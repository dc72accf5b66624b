import { err, ok, type Result } from "../../../common/result.js";
import type { MetricFamilies, Sample } from "../../api/datalayer.js";

/** MetricSpec selects series: a metric name and required label values (PromQL instant selector). */
export interface MetricSpec {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^",}\s]*))\s*$/;

/**
 * parseMetricSpec reads `name` or `name{label="value",label=value}`. An empty string means the
 * metric is disabled (undefined), as in the reference's engineConfigs.
 */
export function parseMetricSpec(text: string): Result<MetricSpec | undefined, string> {
  const s = text.trim();
  if (s === "") return ok(undefined);
  const brace = s.indexOf("{");
  const name = brace < 0 ? s : s.slice(0, brace).trim();
  if (!NAME.test(name)) return err(`invalid metric name in ${JSON.stringify(text)}`);
  if (brace < 0) return ok({ name, labels: {} });
  if (!s.endsWith("}")) return err(`missing "}" in ${JSON.stringify(text)}`);
  const labels: Record<string, string> = {};
  const inner = s.slice(brace + 1, -1).trim();
  if (inner !== "") {
    for (const part of splitLabels(inner)) {
      const m = LABEL.exec(part);
      if (!m) return err(`invalid label matcher ${JSON.stringify(part.trim())} in ${JSON.stringify(text)}`);
      labels[m[1]!] = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : (m[3] ?? "");
    }
  }
  return ok({ name, labels });
}

// Split on commas outside quotes.
function splitLabels(inner: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (c === "\\" && quoted) {
      current += c + (inner[++i] ?? "");
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === "," && !quoted) {
      if (current.trim() !== "") parts.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  if (current.trim() !== "") parts.push(current);
  return parts;
}

/** matchingSamples lists the samples of spec's metric carrying all of spec's labels. */
export function matchingSamples(families: MetricFamilies, spec: MetricSpec): Sample[] {
  const samples = families.get(spec.name) ?? [];
  const wanted = Object.entries(spec.labels);
  if (wanted.length === 0) return [...samples];
  return samples.filter((s) => wanted.every(([k, v]) => s.labels[k] === v));
}

/**
 * latestSample picks the series with the newest timestamp; without timestamps, the last one
 * listed. Undefined when nothing matches.
 */
export function latestSample(samples: readonly Sample[]): Sample | undefined {
  let best: Sample | undefined;
  for (const s of samples) {
    if (!best || (s.timestampMs ?? Number.NEGATIVE_INFINITY) >= (best.timestampMs ?? Number.NEGATIVE_INFINITY))
      best = s;
  }
  return best;
}

/** largestValueSample picks the series with the greatest value (LoRA info: the value is its update time). */
export function largestValueSample(samples: readonly Sample[]): Sample | undefined {
  let best: Sample | undefined;
  for (const s of samples) if (!best || s.value >= best.value) best = s;
  return best;
}
