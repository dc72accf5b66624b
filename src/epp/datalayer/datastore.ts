import type { Endpoint, EndpointMetadata, EndpointMetrics } from "../api/endpoint.js";

/** EndpointState is the data layer's mutable record behind one Endpoint. */
export class EndpointState implements Endpoint {
  lastMetrics: EndpointMetrics | undefined = undefined;

  constructor(
    public metadata: EndpointMetadata,
    private readonly stalenessMs: number,
  ) {}

  metricsAt(now: number): EndpointMetrics | undefined {
    const m = this.lastMetrics;
    return m !== undefined && now - m.updatedAt <= this.stalenessMs ? m : undefined;
  }
}

/** EndpointStoreListener hears endpoints come and go (the metrics collector starts and stops scraping). */
export interface EndpointStoreListener {
  added(endpoint: EndpointState): void;
  removed(endpoint: EndpointState): void;
}

/**
 * EndpointStore is the EPP's datastore: the endpoints discovery currently lists, each with its
 * latest metrics. Discovery replaces the whole set at once; the list handed to scheduling is
 * rebuilt only on change, so a request costs no allocation here.
 */
export class EndpointStore {
  private readonly byKey = new Map<string, EndpointState>();
  private snapshot: readonly EndpointState[] = [];
  private readonly listeners = new Set<EndpointStoreListener>();
  private syncedOnce = false;
  private readonly syncWaiters: (() => void)[] = [];

  /** stalenessMs is how old metrics may be before endpoints count as "unknown" to scorers. */
  constructor(readonly stalenessMs: number) {}

  /** list is every endpoint now, in discovery order. */
  list(): readonly EndpointState[] {
    return this.snapshot;
  }

  /** get returns an endpoint by "ip:port". */
  get(key: string): EndpointState | undefined {
    return this.byKey.get(key);
  }

  /** synced is true once discovery delivered its first complete set (the readiness condition). */
  get synced(): boolean {
    return this.syncedOnce;
  }

  /**
   * replaceAll makes `endpoints` the whole set: new keys are added, missing keys removed, kept
   * keys get the new metadata and keep their metrics. Later duplicates of a key win.
   */
  replaceAll(endpoints: readonly EndpointMetadata[]): { added: number; removed: number } {
    const next = new Map<string, EndpointMetadata>();
    for (const md of endpoints) next.set(md.key, md);
    let added = 0;
    let removed = 0;
    for (const [key, state] of this.byKey) {
      if (next.has(key)) continue;
      this.byKey.delete(key);
      removed++;
      for (const l of this.listeners) l.removed(state);
    }
    const ordered: EndpointState[] = [];
    for (const [key, md] of next) {
      let state = this.byKey.get(key);
      if (state) {
        state.metadata = md;
      } else {
        state = new EndpointState(md, this.stalenessMs);
        this.byKey.set(key, state);
        added++;
        for (const l of this.listeners) l.added(state);
      }
      ordered.push(state);
    }
    this.snapshot = ordered;
    if (!this.syncedOnce) {
      this.syncedOnce = true;
      for (const wake of this.syncWaiters.splice(0)) wake();
    }
    return { added, removed };
  }

  /** whenSynced resolves once discovery delivered its first complete set. */
  whenSynced(): Promise<void> {
    if (this.syncedOnce) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** subscribe adds a listener and replays the current endpoints as additions; returns its removal. */
  subscribe(listener: EndpointStoreListener): () => void {
    this.listeners.add(listener);
    for (const state of this.snapshot) listener.added(state);
    return () => this.listeners.delete(listener);
  }
}
