import type { ConfigIssue } from "../../common/config-error.js";
import { err, type Result } from "../../common/result.js";
import { pluginTypeIssues, validateDocument } from "../../plugin/config-phases.js";
import { STABILITY_LEVELS, type Stability, type StabilityPolicy } from "../../plugin/registry.js";
import type { BbrRegistry } from "../api/plugin-handle.js";
import { loadModules } from "./modules.js";
import { type BbrConfigDocument, bbrConfigSchema } from "./schema.js";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string" && x !== "") : [];
}

/**
 * validateBbrDocument is BBR's validate phase: the document schema. A document failing it
 * still gets its plugin types and parameters checked, as far as its shape allows, so one run
 * shows every problem: modules listed correctly are loaded first (they may define types), then
 * each type is admitted under the document's gates and minimum stability.
 */
export async function validateBbrDocument(
  raw: unknown,
  baseDir: string,
  registry: BbrRegistry,
): Promise<Result<BbrConfigDocument, ConfigIssue[]>> {
  const valid = validateDocument(bbrConfigSchema, raw);
  if (valid.ok) return valid;
  const issues = [...valid.error];
  if (!isRecord(raw) || !Array.isArray(raw["plugins"])) return err(issues);
  const withModules = registry.clone();
  const modules = raw["modules"];
  if (Array.isArray(modules) && modules.every((m) => typeof m === "string" && m !== "")) {
    issues.push(...(await loadModules(modules as string[], baseDir, withModules)));
  }
  const minimum = raw["minimumStability"];
  const policy: StabilityPolicy = {
    featureGates: strings(raw["featureGates"]),
    minimumStability: STABILITY_LEVELS.includes(minimum as Stability) ? (minimum as Stability) : "alpha",
  };
  issues.push(...pluginTypeIssues(raw, withModules, policy));
  return err(issues);
}
