/**
 * PrefixIndexer is the approximate prefix-cache index: which endpoints have recently been sent
 * which prompt blocks. Each endpoint keeps an LRU of block hashes bounded by its capacity (its
 * KV-cache block count when known), so the index forgets what the server has likely evicted.
 */
export class PrefixIndexer {
  private readonly hashToEndpoints = new Map<bigint, Set<string>>();
  /** Per endpoint, hashes in least-recently-used-first order (Map keeps insertion order). */
  private readonly lruByEndpoint = new Map<string, Map<bigint, true>>();

  /** add records that `endpoint` now caches `hashes`, refreshing their recency and evicting past capacity. */
  add(endpoint: string, hashes: readonly bigint[], capacity: number): void {
    let lru = this.lruByEndpoint.get(endpoint);
    if (!lru) {
      lru = new Map();
      this.lruByEndpoint.set(endpoint, lru);
    }
    for (const h of hashes) {
      if (lru.has(h)) {
        lru.delete(h);
      } else {
        let holders = this.hashToEndpoints.get(h);
        if (!holders) {
          holders = new Set();
          this.hashToEndpoints.set(h, holders);
        }
        holders.add(endpoint);
      }
      lru.set(h, true);
    }
    while (lru.size > capacity) {
      const oldest = lru.keys().next().value!;
      lru.delete(oldest);
      this.forget(oldest, endpoint);
    }
  }

  /**
   * matchLongestPrefix walks the hashes in order and, for each, credits every endpoint holding
   * it; it stops at the first hash no endpoint holds. The result maps endpoint → matched blocks.
   */
  matchLongestPrefix(hashes: readonly bigint[]): Map<string, number> {
    const matches = new Map<string, number>();
    for (const h of hashes) {
      const holders = this.hashToEndpoints.get(h);
      if (!holders || holders.size === 0) break;
      for (const e of holders) matches.set(e, (matches.get(e) ?? 0) + 1);
    }
    return matches;
  }

  /** prune drops every endpoint not in `live` (endpoints discovery no longer knows). */
  prune(live: ReadonlySet<string>): number {
    let removed = 0;
    for (const [endpoint, lru] of this.lruByEndpoint) {
      if (live.has(endpoint)) continue;
      for (const h of lru.keys()) this.forget(h, endpoint);
      this.lruByEndpoint.delete(endpoint);
      removed++;
    }
    return removed;
  }

  /** size is the number of distinct block hashes indexed. */
  get size(): number {
    return this.hashToEndpoints.size;
  }

  /** endpointBlocks is how many blocks an endpoint holds in the index. */
  endpointBlocks(endpoint: string): number {
    return this.lruByEndpoint.get(endpoint)?.size ?? 0;
  }

  private forget(hash: bigint, endpoint: string): void {
    const holders = this.hashToEndpoints.get(hash);
    if (!holders) return;
    holders.delete(endpoint);
    if (holders.size === 0) this.hashToEndpoints.delete(hash);
  }
}
