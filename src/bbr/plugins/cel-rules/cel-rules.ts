import { z } from "zod";
import { err, ok, type Result } from "../../../common/result.js";
import { HTTP_STATUS_BY_CODE, RequestError, type RequestErrorCode } from "../../../common/request-error.js";
import type { TypedName } from "../../../plugin/plugin.js";
import type { ParameterIssue, PluginTypeSpec } from "../../../plugin/registry.js";
import type { ModelSelector } from "../../api/extension-points.js";
import type { MutableRequest } from "../../api/inference-message.js";
import { applyModelChoice, currentModel } from "../../api/model-selection.js";
import type { BbrPluginHandle } from "../../api/plugin-handle.js";
import { type CelBindings, type CompiledExpression, compileExpression, splitShorthand } from "./compile.js";

/** CEL_RULES is the plugin type name. */
export const CEL_RULES = "cel-rules";

/** CEL_RULES_GATE is the feature gate that enables this alpha type. */
export const CEL_RULES_GATE = "CelRules";

const CODE_BY_STATUS = new Map<number, RequestErrorCode>(
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

type Action =
  | { readonly kind: "model"; readonly model: string }
  | { readonly kind: "model-expression"; readonly expression: CompiledExpression }
  | { readonly kind: "reject"; readonly error: RequestError };

/** CompiledRule is one rule ready to run. */
export interface CompiledRule {
  readonly index: number;
  readonly when: CompiledExpression;
  readonly action: Action;
}

const EMPTY_BODY: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * CelRules evaluates ordered CEL rules; the first whose condition is true chooses a model or
 * rejects the request. A condition that fails to evaluate (a missing field, a type mismatch)
 * counts as false, so a rule written for chat bodies simply does not match an embeddings
 * body. No match leaves the request as it is.
 */
export class CelRules implements ModelSelector {
  readonly typedName: TypedName;

  constructor(
    name: string,
    private readonly rules: readonly CompiledRule[],
    private readonly rewriteBody: boolean,
  ) {
    this.typedName = { type: CEL_RULES, name };
  }

  selectModel(request: MutableRequest): void {
    const bindings = bindingsOf(request);
    for (const rule of this.rules) {
      const matched = rule.when(bindings);
      if (!matched.ok) {
        request.logger.debug(
          { plugin: this.typedName.name, rule: rule.index, err: matched.error },
          "rule did not evaluate",
        );
        continue;
      }
      if (matched.value !== true) continue;
      const action = rule.action;
      if (action.kind === "reject") throw action.error;
      const model = action.kind === "model" ? action.model : evaluateModel(action.expression, bindings, rule.index);
      applyModelChoice(request, model, { rewriteBody: this.rewriteBody });
      return;
    }
  }
}

function evaluateModel(expression: CompiledExpression, bindings: CelBindings, index: number): string {
  const result = expression(bindings);
  if (result.ok && typeof result.value === "string" && result.value !== "") return result.value;
  // The condition matched but the rule cannot say which model: a config bug, reported as 500.
  const why = result.ok ? `a ${typeof result.value} instead of a non-empty string` : result.error;
  throw new RequestError("Internal", `routing rule ${index} produced no model: ${why}`, {
    reason: "routing_rule_failed",
  });
}

function bindingsOf(request: MutableRequest): CelBindings {
  // A Map, not an object: a header named "__proto__" stays data.
  const headers = new Map(request.headers.entries());
  return {
    body: request.body.kind === "json" ? (request.body.json() ?? EMPTY_BODY) : EMPTY_BODY,
    headers,
    path: request.path ?? "",
    method: request.method ?? "",
    model: currentModel(request) ?? "",
  };
}

/** compileRules compiles every rule, collecting each problem with its path under `rules`. */
export function compileRules(rules: CelRulesParameters["rules"]): Result<CompiledRule[], ParameterIssue[]> {
  const issues: ParameterIssue[] = [];
  const compiled: CompiledRule[] = [];
  for (const [index, rule] of rules.entries()) {
    if (typeof rule === "string") {
      const parts = splitShorthand(rule);
      if (!parts || parts.when === "" || parts.result === "") {
        issues.push({ path: ["rules", index], message: 'a string rule must read `CONDITION => "model"`' });
        continue;
      }
      const when = compileExpression(parts.when);
      const result = compileExpression(parts.result);
      if (!when.ok) issues.push({ path: ["rules", index], message: `condition: ${when.error}` });
      if (!result.ok) issues.push({ path: ["rules", index], message: `model expression: ${result.error}` });
      if (when.ok && result.ok) {
        const constant = result.value.constant;
        if (constant !== undefined && (typeof constant.value !== "string" || constant.value === "")) {
          issues.push({ path: ["rules", index], message: "the model after => must be a non-empty string" });
          continue;
        }
        // A literal model (the usual `=> "model"`) needs no evaluation per request.
        const action: Action =
          constant === undefined
            ? { kind: "model-expression", expression: result.value }
            : { kind: "model", model: constant.value as string };
        compiled.push({ index, when: when.value, action });
      }
      continue;
    }
    const when = compileExpression(rule.when);
    if (!when.ok) {
      issues.push({ path: ["rules", index, "when"], message: when.error });
      continue;
    }
    const action: Action = rule.reject
      ? {
          kind: "reject",
          error: new RequestError(CODE_BY_STATUS.get(rule.reject.status)!, rule.reject.message, {
            ...(rule.reject.reason === undefined ? {} : { reason: rule.reject.reason }),
          }),
        }
      : { kind: "model", model: rule.model! };
    compiled.push({ index, when: when.value, action });
  }
  return issues.length > 0 ? err(issues) : ok(compiled);
}

/** celRulesType registers cel-rules (alpha: enable with feature gate CelRules). */
export const celRulesType: PluginTypeSpec<CelRulesParameters, BbrPluginHandle> = {
  type: CEL_RULES,
  description: "Ordered CEL rules over body, headers, path, method and model that choose a model or reject.",
  stability: "alpha",
  featureGate: CEL_RULES_GATE,
  extensionPoints: ["ModelSelector"],
  parameters: celRulesParameters,
  create: (name, params) => {
    const rules = compileRules(params.rules);
    return rules.ok ? ok(new CelRules(name, rules.value, params.rewriteBody)) : rules;
  },
};
