import { ok } from "../../../../common/result.js";
import type { TypedName } from "../../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../../plugin/registry.js";
import type { Endpoint } from "../../../api/endpoint.js";
import type { EppPluginHandle } from "../../../api/handle.js";
import type { LlmRequest } from "../../../api/request.js";
import type { Scorer } from "../../../api/scheduling.js";
import { noParameters } from "../../params.js";

/** KV_CACHE_UTILIZATION_SCORER is the plugin type name. */
export const KV_CACHE_UTILIZATION_SCORER = "kv-cache-utilization-scorer";

/** KvCacheUtilizationScorer prefers free KV cache: 1 − utilisation; unknown metrics score 0. */
export class KvCacheUtilizationScorer implements Scorer {
  readonly typedName: TypedName;
  readonly category = "distribution" as const;

  constructor(name: string) {
    this.typedName = { type: KV_CACHE_UTILIZATION_SCORER, name };
  }

  score(request: LlmRequest, endpoints: readonly Endpoint[]): Float64Array {
    const scores = new Float64Array(endpoints.length);
    for (let i = 0; i < endpoints.length; i++) {
      const m = endpoints[i]!.metricsAt(request.now);
      if (m) scores[i] = 1 - m.kvCacheUsagePercent;
    }
    return scores;
  }
}

/** kvCacheUtilizationScorerType registers kv-cache-utilization-scorer. */
export const kvCacheUtilizationScorerType: PluginTypeSpec<Record<string, never>, EppPluginHandle> = {
  type: KV_CACHE_UTILIZATION_SCORER,
  description: "Scores endpoints by free KV cache: 1 - kv_cache_usage.",
  stability: "stable",
  extensionPoints: ["Scorer"],
  parameters: noParameters,
  create: (name) => ok(new KvCacheUtilizationScorer(name)),
};
