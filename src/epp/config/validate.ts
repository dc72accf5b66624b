import type { ConfigIssue } from "../../common/config-error.js";
import { err, ok, type Result } from "../../common/result.js";
import { pluginTypeIssues, validateDocument } from "../../plugin/config-phases.js";
import type { StabilityPolicy } from "../../plugin/registry.js";
import type { EppRegistry } from "../api/handle.js";
import { type FeatureGates, readFeatureGates } from "./feature-gates.js";
import { type EppConfigDocument, eppConfigSchema } from "./schema.js";

/** ValidEppDocument is a document that passed the validate phase, with its feature gates read. */
export interface ValidEppDocument {
  readonly document: EppConfigDocument;
  readonly gates: ReadonlySet<string>;
  readonly warnings: readonly string[];
}

function rawGates(raw: unknown): string[] {
  const gates = (raw as { featureGates?: unknown } | null)?.featureGates;
  return Array.isArray(gates) ? gates.filter((g): g is string => typeof g === "string" && g !== "") : [];
}

/** Some reference docs show the data layer under `data`; the key is `dataLayer`. */
function dataKeyHint(issue: ConfigIssue): string {
  return issue.path === "data" && issue.message.startsWith("unknown field")
    ? " (the data layer key is `dataLayer`; some reference docs show `data`)"
    : "";
}

/** policyOf is what a config's gates admit: alpha plugin types whose gate is on, nothing else is refused. */
export function policyOf(gates: ReadonlySet<string>): StabilityPolicy {
  return { featureGates: [...gates], minimumStability: "alpha" };
}

/**
 * validateEppDocument is EPP's validate phase: the document schema (worded as every config's
 * is) and the feature gates. A document failing either
 * still gets its plugin types and parameters checked, as far as its shape allows, so one run
 * shows every problem.
 */
export function validateEppDocument(raw: unknown, registry: EppRegistry): Result<ValidEppDocument, ConfigIssue[]> {
  const valid = validateDocument(eppConfigSchema, raw, { hint: dataKeyHint });
  const gates: FeatureGates = readFeatureGates(valid.ok ? valid.value.featureGates : rawGates(raw), registry);
  if (valid.ok && gates.issues.length === 0) {
    return ok({ document: valid.value, gates: gates.enabled, warnings: gates.warnings });
  }
  return err([
    ...(valid.ok ? [] : valid.error),
    ...gates.issues,
    ...pluginTypeIssues(raw, registry, policyOf(gates.enabled)),
  ]);
}
