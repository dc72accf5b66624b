import { MinHeap } from "./heap.js";
import type { BandView, DispatchOutcome, FairnessPolicy, FlowKey, FlowQueueView, OrderingPolicy, QueueItem } from "./types.js";

/** BandLimits cap what one priority band may hold (0 = unlimited). */
export interface BandLimits {
  readonly maxBytes: number;
  readonly maxRequests: number;
}

/** FlowControlSettings configure a FlowController. */
export interface FlowControlSettings {
  readonly fairness: FairnessPolicy;
  readonly ordering: OrderingPolicy;
  /** Limits per configured priority; other priorities get defaultBand. */
  readonly bands: ReadonlyMap<number, BandLimits>;
  readonly defaultBand: BandLimits;
  /** Limits over all bands (0 = unlimited). */
  readonly maxBytes: number;
  readonly maxRequests: number;
  /** How long a request may wait unless it brings its own deadline. */
  readonly defaultTtlMs: number;
  /** How often a saturated controller looks again (saturation also changes without notice). */
  readonly pollIntervalMs: number;
}

/** DEFAULT_FLOW_CONTROL mirrors the reference defaults (band 1 GB / 5000 requests, 60 s TTL). */
export const DEFAULT_BAND_LIMITS: BandLimits = { maxBytes: 1_000_000_000, maxRequests: 5000 };

/** EnqueueRequest is a request asking for a dispatch slot. */
export interface EnqueueRequest {
  readonly requestId: string;
  readonly flow: FlowKey;
  readonly byteSize: number;
  /** ttlMs overrides the default queue TTL (e.g. from the client's deadline). */
  readonly ttlMs?: number | undefined;
  /** sloDeadlineMs is the client's latency objective (e.g. x-slo-ttft-ms), used by EDF ordering. */
  readonly sloMs?: number | undefined;
  /** signal cancels the wait (the client went away). */
  readonly signal?: AbortSignal | undefined;
}

/** FlowControlObserver hears queue changes and outcomes (metrics). */
export interface FlowControlObserver {
  queueChanged(flow: FlowKey, requestsDelta: number, bytesDelta: number): void;
  finished(flow: FlowKey, outcome: DispatchOutcome): void;
}

interface Waiting extends QueueItem {
  settle(outcome: DispatchOutcome): void;
}

class FlowQueue implements FlowQueueView {
  readonly heap: MinHeap<Waiting>;
  constructor(
    readonly key: FlowKey,
    ordering: OrderingPolicy,
  ) {
    this.heap = new MinHeap<Waiting>((a, b) => ordering.less(a, b));
  }
  get length(): number {
    return this.heap.size;
  }
  head(): QueueItem | undefined {
    return this.heap.peek();
  }
}

class Band implements BandView {
  readonly queues = new Map<string, FlowQueue>();
  readonly state: unknown;
  bytes = 0;
  count = 0;
  constructor(
    readonly priority: number,
    readonly limits: BandLimits,
    readonly ordering: OrderingPolicy,
    fairness: FairnessPolicy,
  ) {
    this.state = fairness.newState();
  }
  flows(): Iterable<FlowQueueView> {
    return this.queues.values();
  }
}

/**
 * FlowController holds requests in priority bands until the pool has room, then releases them
 * one at a time: the highest non-empty band first (strict priority), the fairness policy picks a
 * flow within it, the ordering policy picks that flow's head. Scheduling happens after release
 * ("late binding"), on fresh endpoint data. A request leaves the queue dispatched, rejected on
 * capacity (429), expired past its TTL (503) or cancelled.
 */
export class FlowController {
  private readonly bands = new Map<number, Band>();
  private bandsHighFirst: Band[] = [];
  private totalBytes = 0;
  private totalCount = 0;
  private seq = 0;
  private pumping = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** No queued request expires before this (a lower bound, so the sweep can skip work). */
  private nextExpiry = Number.POSITIVE_INFINITY;

