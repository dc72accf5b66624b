/** KvAllocation is what one running sequence holds in the KV cache. */
export interface KvAllocation {
  /** Prompt blocks (by hash) pinned by this sequence. */
  readonly promptBlocks: readonly string[];
  /** Leading prompt blocks that were already cached (their prefill is skipped). */
  readonly cachedBlocks: number;
  /** Blocks for the partial prompt block and the output; never shared, freed on release. */
  readonly privateBlocks: number;
}

/**
 * KvCache models a paged KV cache of `capacity` blocks with automatic prefix caching:
 * - a full prompt block is identified by its chained hash and shared by every sequence using it;
 * - blocks of finished sequences stay cached until their space is needed, evicted least
 *   recently used first;
 * - blocks in use by a running sequence are pinned and never evicted.
 * Usage (vllm:kv_cache_usage_perc) counts pinned and private blocks, not idle cached ones,
 * because vLLM reports idle cached blocks as free.
 */
export class KvCache {
  /** Pin counts of cached prompt blocks; insertion order is LRU order among unpinned ones. */
  private readonly refs = new Map<string, number>();
  private privateInUse = 0;
  private pinnedShared = 0;

  constructor(readonly capacity: number) {}

  /** cachedPrefix counts the leading blocks of `hashes` that are cached now. */
  cachedPrefix(hashes: readonly string[]): number {
    let n = 0;
    while (n < hashes.length && this.refs.has(hashes[n]!)) n++;
    return n;
  }

  /** usedBlocks are the blocks held by running sequences. */
  get usedBlocks(): number {
    return this.pinnedShared + this.privateInUse;
  }

  /** cachedBlocks are all prompt blocks kept, pinned or idle. */
  get cachedBlocks(): number {
    return this.refs.size;
  }

  /** usage is usedBlocks / capacity, in [0, 1]. */
  get usage(): number {
    return this.capacity === 0 ? 0 : this.usedBlocks / this.capacity;
  }

  /**
   * allocate pins the prompt blocks (reusing cached ones) and reserves `privateBlocks`, evicting
   * idle cached blocks as needed. Returns undefined, changing nothing, if it does not fit.
   */
  allocate(hashes: readonly string[], privateBlocks: number): KvAllocation | undefined {
    const cachedBlocks = this.cachedPrefix(hashes);
    const unique = [...new Set(hashes)];
    const newShared = unique.filter((h) => !this.refs.has(h)).length;
    const idleReused = unique.filter((h) => this.refs.get(h) === 0).length;
    const free = this.capacity - this.refs.size - this.privateInUse;
    const idleOthers = this.idleCount() - idleReused;
    if (newShared + privateBlocks > free + idleOthers) return undefined;

    const keep = new Set(unique);
    let toEvict = newShared + privateBlocks - free;
    for (const [h, n] of this.refs) {
      if (toEvict <= 0) break;
      if (n === 0 && !keep.has(h)) {
        this.refs.delete(h);
        toEvict--;
      }
    }
    for (const h of unique) {
      const n = this.refs.get(h) ?? 0;
      if (n === 0) this.pinnedShared++;
      this.refs.delete(h); // re-insert: most recently used
      this.refs.set(h, n + 1);
    }
    this.privateInUse += privateBlocks;
    return { promptBlocks: unique, cachedBlocks, privateBlocks };
  }

  /** release unpins a sequence's blocks; its prompt blocks stay cached. */
  release(a: KvAllocation): void {
    for (const h of a.promptBlocks) {
      const n = this.refs.get(h);
      if (n === undefined || n === 0) continue;
      if (n === 1) this.pinnedShared--;
      this.refs.delete(h); // re-insert: most recently used
      this.refs.set(h, n - 1);
    }
    this.privateInUse -= a.privateBlocks;
  }

  private idleCount(): number {
    return this.refs.size - this.pinnedShared;
  }
}
