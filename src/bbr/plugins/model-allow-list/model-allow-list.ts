import { z } from "zod";
import { ok } from "../../../common/result.js";
import { StateKey } from "../../../plugin/cycle-state.js";
import { RequestError } from "../../../common/request-error.js";
import type { TypedName } from "../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../plugin/registry.js";
import type { ModelSelector } from "../../api/extension-points.js";
import type { MutableRequest, RequestView } from "../../api/inference-message.js";
import { type CandidateModel, currentModel, type ModelFilter } from "../../api/model-selection.js";
import type { BbrPluginHandle } from "../../api/plugin-handle.js";

/** MODEL_ALLOW_LIST is the plugin type name. */
export const MODEL_ALLOW_LIST = "model-allow-list";

/** TENANT is the tenant a request was checked as ("" when it named none). */
export const TENANT = new StateKey<string>("model-allow-list/tenant");

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const pattern = z.string().min(1, "model patterns must not be empty");

/** modelAllowListParameters: the tenant header, allowed model patterns per tenant, and a default. */
export const modelAllowListParameters = z.strictObject({
  /** Header naming the tenant, set by an authenticating filter before BBR (never trust a client's own). */
  tenantHeader: z.string().regex(HEADER_NAME, "tenantHeader must be a valid HTTP header name"),
  /** Tenant → allowed model patterns; `*` matches any characters (`llama-3-*`, `*`). */
  tenants: z.record(z.string().min(1), z.array(pattern)),
  /** Patterns allowed for requests without the header or with an unlisted tenant; default none. */
  defaultAllowed: z.array(pattern).default([]),
});

export type ModelAllowListParameters = z.infer<typeof modelAllowListParameters>;

/** compilePatterns turns glob patterns into one anchored regular expression (or never-matching). */
export function compilePatterns(patterns: readonly string[]): RegExp {
  if (patterns.length === 0) return /(?!)/;
  const alternatives = patterns.map((p) =>
    p
      .split("*")
      .map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, "\\$&"))
      .join(".*"),
  );
  return new RegExp(`^(?:${alternatives.join("|")})$`, "s");
}

/**
 * ModelAllowList lets each tenant use only its listed models. As a ModelSelector it checks the
 * model chosen so far and rejects others with 403 (an OpenAI-shaped permission_error); as a
 * ModelFilter it removes disallowed candidates in a model-selector pipeline. A request naming
 * no model has nothing to check and passes.
 */
export class ModelAllowList implements ModelSelector, ModelFilter {
  readonly typedName: TypedName;
  private readonly allowed: ReadonlyMap<string, RegExp>;
  private readonly fallback: RegExp;

  constructor(
    name: string,
    private readonly params: ModelAllowListParameters,
  ) {
    this.typedName = { type: MODEL_ALLOW_LIST, name };
    this.allowed = new Map(
      Object.entries(params.tenants).map(([tenant, patterns]) => [tenant, compilePatterns(patterns)]),
    );
    this.fallback = compilePatterns(params.defaultAllowed);
  }

  private allowedFor(request: RequestView): RegExp {
    const tenant = request.headers.get(this.params.tenantHeader)?.trim() ?? "";
    request.cycleState.write(TENANT, tenant);
    return this.allowed.get(tenant) ?? this.fallback;
  }

  selectModel(request: MutableRequest): void {
    const model = currentModel(request);
    if (model === undefined) return;
    if (this.allowedFor(request).test(model)) return;
    throw new RequestError("Forbidden", `model "${model}" is not allowed for this tenant`, {
      reason: "model_not_allowed",
    });
  }

  filterModels(request: RequestView, candidates: readonly CandidateModel[]): readonly CandidateModel[] {
    const allowed = this.allowedFor(request);
    return candidates.filter((m) => allowed.test(m.name));
  }
}

/** modelAllowListType registers model-allow-list. */
export const modelAllowListType: PluginTypeSpec<ModelAllowListParameters, BbrPluginHandle> = {
  type: MODEL_ALLOW_LIST,
  description: "Per-tenant (header-identified) model allow-list; disallowed models are answered 403.",
  stability: "beta",
  extensionPoints: ["ModelSelector", "ModelFilter"],
  parameters: modelAllowListParameters,
  create: (name, params) => ok(new ModelAllowList(name, params)),
};