  constructor(
    private readonly settings: FlowControlSettings,
    /** saturation reports the pool's load now: below 1 there is room. */
    private readonly saturation: () => number,
    private readonly observer?: FlowControlObserver,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** queued is the number of waiting requests. */
  get queued(): number {
    return this.totalCount;
  }

  /** enqueue waits for a dispatch slot; it never rejects, the outcome says what happened. */
  enqueue(request: EnqueueRequest): Promise<DispatchOutcome> {
    if (this.closed) return Promise.resolve({ kind: "rejected", reason: "shutting-down" });
    const band = this.bandFor(request.flow.priority);
    const overBand =
      (band.limits.maxRequests > 0 && band.count + 1 > band.limits.maxRequests) ||
      (band.limits.maxBytes > 0 && band.bytes + request.byteSize > band.limits.maxBytes);
    const overAll =
      (this.settings.maxRequests > 0 && this.totalCount + 1 > this.settings.maxRequests) ||
      (this.settings.maxBytes > 0 && this.totalBytes + request.byteSize > this.settings.maxBytes);
    if (overBand || overAll) {
      const outcome: DispatchOutcome = { kind: "rejected", reason: overBand ? "band-full" : "queue-full" };
      this.observer?.finished(request.flow, outcome);
      return Promise.resolve(outcome);
    }
    const now = this.clock();
    const ttl = request.ttlMs ?? this.settings.defaultTtlMs;
    return new Promise<DispatchOutcome>((resolve) => {
      let queue = band.queues.get(request.flow.id);
      if (!queue) {
        queue = new FlowQueue(request.flow, band.ordering);
        band.queues.set(request.flow.id, queue);
      }
      const onAbort = () => {
        if (this.take(band, queue!, item)) item.settle({ kind: "cancelled", waitedMs: this.clock() - now });
      };
      const item: Waiting = {
        requestId: request.requestId,
        flow: request.flow,
        byteSize: request.byteSize,
        enqueueTime: now,
        seq: this.seq++,
        deadline: now + (request.sloMs ?? (ttl > 0 ? ttl : Number.MAX_SAFE_INTEGER)),
        expiresAt: ttl > 0 ? now + ttl : Number.POSITIVE_INFINITY,
        settle: (outcome) => {
          request.signal?.removeEventListener("abort", onAbort);
          this.observer?.finished(request.flow, outcome);
          resolve(outcome);
        },
      };
      if (request.signal?.aborted) {
        item.settle({ kind: "cancelled", waitedMs: 0 });
        return;
      }
      request.signal?.addEventListener("abort", onAbort, { once: true });
      queue.heap.push(item);
      this.nextExpiry = Math.min(this.nextExpiry, item.expiresAt);
      band.bytes += item.byteSize;
      band.count++;
      this.totalBytes += item.byteSize;
      this.totalCount++;
      this.observer?.queueChanged(item.flow, 1, item.byteSize);
      this.armExpiry();
      this.pump();
    });
  }

  /** notify says capacity may have changed (a request finished, metrics refreshed). */
  notify(): void {
    this.pump();
  }

  /** close rejects every waiting request and stops the timers. */
  close(): void {
    this.closed = true;
    clearTimeout(this.pollTimer);
    clearTimeout(this.expiryTimer);
    for (const band of this.bandsHighFirst) {
      for (const queue of band.queues.values()) {
        for (const item of [...queue.heap.values()]) {
          this.take(band, queue, item);
          item.settle({ kind: "rejected", reason: "shutting-down" });
        }
      }
    }
  }

  private bandFor(priority: number): Band {
    let band = this.bands.get(priority);
    if (!band) {
      band = new Band(priority, this.settings.bands.get(priority) ?? this.settings.defaultBand, this.settings.ordering, this.settings.fairness);
      this.bands.set(priority, band);
      this.bandsHighFirst = [...this.bands.values()].sort((a, b) => b.priority - a.priority);
    }
    return band;
  }

  private take(band: Band, queue: FlowQueue, item: Waiting): boolean {
    if (!queue.heap.remove(item)) return false;
    band.bytes -= item.byteSize;
    band.count--;
    this.totalBytes -= item.byteSize;
    this.totalCount--;
    if (queue.length === 0) band.queues.delete(queue.key.id);
    this.observer?.queueChanged(item.flow, -1, -item.byteSize);
    return true;
  }

  /**
   * pump dispatches while the pool has room: one request per round, re-reading saturation each
   * time. A lower band never dispatches while a higher band waits (no stealing capacity).
   */
  private pump(): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    try {
      while (this.totalCount > 0) {
        this.expire();
        if (this.totalCount === 0 || this.saturation() >= 1) break;
        const band = this.bandsHighFirst.find((b) => b.count > 0)!;
        const flow = this.settings.fairness.pick(band.state, band) as FlowQueue | undefined;
        const item = flow?.heap.peek();
        if (!flow || !item) break;
        this.take(band, flow, item);
        item.settle({ kind: "dispatched", waitedMs: this.clock() - item.enqueueTime });
      }
    } finally {
      this.pumping = false;
    }
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    if (this.totalCount > 0) {
      this.pollTimer = setTimeout(() => this.pump(), this.settings.pollIntervalMs);
      this.pollTimer.unref();
    }
  }

  private expire(): void {
    const now = this.clock();
    if (now < this.nextExpiry) return;
    this.nextExpiry = Number.POSITIVE_INFINITY;
    for (const band of this.bandsHighFirst) {
      if (band.count === 0) continue;
      for (const queue of [...band.queues.values()]) {
        for (const item of [...queue.heap.values()]) {
          if (item.expiresAt > now) this.nextExpiry = Math.min(this.nextExpiry, item.expiresAt);
          else if (this.take(band, queue, item)) item.settle({ kind: "expired", waitedMs: now - item.enqueueTime });
        }
      }
    }
  }

  private armExpiry(): void {
    if (this.expiryTimer) return;
    const tick = () => {
      this.expiryTimer = undefined;
      this.expire();
      if (this.totalCount > 0) this.armExpiry();
    };
    // Sweep often enough that a TTL is honoured to within a tenth of the shortest default.
    this.expiryTimer = setTimeout(tick, Math.max(10, Math.min(1000, this.settings.defaultTtlMs / 10)));
    this.expiryTimer.unref();
  }
}
