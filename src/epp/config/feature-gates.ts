import type { ConfigIssue } from "../../common/config-error.js";
import type { EppRegistry } from "../api/handle.js";

/** FEATURE_GATES are the gates the reference defines; only the no-op ones can be enabled here. */
export const FEATURE_GATES: Readonly<Record<string, "supported" | "ignored" | "unsupported">> = {
  dataLayer: "supported",
  enableLegacyMetrics: "ignored",
  flowControl: "supported",
};

/** FeatureGates is what a config's featureGates enable, and what is wrong with them. */
export interface FeatureGates {
  readonly enabled: ReadonlySet<string>;
  readonly issues: readonly ConfigIssue[];
  /** warnings name gates that are accepted but do nothing here. */
  readonly warnings: readonly string[];
}

/**
 * readFeatureGates reads `featureGates` entries ("name", "name=true", "name=false"): the
 * reference's gates and the gates of the registry's alpha plugin types.
 */
export function readFeatureGates(entries: readonly string[], registry: EppRegistry): FeatureGates {
  const enabled = new Set<string>();
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];
  const pluginGates = registry
    .types()
    .flatMap((t) => (t.stability === "alpha" && t.featureGate ? [t.featureGate] : []));
  for (const [i, entry] of entries.entries()) {
    const path = `featureGates[${i}]`;
    const [name, value] = entry.split("=", 2) as [string, string | undefined];
    if (value !== undefined && value !== "true" && value !== "false") {
      issues.push({ path, message: `use "${name}", "${name}=true" or "${name}=false"` });
      continue;
    }
    const support = FEATURE_GATES[name] ?? (pluginGates.includes(name) ? "supported" : undefined);
    if (support === undefined) {
      issues.push({
        path,
        message: `unknown feature gate "${name}" (known: ${[...Object.keys(FEATURE_GATES), ...pluginGates].join(", ")})`,
      });
      continue;
    }
    if (value === "false") continue;
    if (support === "unsupported") {
      issues.push({ path, message: `feature gate "${name}" is not implemented by this EPP` });
      continue;
    }
    if (support === "ignored") warnings.push(`feature gate "${name}" has no effect in this EPP`);
    enabled.add(name);
  }
  return { enabled, issues, warnings };
}
