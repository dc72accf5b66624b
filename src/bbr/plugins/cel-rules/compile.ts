import { type CelEnv, celEnv, isCelError, parse, plan } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { err, ok, type Result } from "../../../common/result.js";

/** CEL_VARIABLES are the names a rule may use. */
export const CEL_VARIABLES = ["body", "headers", "path", "method", "model"] as const;

/** CelBindings are the values a rule sees for one request. */
export interface CelBindings {
  /** The JSON body (an empty object for non-JSON bodies). */
  readonly body: Readonly<Record<string, unknown>>;
  /** Request headers by lower-case name, pseudo-headers (":path") included. */
  readonly headers: ReadonlyMap<string, string>;
  readonly path: string;
  readonly method: string;
  /** The model chosen so far (after aliases), or "" when none. */
  readonly model: string;
}

/** CelOutcome is a CEL value, or the error this request's data caused. */
export type CelOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: string };

/** CompiledExpression evaluates for one request; `constant` is set for a literal (`"model-a"`). */
export interface CompiledExpression {
  (bindings: CelBindings): CelOutcome;
  readonly constant?: { readonly value: unknown };
}

let sharedEnv: CelEnv | undefined;

function env(): CelEnv {
  sharedEnv ??= celEnv({ funcs: strings });
  return sharedEnv;
}

// A structural view of cel-es's parsed AST: just what the static check walks.
interface AstNode {
  readonly exprKind: { readonly case: string | undefined; readonly value?: unknown };
}
interface CallNode {
  readonly function: string;
  readonly target?: AstNode;
  readonly args: readonly AstNode[];
}
interface ComprehensionNode {
  readonly iterVar: string;
  readonly iterVar2?: string;
  readonly accuVar: string;
  readonly iterRange?: AstNode;
  readonly accuInit?: AstNode;
  readonly loopCondition?: AstNode;
  readonly loopStep?: AstNode;
  readonly result?: AstNode;
}

/**
 * staticProblems finds what the CEL runtime would only report per request: variables other
 * than CEL_VARIABLES and functions that do not exist. Operators and macros come from the
 * parser and are always valid.
 */
function staticProblems(root: AstNode): string[] {
  const problems = new Set<string>();
  const funcs = env().funcs;
  const walk = (node: AstNode | undefined, scope: ReadonlySet<string>): void => {
    if (!node) return;
    const { case: kind, value } = node.exprKind;
    switch (kind) {
      case "identExpr": {
        const name = (value as { name: string }).name;
        if (!scope.has(name)) problems.add(`unknown variable "${name}" (rules can use ${CEL_VARIABLES.join(", ")})`);
        return;
      }
      case "selectExpr":
        walk((value as { operand?: AstNode }).operand, scope);
        return;
      case "callExpr": {
        const call = value as CallNode;
        const operator = /^[_@!-]/.test(call.function);
        if (!operator && funcs.find(call.function) === undefined) problems.add(`unknown function "${call.function}"`);
        walk(call.target, scope);
        for (const arg of call.args) walk(arg, scope);
        return;
      }
      case "listExpr":
        for (const e of (value as { elements: AstNode[] }).elements) walk(e, scope);
        return;
      case "structExpr":
        for (const entry of (value as { entries: { value?: AstNode; keyKind: { case?: string; value?: unknown } }[] })
          .entries) {
          if (entry.keyKind.case === "mapKey") walk(entry.keyKind.value as AstNode, scope);
          walk(entry.value, scope);
        }
        return;
      case "comprehensionExpr": {
        const c = value as ComprehensionNode;
        walk(c.iterRange, scope);
        walk(c.accuInit, scope);
        const inner = new Set(scope);
        for (const v of [c.iterVar, c.iterVar2, c.accuVar]) if (v) inner.add(v);
        walk(c.loopCondition, inner);
        walk(c.loopStep, inner);
        const result = new Set(scope);
        result.add(c.accuVar);
        walk(c.result, result);
        return;
      }
      default:
        return;
    }
  };
  walk(root, new Set(CEL_VARIABLES));
  return [...problems];
}

/**
 * compileExpression parses and plans a CEL expression once (at config load). Syntax errors,
 * unknown variables and unknown functions are load errors, so a bad rule never reaches traffic.
 */
export function compileExpression(source: string): Result<CompiledExpression, string> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (e) {
    return err(
      `invalid CEL: ${(e instanceof Error ? e.message : String(e)).replace(/^<input>:/, "at ").split("\n")[0]}`,
    );
  }
  const problems = staticProblems(parsed.expr as unknown as AstNode);
  if (problems.length > 0) return err(`invalid CEL: ${problems.join("; ")}`);
  let evaluate: (bindings: CelBindings) => unknown;
  try {
    evaluate = plan(env(), parsed) as unknown as (bindings: CelBindings) => unknown;
  } catch (e) {
    return err(`invalid CEL: ${e instanceof Error ? e.message : String(e)}`);
  }
  const compiled = (bindings: CelBindings): CelOutcome => {
    let value: unknown;
    try {
      value = evaluate(bindings);
    } catch (e) {
      return { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
    return isCelError(value) ? { ok: false, error: value.message } : { ok: true, value };
  };
  const constant = constantOf(parsed.expr as unknown as AstNode);
  return ok(constant === undefined ? compiled : Object.assign(compiled, { constant }));
}

function constantOf(node: AstNode): { value: unknown } | undefined {
  if (node.exprKind.case !== "constExpr") return undefined;
  return { value: (node.exprKind.value as { constantKind: { value?: unknown } }).constantKind.value };
}

/**
 * splitShorthand splits `CONDITION => RESULT` at the last `=>` outside string literals (CEL has
 * no `=>` operator, so the arrow is unambiguous there). Returns undefined without an arrow.
 */
export function splitShorthand(rule: string): { when: string; result: string } | undefined {
  let quote: string | undefined;
  let arrow = -1;
  for (let i = 0; i < rule.length; i++) {
    const c = rule[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === "=" && rule[i + 1] === ">") {
      arrow = i;
    }
  }
  if (arrow === -1) return undefined;
  return { when: rule.slice(0, arrow).trim(), result: rule.slice(arrow + 2).trim() };
}
