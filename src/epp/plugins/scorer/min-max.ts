import type { Endpoint, EndpointMetrics } from "../../api/endpoint.js";

/**
 * minMaxScores scores a load value inversely: the least-loaded endpoint 1, the most-loaded 0,
 * linear in between; all equal gives 1. Endpoints with unknown (missing or stale) metrics
 * score 0 and do not move the range, so a silent server never looks idle.
 */
export function minMaxScores(
  endpoints: readonly Endpoint[],
  now: number,
  value: (m: EndpointMetrics) => number,
): Float64Array {
  const n = endpoints.length;
  const values = new Float64Array(n);
  const known = new Uint8Array(n);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const m = endpoints[i]!.metricsAt(now);
    if (!m) continue;
    const v = value(m);
    known[i] = 1;
    values[i] = v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const scores = new Float64Array(n);
  const range = max - min;
  for (let i = 0; i < n; i++) {
    if (!known[i]) continue;
    scores[i] = range > 0 ? (max - values[i]!) / range : 1;
  }
  return scores;
}
