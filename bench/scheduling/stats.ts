/** percentile of unsorted values by linear interpolation between closest ranks; undefined if empty. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/** CumulativeBucket is one Prometheus histogram bucket: observations ≤ le. */
export interface CumulativeBucket {
  readonly le: number;
  readonly count: number;
}

/**
 * histogramQuantile estimates a quantile (0..1) from cumulative buckets the way PromQL's
 * histogram_quantile does: linear within the bucket, the +Inf bucket answers its lower bound.
 */
export function histogramQuantile(q: number, buckets: readonly CumulativeBucket[]): number | undefined {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted[sorted.length - 1]?.count ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of sorted) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return prevLe;
      const inBucket = b.count - prevCount;
      return inBucket === 0 ? b.le : prevLe + ((b.le - prevLe) * (rank - prevCount)) / inBucket;
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

/**
 * histogramQuantileBucket is the bucket [lower, upper] holding the quantile: the only thing a
 * histogram knows for sure (upper is +Infinity in the last bucket). Undefined with no observations.
 */
export function histogramQuantileBucket(
  q: number,
  buckets: readonly CumulativeBucket[],
): { lower: number; upper: number } | undefined {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted[sorted.length - 1]?.count ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let lower = 0;
  for (const b of sorted) {
    if (b.count >= rank) return { lower, upper: b.le };
    lower = b.le;
  }
  return { lower, upper: Number.POSITIVE_INFINITY };
}

/** CurvePoint is one rate of a sweep: the policy's throughput and p90 TTFT there. */
export interface CurvePoint {
  readonly rate: number;
  readonly throughput: number;
  readonly ttftP90: number;
}

/**
 * throughputAtSlo is the highest throughput a policy sustains with p90 TTFT ≤ slo, walking the
 * sweep by rate and interpolating linearly (in p90 TTFT) across the first crossing. Undefined
 * when even the lowest rate misses the SLO. `capped` says the SLO held at every rate swept, so
 * the figure is a lower bound.
 */
export function throughputAtSlo(
  points: readonly CurvePoint[],
  slo: number,
): { throughput: number; capped: boolean } | undefined {
  const sorted = [...points].sort((a, b) => a.rate - b.rate);
  let best: CurvePoint | undefined;
  for (const p of sorted) {
    if (p.ttftP90 <= slo) {
      best = p;
      continue;
    }
    if (!best) return undefined;
    const f = (slo - best.ttftP90) / (p.ttftP90 - best.ttftP90);
    return { throughput: best.throughput + f * Math.max(0, p.throughput - best.throughput), capped: false };
  }
  return best ? { throughput: best.throughput, capped: true } : undefined;
}
