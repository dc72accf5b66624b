import { err, ok, type Result } from "../../common/result.js";
import type { Plugin } from "../../plugin/plugin.js";
import { type DurationSource, NO_DURATIONS, PluginStep } from "../../plugin/runner.js";
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

/** SchedulingFailure explains why no endpoint was chosen; drained is set when a filter emptied a profile. */
export interface SchedulingFailure {
  readonly message: string;
  readonly drained: DrainedOutcome | undefined;
}

type ProfileOutcome = { result: ProfileRunResult } | { failure: SchedulingFailure };

type Results = ReadonlyMap<string, ProfileRunResult | undefined>;

/** CompiledProfile is a profile with every plugin bound to a timed step. */
interface CompiledProfile {
  readonly name: string;
  readonly filters: readonly {
    readonly filter: Filter;
    readonly step: PluginStep<[LlmRequest, readonly Endpoint[]], readonly Endpoint[]>;
  }[];
  readonly scorers: readonly {
    readonly step: PluginStep<[LlmRequest, readonly Endpoint[]], ArrayLike<number>>;
    readonly weight: number;
  }[];
  readonly picker: PluginStep<[LlmRequest, readonly ScoredEndpoint[]], ProfileRunResult>;
}

function compileProfile(profile: SchedulerProfile, durations: DurationSource): CompiledProfile {
  const bound = (plugin: Plugin, point: string) => ({ duration: durations(plugin, point) });
  const { picker } = profile;
  return {
    name: profile.name,
    filters: profile.filters.map((filter) => ({
      filter,
      step: new PluginStep(
        filter,
        "Filter",
        (r: LlmRequest, e: readonly Endpoint[]) => filter.filter(r, e),
        bound(filter, "Filter"),
      ),
    })),
    scorers: profile.scorers.map(({ scorer, weight }) => ({
      step: new PluginStep(
        scorer,
        "Scorer",
        (r: LlmRequest, e: readonly Endpoint[]) => scorer.score(r, e),
        bound(scorer, "Scorer"),
      ),
      weight,
    })),
    picker: new PluginStep(
      picker,
      "Picker",
      (r: LlmRequest, scored: readonly ScoredEndpoint[]) => picker.pick(r, scored),
      bound(picker, "Picker"),
    ),
  };
}

/**
 * Scheduler runs one scheduling cycle: the profile handler picks profiles (in a loop), each
 * profile filters, scores and picks, and the handler turns the results into the answer. Every
 * plugin call is a timed PluginStep; a throw is a bug and propagates (it fails the stream).
 */
export class Scheduler {
  private readonly profileViews: ReadonlyMap<string, SchedulerProfileView>;
  private readonly compiled: ReadonlyMap<string, CompiledProfile>;
  private readonly pickProfiles: PluginStep<
    [LlmRequest, ReadonlyMap<string, SchedulerProfileView>, Results],
    readonly string[]
  >;
  private readonly processResults: PluginStep<[LlmRequest, Results], SchedulingResult | undefined>;

  /** durations is where each plugin call is observed, by extension point; default: nowhere. */
  constructor(
    readonly profileHandler: ProfileHandler,
    readonly profiles: ReadonlyMap<string, SchedulerProfile>,
    durations: DurationSource = NO_DURATIONS,
  ) {
    this.profileViews = profiles;
    this.compiled = new Map([...profiles].map(([name, profile]) => [name, compileProfile(profile, durations)]));
    const handler = profileHandler;
    const duration = durations(handler, "ProfileHandler");
    this.pickProfiles = new PluginStep(
      handler,
      "ProfileHandler",
      (r: LlmRequest, views: ReadonlyMap<string, SchedulerProfileView>, results: Results) =>
        handler.pickProfiles(r, views, results),
      { duration },
    );
    this.processResults = new PluginStep(
      handler,
      "ProfileHandler",
      (r: LlmRequest, results: Results) => handler.processResults(r, results),
      { duration },
    );
  }

  /** withDurations returns the same scheduler observing plugin durations in `durations`. */
  withDurations(durations: DurationSource): Scheduler {
    return new Scheduler(this.profileHandler, this.profiles, durations);
  }

  /** schedule chooses target endpoints among candidates (never empty: the caller answers 503 first). */
  schedule(request: LlmRequest, candidates: readonly Endpoint[]): Result<SchedulingResult, SchedulingFailure> {
    const results = new Map<string, ProfileRunResult | undefined>();
    let firstFailure: SchedulingFailure | undefined;
    // A handler that keeps returning profiles that already ran would loop forever; each round
    // must run something new.
    for (;;) {
      const picked = this.pickProfiles.call(request, this.profileViews, results);
      const fresh = picked.filter((name) => !results.has(name) && this.compiled.has(name));
      if (fresh.length === 0) break;
      for (const name of fresh) {
        const outcome = this.runProfile(this.compiled.get(name)!, request, candidates);
        if ("result" in outcome) {
          results.set(name, outcome.result);
        } else {
          results.set(name, undefined);
          firstFailure ??= outcome.failure;
        }
      }
    }
    if (results.size === 0) return err({ message: "no scheduling profile ran", drained: undefined });
    const processed = this.processResults.call(request, results);
    if (!processed) return err(firstFailure ?? { message: "every scheduling profile failed", drained: undefined });
    const primary = processed.profileResults.get(processed.primaryProfileName);
    if (!primary || primary.targetEndpoints.length === 0) {
      return err(firstFailure ?? { message: "the primary profile chose no endpoint", drained: undefined });
    }
    return ok(processed);
  }

  private runProfile(profile: CompiledProfile, request: LlmRequest, candidates: readonly Endpoint[]): ProfileOutcome {
    let endpoints = candidates;
    for (const { filter, step } of profile.filters) {
      endpoints = step.call(request, endpoints);
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
    for (const { step, weight } of profile.scorers) {
      const scores = step.call(request, endpoints);
      const n = Math.min(scores.length, endpoints.length);
      for (let i = 0; i < n; i++) totals[i]! += clamp01(scores[i]!) * weight;
    }
    const scored: ScoredEndpoint[] = new Array(endpoints.length);
    for (let i = 0; i < endpoints.length; i++) scored[i] = { endpoint: endpoints[i]!, score: totals[i]! };
    const result = profile.picker.call(request, scored);
    if (result.targetEndpoints.length === 0) {
      return {
        failure: { message: `picker ${profile.picker.plugin.typedName.name} chose nothing`, drained: undefined },
      };
    }
    return { result };
  }
}

/** clamp01 enforces the scorer range: above 1 is 1, below 0 or NaN is 0. */
export function clamp01(v: number): number {
  if (!(v > 0)) return 0;
  return v > 1 ? 1 : v;
}
