import { ok } from "../../../../common/result.js";
import type { TypedName } from "../../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../../plugin/registry.js";
import type { Endpoint } from "../../../api/endpoint.js";
import type { EppPluginHandle } from "../../../api/handle.js";
import type { LlmRequest } from "../../../api/request.js";
import type { DrainedOutcome, Filter } from "../../../api/scheduling.js";
import { noParameters } from "../../params.js";

/** MODEL_FILTER is the plugin type name. */
export const MODEL_FILTER = "model-filter";

/**
 * servesModel tells whether an endpoint can serve `model`: it declares the model or adapter,
 * or its server reports the adapter running or waiting. An endpoint that declares nothing
 * serves any model (a pool usually serves one base model, and Kubernetes pods rarely say).
 */
export function servesModel(endpoint: Endpoint, model: string): boolean {
  const md = endpoint.metadata;
  if (md.models.length === 0 && md.loraAdapters.length === 0) return true;
  if (md.models.includes(model) || md.loraAdapters.includes(model)) return true;
  const m = endpoint.lastMetrics;
  return m !== undefined && (m.activeModels.has(model) || m.waitingModels.has(model));
}

/**
 * ServedModelFilter keeps the endpoints that serve the request's target model (base model or LoRA
 * adapter). When none does, the request is answered 503: no ready endpoint for that model.
 */
export class ServedModelFilter implements Filter {
  readonly typedName: TypedName;

  constructor(name: string) {
    this.typedName = { type: MODEL_FILTER, name };
  }

  filter(request: LlmRequest, endpoints: readonly Endpoint[]): readonly Endpoint[] {
    const model = request.targetModel;
    let kept: Endpoint[] | undefined;
    for (let i = 0; i < endpoints.length; i++) {
      const e = endpoints[i]!;
      const serves = servesModel(e, model);
      if (kept) {
        if (serves) kept.push(e);
      } else if (!serves) {
        kept = endpoints.slice(0, i); // first removal: copy the kept prefix
      }
    }
    return kept ?? endpoints;
  }

  drainedError(request: LlmRequest): DrainedOutcome {
    return {
      code: "ServiceUnavailable",
      reason: "model_not_served",
      message: `no ready endpoint serves model "${request.targetModel}"`,
    };
  }
}

/** modelFilterType registers model-filter. */
export const modelFilterType: PluginTypeSpec<Record<string, never>, EppPluginHandle> = {
  type: MODEL_FILTER,
  description: "Keeps endpoints serving the requested model or LoRA adapter (declared, or reported running/waiting).",
  stability: "beta",
  extensionPoints: ["Filter"],
  parameters: noParameters,
  create: (name) => ok(new ServedModelFilter(name)),
};
