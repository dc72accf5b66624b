import { z } from "zod";
import { HTTP_STATUS_BY_CODE, type RequestErrorCode } from "../../../common/request-error.js";
import type { PluginTypeRegistration } from "../../../plugin/registry.js";
import type { BbrPluginHandle } from "../../api/plugin-handle.js";

// What registering cel-rules needs (name, gate, stability, parameter schema), apart from the
// implementation in cel-rules.ts, so that a registry holding the type does not load the CEL
// interpreter until a config uses it (see lazyPluginType and bbr/plugins/in-tree.ts).

/** CEL_RULES is the plugin type name. */
export const CEL_RULES = "cel-rules";

/** CEL_RULES_GATE is the feature gate that enables this alpha type. */
export const CEL_RULES_GATE = "CelRules";

/** CODE_BY_STATUS maps the HTTP statuses a rejection may use to request error codes. */
export const CODE_BY_STATUS = new Map<number, RequestErrorCode>(
  Object.entries(HTTP_STATUS_BY_CODE).map(([code, status]) => [status, code as RequestErrorCode]),
);
const STATUSES = [...CODE_BY_STATUS.keys()];

const rejection = z.strictObject({
  /** HTTP status to answer with. */
  status: z
    .number()
    .int()
    .refine((s) => CODE_BY_STATUS.has(s), `status must be one of ${STATUSES.join(", ")}`),
  /** Message in the OpenAI-shaped error body. */
  message: z.string().min(1),
  /** error.code in the body (snake_case); default from the status. */
  reason: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/, "reason must be snake_case")
    .optional(),
});

const ruleObject = z
  .strictObject({
    /** CEL condition over body, headers, path, method, model; must be true to match. */
    when: z.string().min(1),
    /** Model to choose when the condition holds. */
    model: z.string().min(1).optional(),
    /** Answer the request with an error instead. */
    reject: rejection.optional(),
  })
  .refine((r) => (r.model === undefined) !== (r.reject === undefined), "a rule needs exactly one of model or reject");

/** celRulesParameters: ordered rules, first match wins. */
export const celRulesParameters = z.strictObject({
  /**
   * Rules in order. A string rule is `CONDITION => MODEL_EXPRESSION`, e.g.
   * `size(body.messages) > 50 || body.max_tokens > 8192 => "long-context-model"`.
   */
  rules: z.array(z.union([z.string().min(1), ruleObject])).min(1, "at least one rule is required"),
  /** Write the chosen model into the body's `model` (otherwise only the header changes). */
  rewriteBody: z.boolean().default(true),
});

export type CelRulesParameters = z.infer<typeof celRulesParameters>;

/** celRulesRegistration is the type's registration without its factory. */
export const celRulesRegistration: PluginTypeRegistration<CelRulesParameters, BbrPluginHandle> = {
  type: CEL_RULES,
  description: "Ordered CEL rules over body, headers, path, method and model that choose a model or reject.",
  stability: "alpha",
  featureGate: CEL_RULES_GATE,
  extensionPoints: ["ModelSelector"],
  parameters: celRulesParameters,
};
