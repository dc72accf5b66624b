import type { TypedName } from "../../plugin/plugin.js";
import type { BandView, FairnessPolicy, FlowQueueView, OrderingPolicy, QueueItem } from "./types.js";

/** FCFS_ORDERING: earliest enqueue first (the reference default). */
export const FCFS_ORDERING = "fcfs-ordering-policy";
/** EDF_ORDERING: earliest deadline first; ties FCFS. */
export const EDF_ORDERING = "edf-ordering-policy";
/** GLOBAL_STRICT_FAIRNESS: one virtual queue per band (the reference default). */
export const GLOBAL_STRICT_FAIRNESS = "global-strict-fairness-policy";
/** ROUND_ROBIN_FAIRNESS: flows take turns, one dispatch each. */
export const ROUND_ROBIN_FAIRNESS = "round-robin-fairness-policy";

const fcfsLess = (a: QueueItem, b: QueueItem) => a.enqueueTime < b.enqueueTime || (a.enqueueTime === b.enqueueTime && a.seq < b.seq);

/** FcfsOrdering orders by enqueue time. */
export class FcfsOrdering implements OrderingPolicy {
  readonly typedName: TypedName;
  constructor(name = FCFS_ORDERING) {
    this.typedName = { type: FCFS_ORDERING, name };
  }
  less(a: QueueItem, b: QueueItem): boolean {
    return fcfsLess(a, b);
  }
}

/** EdfOrdering orders by deadline (client SLO or TTL), then FCFS. */
export class EdfOrdering implements OrderingPolicy {
  readonly typedName: TypedName;
  constructor(name = EDF_ORDERING) {
    this.typedName = { type: EDF_ORDERING, name };
  }
  less(a: QueueItem, b: QueueItem): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && fcfsLess(a, b));
  }
}

/**
 * GlobalStrictFairness picks the flow whose head the ordering policy ranks first across the
 * band, which makes the band behave as one queue. It keeps no state.
 */
export class GlobalStrictFairness implements FairnessPolicy<undefined> {
  readonly typedName: TypedName;
  constructor(name = GLOBAL_STRICT_FAIRNESS) {
    this.typedName = { type: GLOBAL_STRICT_FAIRNESS, name };
  }
  newState(): undefined {
    return undefined;
  }
  pick(_state: undefined, band: BandView): FlowQueueView | undefined {
    let best: FlowQueueView | undefined;
    let bestHead: QueueItem | undefined;
    for (const flow of band.flows()) {
      const head = flow.head();
      if (head && (!bestHead || band.ordering.less(head, bestHead))) {
        best = flow;
        bestHead = head;
      }
    }
    return best;
  }
}

/** RoundRobinState is the per-band cursor: the id of the flow picked last. */
export interface RoundRobinState {
  last: string | undefined;
}

/**
 * RoundRobinFairness visits flows in sorted id order, resuming after the last one picked and
 * skipping empty queues: each flow gets one dispatch per turn whatever its backlog.
 */
export class RoundRobinFairness implements FairnessPolicy<RoundRobinState> {
  readonly typedName: TypedName;
  constructor(name = ROUND_ROBIN_FAIRNESS) {
    this.typedName = { type: ROUND_ROBIN_FAIRNESS, name };
  }
  newState(): RoundRobinState {
    return { last: undefined };
  }
  pick(state: RoundRobinState, band: BandView): FlowQueueView | undefined {
    const flows = [...band.flows()].filter((f) => f.length > 0).sort((a, b) => (a.key.id < b.key.id ? -1 : a.key.id > b.key.id ? 1 : 0));
    if (flows.length === 0) return undefined;
    const next = state.last === undefined ? flows[0]! : (flows.find((f) => f.key.id > state.last!) ?? flows[0]!);
    state.last = next.key.id;
    return next;
  }
}

/** orderingPolicyOf builds an ordering policy by its reference type name (or short name). */
export function orderingPolicyOf(type: string): OrderingPolicy | undefined {
  if (type === FCFS_ORDERING || type === "fcfs") return new FcfsOrdering();
  if (type === EDF_ORDERING || type === "edf") return new EdfOrdering();
  return undefined;
}

/** fairnessPolicyOf builds a fairness policy by its reference type name (or short name). */
export function fairnessPolicyOf(type: string): FairnessPolicy | undefined {
  if (type === GLOBAL_STRICT_FAIRNESS || type === "global-strict") return new GlobalStrictFairness();
  if (type === ROUND_ROBIN_FAIRNESS || type === "round-robin") return new RoundRobinFairness() as FairnessPolicy;
  return undefined;
}

