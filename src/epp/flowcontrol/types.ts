import type { Plugin } from "../../plugin/plugin.js";

/** FlowKey identifies a flow: a fairness id within a priority band. */
export interface FlowKey {
  readonly id: string;
  readonly priority: number;
}

/** QueueItem is one waiting request as the policies see it. */
export interface QueueItem {
  readonly requestId: string;
  readonly flow: FlowKey;
  readonly byteSize: number;
  /** enqueueTime is when the request entered the queue (ms, monotonic clock). */
  readonly enqueueTime: number;
  /** seq breaks ties: earlier enqueue wins, so equal keys keep FCFS order. */
  readonly seq: number;
  /** deadline (ms, monotonic) for EDF ordering: the client's SLO if it gave one, else enqueue + TTL. */
  readonly deadline: number;
  /** expiresAt (ms, monotonic): past it the request is rejected 503 (queue TTL). */
  readonly expiresAt: number;
}

/**
 * OrderingPolicy orders requests within a flow. A stateless singleton: `less` must be a strict
 * weak order and cheap (it runs O(log n) times per enqueue and dispatch).
 */
export interface OrderingPolicy extends Plugin {
  less(a: QueueItem, b: QueueItem): boolean;
}

/** FlowQueueView is what a fairness policy sees of one flow's queue. */
export interface FlowQueueView {
  readonly key: FlowKey;
  readonly length: number;
  /** head is the request the ordering policy would dispatch next. */
  head(): QueueItem | undefined;
}

/** BandView is what a fairness policy sees of a priority band: its flows, in creation order. */
export interface BandView {
  readonly priority: number;
  flows(): Iterable<FlowQueueView>;
  /** ordering is the band's ordering policy (fairness may compare heads across flows with it). */
  readonly ordering: OrderingPolicy;
}

/**
 * FairnessPolicy picks which flow of a band dispatches next. It is a flyweight singleton (one
 * instance serves every band): per-band mutable state comes from newState() and is handed back
 * on each pick, so the policy itself holds nothing.
 */
export interface FairnessPolicy<State = unknown> extends Plugin {
  newState(): State;
  pick(state: State, band: BandView): FlowQueueView | undefined;
}

/** DispatchOutcome is how a queued request leaves the queue. */
export type DispatchOutcome =
  | { readonly kind: "dispatched"; readonly waitedMs: number }
  | { readonly kind: "rejected"; readonly reason: "band-full" | "queue-full" | "shutting-down" }
  | { readonly kind: "expired"; readonly waitedMs: number }
  | { readonly kind: "cancelled"; readonly waitedMs: number };
