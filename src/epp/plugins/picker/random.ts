import type { Endpoint } from "../../api/endpoint.js";
import type { ScoredEndpoint } from "../../api/scheduling.js";

/**
 * shuffleInPlace is a Fisher-Yates shuffle of the first `count` positions (a uniform random
 * sample of that size lands there), driven by an injectable random source.
 */
export function shuffleInPlace<T>(items: T[], random: () => number, count = items.length): T[] {
  const n = items.length;
  const limit = Math.min(count, n - 1);
  for (let i = 0; i < limit; i++) {
    const j = i + Math.floor(random() * (n - i));
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
  return items;
}

/** uniformSample returns `count` of the scored endpoints (all if fewer), chosen uniformly at random, scores ignored. */
export function uniformSample(scored: readonly ScoredEndpoint[], random: () => number, count: number): Endpoint[] {
  const sample = shuffleInPlace([...scored], random, count);
  return sample.slice(0, count).map((s) => s.endpoint);
}
