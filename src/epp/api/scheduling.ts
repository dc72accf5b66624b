import type { Plugin } from "../../plugin/plugin.js";
import { methodGuard } from "../../common/method-guard.js";
import type { Endpoint } from "./endpoint.js";
import type { LlmRequest } from "./request.js";

// Scheduling extension points. Every method is synchronous: one scheduling cycle runs start to
// finish without yielding, so endpoints cannot change under a plugin and no copies are needed.
// A method must not throw for bad input; a throw is a bug and fails the ext_proc stream.

/**
 * Filter narrows the candidate endpoints. It returns a subset of its input (the same array
 * when nothing is removed). An empty result ends the profile: the framework reports "no
 * endpoint available" (429, or the filter's drainedError when it has one).
 */
export interface Filter extends Plugin {
  filter(request: LlmRequest, endpoints: readonly Endpoint[]): readonly Endpoint[];
  /** drainedError, if present, names the outcome when this filter removed every endpoint. */
  drainedError?(request: LlmRequest): DrainedOutcome;
}

/** DrainedOutcome is how a request ends when a filter removed every candidate. */
export interface DrainedOutcome {
  readonly code: "ServiceUnavailable" | "ResourceExhausted" | "NotFound";
  readonly reason: string;
  readonly message: string;
}

/** ScorerCategory says what a scorer optimises, as in the reference (for listings and docs). */
export type ScorerCategory = "affinity" | "distribution" | "balance";

/**
 * Scorer rates each endpoint in [0,1]; higher is better. It returns one score per input
 * endpoint, in input order. The framework clamps values outside [0,1] (NaN counts as 0) and
 * adds score × weight into the endpoint's total; weights are not normalised.
 */
export interface Scorer extends Plugin {
  readonly category: ScorerCategory;
  score(request: LlmRequest, endpoints: readonly Endpoint[]): ArrayLike<number>;
}

/** ScoredEndpoint is an endpoint with its weighted total score. */
export interface ScoredEndpoint {
  readonly endpoint: Endpoint;
  readonly score: number;
}

/** ProfileRunResult is a profile's outcome: the chosen endpoints, best first. */
export interface ProfileRunResult {
  readonly targetEndpoints: readonly Endpoint[];
}

/**
 * Picker chooses the target endpoints (at least one; more become the fallback list) from the
 * scored candidates, which are never empty.
 */
export interface Picker extends Plugin {
  pick(request: LlmRequest, scored: readonly ScoredEndpoint[]): ProfileRunResult;
}

/** SchedulerProfileView is what a ProfileHandler sees of a profile. */
export interface SchedulerProfileView {
  readonly name: string;
}

/** SchedulingResult is the outcome of a cycle; the destination comes from the primary profile. */
export interface SchedulingResult {
  readonly profileResults: ReadonlyMap<string, ProfileRunResult | undefined>;
  readonly primaryProfileName: string;
}

/**
 * ProfileHandler decides which profiles run (pick is called in a loop until it returns none;
 * `results` holds every profile run so far, undefined for a failed one) and turns the results
 * into the scheduling result (undefined when the request cannot be served).
 */
export interface ProfileHandler extends Plugin {
  pickProfiles(
    request: LlmRequest,
    profiles: ReadonlyMap<string, SchedulerProfileView>,
    results: ReadonlyMap<string, ProfileRunResult | undefined>,
  ): readonly string[];
  processResults(
    request: LlmRequest,
    results: ReadonlyMap<string, ProfileRunResult | undefined>,
  ): SchedulingResult | undefined;
}

/** isFilter tells whether a plugin implements Filter. */
export const isFilter = methodGuard<Plugin, Filter>("filter");

/** isScorer tells whether a plugin implements Scorer. */
export const isScorer = methodGuard<Plugin, Scorer>("score");

/** isPicker tells whether a plugin implements Picker. */
export const isPicker = methodGuard<Plugin, Picker>("pick");

/** isProfileHandler tells whether a plugin implements ProfileHandler. */
export function isProfileHandler(p: Plugin): p is ProfileHandler {
  const h = p as Partial<ProfileHandler>;
  return typeof h.pickProfiles === "function" && typeof h.processResults === "function";
}
