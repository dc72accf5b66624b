/**
 * Rng is a small seeded generator (mulberry32). Every policy at a given rate must see the same
 * requests at the same offsets, so nothing in a workload may come from Math.random.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** next is uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** int is uniform in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** exponential draws an inter-arrival gap for a Poisson process of `rate` events per unit. */
  exponential(rate: number): number {
    return -Math.log(1 - this.next()) / rate;
  }

  /** pick chooses by weight; weights need not sum to 1. */
  pick<T>(choices: readonly (readonly [T, number])[]): T {
    const total = choices.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [value, weight] of choices) {
      r -= weight;
      if (r < 0) return value;
    }
    return choices[choices.length - 1]![0];
  }
}

// Word list for synthetic prompt text; the simulator and the EPP only see characters (4 per
// token), so the words matter only in making every group's text distinct from the first block.
const WORDS = [
  "account",
  "balance",
  "cluster",
  "deploy",
  "engine",
  "forecast",
  "gateway",
  "harbor",
  "invoice",
  "journal",
  "kernel",
  "ledger",
  "metric",
  "network",
  "order",
  "policy",
  "quota",
  "region",
  "schema",
  "tenant",
  "update",
  "vector",
  "window",
  "yield",
];

/** text returns about `tokens` tokens (4 characters each) of words, starting with `tag`. */
export function text(rng: Rng, tokens: number, tag: string): string {
  const chars = tokens * 4;
  let out = `${tag} `;
  while (out.length < chars) out += `${WORDS[rng.int(0, WORDS.length - 1)]} `;
  return out.slice(0, chars);
}
