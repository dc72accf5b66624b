import { err, ok, type Result } from "../../common/result.js";
import type { Plugin } from "../../plugin/plugin.js";
import type { Endpoint } from "../api/endpoint.js";
import type { LlmRequest } from "../api/request.js";
import type {
  DrainedOutcome,
  Filter,
  Picker,
  ProfileHandler,
  ProfileRunResult,
  SchedulerProfileView,
  SchedulingResult,
  ScoredEndpoint,
  Scorer,
} from "../api/scheduling.js";

/** WeightedScorer is a scorer with its profile weight. */
export interface WeightedScorer {
  readonly scorer: Scorer;
  readonly weight: number;
}

/** SchedulerProfile is one named filter → score → pick pipeline. */
export interface SchedulerProfile extends SchedulerProfileView {
  readonly filters: readonly Filter[];
  readonly scorers: readonly WeightedScorer[];
  readonly picker: Picker;
}

/** PluginTimer records one plugin call's duration (the plugin-duration metric). */
export type PluginTimer = (extensionPoint: string, plugin: Plugin, seconds: number) => void;

/** SchedulingFailure explains why no endpoint was chosen; drained is set when a filter emptied a profile. */
export interface SchedulingFailure {
  readonly message: string;
  readonly drained: DrainedOutcome | undefined;
}

type ProfileOutcome = { result: ProfileRunResult } | { failure: SchedulingFailure };

const noTimer: PluginTimer = () => {};

/**
 * Scheduler runs one scheduling cycle: the profile handler picks profiles (in a loop), each
 * profile filters, scores and picks, and the handler turns the results into the answer.
 */
export class Scheduler {
  private readonly profileViews: ReadonlyMap<string, SchedulerProfileView>;

  constructor(
    readonly profileHandler: ProfileHandler,
    readonly profiles: ReadonlyMap<string, SchedulerProfile>,
    private readonly timer: PluginTimer = noTimer,
  ) {
    this.profileViews = profiles;
  }

  /** withTimer returns the same scheduler reporting plugin durations to timer. */
  withTimer(timer: PluginTimer): Scheduler {
    return new Scheduler(this.profileHandler, this.profiles, timer);
  }

  /** schedule chooses target endpoints among candidates (never empty: the caller answers 503 first). */
  schedule(request: LlmRequest, candidates: readonly Endpoint[]): Result<SchedulingResult, SchedulingFailure> {
    const results = new Map<string, ProfileRunResult | undefined>();
    let firstFailure: SchedulingFailure | undefined;
    // A handler that keeps returning profiles that already ran would loop forever; each round
    // must run something new.
    for (;;) {
      const start = performance.now();
      const picked = this.profileHandler.pickProfiles(request, this.profileViews, results);
      this.timer("ProfileHandler", this.profileHandler, (performance.now() - start) / 1000);
      const fresh = picked.filter((name) => !results.has(name) && this.profiles.has(name));
      if (fresh.length === 0) break;
      for (const name of fresh) {
        const outcome = this.runProfile(this.profiles.get(name)!, request, candidates);
        if ("result" in outcome) {
          results.set(name, outcome.result);
        } else {
          results.set(name, undefined);
          firstFailure ??= outcome.failure;
        }
      }
    }
    if (results.size === 0) return err({ message: "no scheduling profile ran", drained: undefined });
    const start = performance.now();
    const processed = this.profileHandler.processResults(request, results);
    this.timer("ProfileHandler", this.profileHandler, (performance.now() - start) / 1000);
    if (!processed) return err(firstFailure ?? { message: "every scheduling profile failed", drained: undefined });
    const primary = processed.profileResults.get(processed.primaryProfileName);
    if (!primary || primary.targetEndpoints.length === 0) {
      return err(firstFailure ?? { message: "the primary profile chose no endpoint", drained: undefined });
    }
    return ok(processed);
  }

  private runProfile(
    profile: SchedulerProfile,
    request: LlmRequest,
    candidates: readonly Endpoint[],
  ): ProfileOutcome {
    let endpoints = candidates;
    for (const filter of profile.filters) {
      const start = performance.now();
      endpoints = filter.filter(request, endpoints);
      this.timer("Filter", filter, (performance.now() - start) / 1000);
      if (endpoints.length === 0) {
        return {
          failure: {
            message: `filter ${filter.typedName.name} removed every endpoint in profile ${profile.name}`,
            drained: filter.drainedError?.(request),
          },
        };
      }
    }
    const totals = new Float64Array(endpoints.length);
    for (const { scorer, weight } of profile.scorers) {
      const start = performance.now();
      const scores = scorer.score(request, endpoints);
      this.timer("Scorer", scorer, (performance.now() - start) / 1000);
      const n = Math.min(scores.length, endpoints.length);
      for (let i = 0; i < n; i++) totals[i]! += clamp01(scores[i]!) * weight;
    }
    const scored: ScoredEndpoint[] = new Array(endpoints.length);
    for (let i = 0; i < endpoints.length; i++) scored[i] = { endpoint: endpoints[i]!, score: totals[i]! };
    const start = performance.now();
    const result = profile.picker.pick(request, scored);
    this.timer("Picker", profile.picker, (performance.now() - start) / 1000);
    if (result.targetEndpoints.length === 0) {
      return { failure: { message: `picker ${profile.picker.typedName.name} chose nothing`, drained: undefined } };
    }
    return { result };
  }
}

/** clamp01 enforces the scorer range: above 1 is 1, below 0 or NaN is 0. */
export function clamp01(v: number): number {
  if (!(v > 0)) return 0;
  return v > 1 ? 1 : v;
}
