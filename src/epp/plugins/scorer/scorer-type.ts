import { ok } from "../../../common/result.js";
import type { TypedName } from "../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../plugin/registry.js";
import type { Endpoint, EndpointMetrics } from "../../api/endpoint.js";
import type { EppPluginHandle } from "../../api/handle.js";
import type { LlmRequest } from "../../api/request.js";
import type { Scorer, ScorerCategory } from "../../api/scheduling.js";
import { noParameters } from "../params.js";

/** ScoreFunction rates the candidates of one request: one score per endpoint, in input order. */
export type ScoreFunction = (request: LlmRequest, endpoints: readonly Endpoint[]) => Float64Array;

/** ParameterlessScorer is a scorer without parameters: a typed name, a category and a score function. */
export class ParameterlessScorer implements Scorer {
  readonly typedName: TypedName;

  constructor(
    type: string,
    name: string,
    readonly category: ScorerCategory,
    private readonly scoreFunction: ScoreFunction,
  ) {
    this.typedName = { type, name };
  }

  score(request: LlmRequest, endpoints: readonly Endpoint[]): Float64Array {
    return this.scoreFunction(request, endpoints);
  }
}

/** ScorerClass is the class of one parameterless scorer type: `new X(name)`, its type name in `X.type`. */
export interface ScorerClass {
  new (name: string): ParameterlessScorer;
  readonly type: string;
}

/**
 * scorerClass builds the base class of one parameterless scorer type, so that a scorer is
 * `class X extends scorerClass(TYPE, category, scores) {}`: a class of its own name, for stack
 * traces and instanceof, without repeating the plumbing in every scorer.
 */
export function scorerClass(type: string, category: ScorerCategory, scores: ScoreFunction): ScorerClass {
  return class extends ParameterlessScorer {
    static readonly type = type;

    constructor(name: string) {
      super(type, name, category, scores);
    }
  };
}

/** parameterlessScorerType registers a stable scorer type that takes no parameters. */
export function parameterlessScorerType(
  scorer: ScorerClass,
  description: string,
): PluginTypeSpec<Record<string, never>, EppPluginHandle> {
  return {
    type: scorer.type,
    description,
    stability: "stable",
    extensionPoints: ["Scorer"],
    parameters: noParameters,
    create: (name) => ok(new scorer(name)),
  };
}

/**
 * perEndpointScores scores each endpoint with fresh metrics by `value`; endpoints with unknown
 * (missing or stale) metrics score 0, so a silent server never looks attractive.
 */
export function perEndpointScores(
  request: LlmRequest,
  endpoints: readonly Endpoint[],
  value: (metrics: EndpointMetrics, endpoint: Endpoint) => number,
): Float64Array {
  const scores = new Float64Array(endpoints.length);
  for (let i = 0; i < endpoints.length; i++) {
    const e = endpoints[i]!;
    const m = e.metricsAt(request.now);
    if (m) scores[i] = value(m, e);
  }
  return scores;
}
