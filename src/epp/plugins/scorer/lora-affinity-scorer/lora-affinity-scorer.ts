import { ok } from "../../../../common/result.js";
import type { TypedName } from "../../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../../plugin/registry.js";
import type { Endpoint } from "../../../api/endpoint.js";
import type { EppPluginHandle } from "../../../api/handle.js";
import type { LlmRequest } from "../../../api/request.js";
import type { Scorer } from "../../../api/scheduling.js";
import { noParameters } from "../../params.js";

/** LORA_AFFINITY_SCORER is the plugin type name. */
export const LORA_AFFINITY_SCORER = "lora-affinity-scorer";

/** Scores of the reference: adapter running, room to load it, adapter waiting, none of these. */
export const LORA_ACTIVE = 1.0;
export const LORA_CAPACITY = 0.8;
export const LORA_WAITING = 0.6;

/**
 * LoraAffinityScorer prefers endpoints that already run the target LoRA adapter, then those with
 * room to load another adapter, then those where it is queued (vllm:lora_requests_info). The
 * capacity is max_lora, or the endpoint's declared maxLoras when the server reports none.
 */
export class LoraAffinityScorer implements Scorer {
  readonly typedName: TypedName;
  readonly category = "affinity" as const;

  constructor(name: string) {
    this.typedName = { type: LORA_AFFINITY_SCORER, name };
  }

  score(request: LlmRequest, endpoints: readonly Endpoint[]): Float64Array {
    const target = request.targetModel;
    const scores = new Float64Array(endpoints.length);
    for (let i = 0; i < endpoints.length; i++) {
      const e = endpoints[i]!;
      const m = e.metricsAt(request.now);
      if (!m) continue;
      const capacity = m.maxActiveModels > 0 ? m.maxActiveModels : (e.metadata.maxLoras ?? 0);
      if (m.activeModels.has(target)) scores[i] = LORA_ACTIVE;
      else if (m.activeModels.size + m.waitingModels.size < capacity) scores[i] = LORA_CAPACITY;
      else if (m.waitingModels.has(target)) scores[i] = LORA_WAITING;
    }
    return scores;
  }
}

/** loraAffinityScorerType registers lora-affinity-scorer. */
export const loraAffinityScorerType: PluginTypeSpec<Record<string, never>, EppPluginHandle> = {
  type: LORA_AFFINITY_SCORER,
  description: "Scores LoRA affinity: 1 adapter running, 0.8 room to load it, 0.6 adapter waiting, else 0.",
  stability: "stable",
  extensionPoints: ["Scorer"],
  parameters: noParameters,
  create: (name) => ok(new LoraAffinityScorer(name)),
};
