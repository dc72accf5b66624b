import { err, ok, type Result } from "../../../common/result.js";
import { RequestError } from "../../../common/request-error.js";
import type { TypedName } from "../../../plugin/plugin.js";
import type { ParameterIssue, PluginTypeSpec } from "../../../plugin/registry.js";
import type { ModelSelector } from "../../api/extension-points.js";
import type { MutableRequest } from "../../api/inference-message.js";
import { applyModelChoice, currentModel } from "../../api/model-selection.js";
import type { BbrPluginHandle } from "../../api/plugin-handle.js";
import { type CelBindings, type CompiledExpression, compileExpression, splitShorthand } from "./compile.js";
import { CEL_RULES, CODE_BY_STATUS, type CelRulesParameters, celRulesRegistration } from "./registration.js";

export {
  CEL_RULES,
  CEL_RULES_GATE,
  type CelRulesParameters,
  celRulesParameters,
} from "./registration.js";

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
  ...celRulesRegistration,
  create: (name, params) => {
    const rules = compileRules(params.rules);
    return rules.ok ? ok(new CelRules(name, rules.value, params.rewriteBody)) : rules;
  },
};
