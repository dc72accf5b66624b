import type { CumulativeBucket } from "./stats.js";

// A small reader of the Prometheus text format. parse-prometheus-text-format 1.1.1 merges every
// series of a labelled histogram into one and drops the labels, and the queue-wait histogram is
// labelled by priority and outcome; only sample lines are needed here.

/** Sample is one line: metric name, labels, value. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/y;

/** parseSamples reads every sample line; lines it cannot read are skipped. */
export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = SAMPLE_LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    const body = m[2] ?? "";
    LABEL.lastIndex = 0;
    let ok = true;
    while (LABEL.lastIndex < body.length) {
      const l = LABEL.exec(body);
      if (!l) {
        ok = false;
        break;
      }
      labels[l[1]!] = l[2]!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
    }
    const value = m[3] === "+Inf" ? Number.POSITIVE_INFINITY : Number(m[3]);
    if (ok && !Number.isNaN(value)) out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** scrape fetches and parses a /metrics page; undefined when it cannot (the run goes on without). */
export async function scrape(port: number): Promise<Sample[] | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return undefined;
    return parseSamples(await res.text());
  } catch {
    return undefined;
  }
}

/** HistogramSeries is one histogram's buckets, count and sum (summed over the series selected). */
export interface HistogramSeries {
  readonly buckets: CumulativeBucket[];
  readonly count: number;
  readonly sum: number;
}

/**
 * histogramsBy groups a histogram's series by one label, summing over the series that pass
 * `keep` (e.g. every outcome, or only "dispatched").
 */
export function histogramsBy(
  samples: readonly Sample[],
  name: string,
  label: string,
  keep: (labels: Readonly<Record<string, string>>) => boolean = () => true,
): Map<string, HistogramSeries> {
  const acc = new Map<string, { buckets: Map<number, number>; count: number; sum: number }>();
  const entry = (key: string) => {
    let e = acc.get(key);
    if (!e) {
      e = { buckets: new Map(), count: 0, sum: 0 };
      acc.set(key, e);
    }
    return e;
  };
  for (const s of samples) {
    if (!keep(s.labels)) continue;
    const key = s.labels[label] ?? "";
    if (s.name === `${name}_bucket` && s.labels["le"] !== undefined) {
      const le = s.labels["le"] === "+Inf" ? Number.POSITIVE_INFINITY : Number(s.labels["le"]);
      const e = entry(key);
      e.buckets.set(le, (e.buckets.get(le) ?? 0) + s.value);
    } else if (s.name === `${name}_count`) {
      entry(key).count += s.value;
    } else if (s.name === `${name}_sum`) {
      entry(key).sum += s.value;
    }
  }
  return new Map(
    [...acc].map(([k, e]) => [
      k,
      { buckets: [...e.buckets].map(([le, count]) => ({ le, count })), count: e.count, sum: e.sum },
    ]),
  );
}

/** valuesBy reads a gauge or counter by one label, summed over the others. */
export function valuesBy(samples: readonly Sample[], name: string, label: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== name) continue;
    const key = s.labels[label] ?? "";
    out.set(key, (out.get(key) ?? 0) + s.value);
  }
  return out;
}

/** total sums every sample of a gauge or counter (0 when absent). */
export function total(samples: readonly Sample[], name: string): number {
  return samples.filter((s) => s.name === name).reduce((a, s) => a + s.value, 0);
}
