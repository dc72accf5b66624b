import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseDocument } from "yaml";
import type { Logger } from "../../common/logger.js";
import { watchFile } from "../../common/file-watch.js";
import { err, ok, type Result } from "../../common/result.js";
import { zodIssues } from "../../common/zod-issues.js";
import type { Plugin } from "../../plugin/plugin.js";
import { formatDeprecation, type StabilityPolicy, STABILITY_LEVELS, type Stability } from "../../plugin/registry.js";
import {
  type ExtensionPoint,
  extensionPointsOf,
  REQUEST_EXTENSION_POINTS,
  RESPONSE_EXTENSION_POINTS,
} from "../api/extension-points.js";
import type { BbrPluginHandle, BbrRegistry } from "../api/plugin-handle.js";
import { DEFAULT_PLUGIN_TIMEOUT_MS, type PluginPolicy } from "../pipeline/chain.js";
import type { BbrMetrics } from "../metrics.js";
import type { ModelSelectorPipeline } from "../pipeline/model-selector/pipeline.js";
import { buildModelSelectors } from "./model-selectors.js";
import { loadModules } from "./modules.js";
import { type BbrConfigDocument, bbrConfigSchema } from "./schema.js";

/** ConfigIssue is one problem in a config: where (a path like plugins[1].parameters.fieldName) and why. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** ConfigError is every problem found in one config source. */
export interface ConfigError {
  readonly source: string;
  readonly issues: readonly ConfigIssue[];
}

/** formatConfigError renders one line per issue: `file: path: reason`. */
export function formatConfigError(error: ConfigError): string {
  return error.issues.map((i) => `${error.source}: ${i.path === "" ? "" : `${i.path}: `}${i.message}`).join("\n");
}

/** LoadedConfig is a validated config with its plugin instances built. */
export interface LoadedConfig {
  readonly source: string;
  readonly document: BbrConfigDocument;
  readonly plugins: readonly Plugin[];
  readonly requestPlugins: readonly Plugin[];
  readonly responsePlugins: readonly Plugin[];
  readonly ownedHeaders: readonly string[];
  /** policies holds each instance's timeout and failure policy. */
  readonly policies: ReadonlyMap<Plugin, PluginPolicy>;
  /** modelSelectors are the pipelines built from `modelSelectors` (also in requestPlugins when chained). */
  readonly modelSelectors: readonly ModelSelectorPipeline[];
  /** registry is the in-tree registry plus the types this config's modules added. */
  readonly registry: BbrRegistry;
  /** warnings are non-fatal findings: deprecated types, feature gates that enable nothing. */
  readonly warnings: readonly string[];
  readonly loadedAt: Date;
}

/** LoadContext is what building plugins needs from the process. */
export interface LoadContext {
  readonly registry: BbrRegistry;
  readonly logger: Logger;
  readonly metrics: BbrMetrics;
}

/** formatPath renders a zod-style path as `plugins[0].parameters.fieldName`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** loadConfigFile reads and loads a config file. */
export async function loadConfigFile(path: string, context: LoadContext): Promise<Result<LoadedConfig, ConfigError>> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return err({ source: path, issues: [{ path: "", message: `cannot read config: ${(e as Error).message}` }] });
  }
  return loadConfigText(text, path, dirname(resolve(path)), context);
}

/**
 * loadConfigText validates a config in phases (YAML; schema; modules; plugin instances under the
 * stability policy; model selectors; chains) and reports every problem at once, each with its
 * path. A document failing the schema still gets its plugin types and parameters checked. On
 * failure, instances already built are closed.
 */
export async function loadConfigText(
  text: string,
  source: string,
  baseDir: string,
  context: LoadContext,
): Promise<Result<LoadedConfig, ConfigError>> {
  const fail = (issues: ConfigIssue[]) => err({ source, issues });

  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    return fail(
      doc.errors.map((e) => {
        const reason = (e.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
        const where = e.linePos ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : "";
        return { path: "", message: `invalid YAML${where}: ${reason}` };
      }),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  const parsed = bbrConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const schemaIssues = zodIssues(parsed.error).map((i) => ({ path: formatPath(i.path), message: i.message }));
    // Report unknown and refused plugin types with the schema errors, so one run shows all.
    return fail([...schemaIssues, ...(await typeIssuesOfInvalidDocument(raw, baseDir, context))]);
  }
  const document = parsed.data;

  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];
  const registry = context.registry.clone();
  for (const m of await loadModules(document.modules, baseDir, registry)) {
    issues.push({ path: `modules[${m.index}]`, message: m.message });
  }
  const policy: StabilityPolicy = { featureGates: document.featureGates, minimumStability: document.minimumStability };
  warnings.push(...unusedGateWarnings(document.featureGates, registry));
  const byName = new Map<string, Plugin>();
  const plugins: Plugin[] = [];
  const policies = new Map<Plugin, PluginPolicy>();
  const deprecatedUses: { name: string; type: string; warning: string }[] = [];
  const handle: BbrPluginHandle = {
    logger: context.logger,
    metrics: context.metrics,
    resolvePath: (p) => resolve(baseDir, p),
    watchFile: (p, onChange) => watchFile(p, onChange),
  };
  for (const [i, spec] of document.plugins.entries()) {
    const name = spec.name ?? spec.type;
    if (byName.has(name)) {
      issues.push({ path: `plugins[${i}].name`, message: `duplicate plugin name "${name}"` });
      continue;
    }
    const created = registry.create(spec.type, name, spec.parameters, handle, policy);
    if (!created.ok) {
      for (const e of created.error) issues.push({ path: formatPath([`plugins`, i, ...e.path]), message: e.message });
      continue;
    }
    const deprecated = registry.get(spec.type)?.deprecated;
    if (deprecated) {
      deprecatedUses.push({
        name,
        type: spec.type,
        warning: `plugins[${i}]: ${formatDeprecation(spec.type, deprecated)}`,
      });
    }
    byName.set(name, created.value);
    plugins.push(created.value);
    policies.set(created.value, {
      timeoutMs: spec.timeout ?? DEFAULT_PLUGIN_TIMEOUT_MS,
      failurePolicy: spec.failurePolicy,
    });
  }

  const selectors = buildModelSelectors(document.modelSelectors, byName, context.metrics);
  for (const issue of selectors.issues) issues.push({ path: formatPath(issue.path), message: issue.message });
  const usedBySelectors = new Set(selectors.pipelines.flatMap((p) => p.plugins));
  const chainable = [...plugins.filter((p) => !usedBySelectors.has(p)), ...selectors.pipelines];
  const named = new Map<string, Plugin>([
    ...byName,
    ...selectors.pipelines.map((p): [string, Plugin] => [p.typedName.name, p]),
  ]);

  const requestPlugins = resolveChain("request", document.request, chainable, named, REQUEST_EXTENSION_POINTS, issues);
  const responsePlugins = resolveChain(
    "response",
    document.response,
    plugins,
    byName,
    RESPONSE_EXTENSION_POINTS,
    issues,
  );

  if (issues.length > 0) {
    await closePlugins(plugins, context.logger);
    return fail(issues);
  }
  // Deprecated types are counted per instance of a config that loads, and warned about once.
  for (const use of deprecatedUses) {
    warnings.push(use.warning);
    context.metrics.deprecatedPluginUse.inc({ plugin_type: use.type });
    if (registry.firstDeprecatedUse(use.type)) context.logger.warn({ plugin: use.name, type: use.type }, use.warning);
  }
  context.logger.info(
    {
      config: source,
      plugins: plugins.map((p) => ({
        name: p.typedName.name,
        type: p.typedName.type,
        stability: registry.get(p.typedName.type)?.stability,
      })),
      modelSelectors: selectors.pipelines.map((p) => p.typedName.name),
    },
    "config loaded",
  );
  return ok({
    source,
    document,
    plugins,
    requestPlugins,
    responsePlugins,
    ownedHeaders: document.ownedHeaders,
    policies,
    modelSelectors: selectors.pipelines,
    registry,
    warnings,
    loadedAt: new Date(),
  });
}

/** unusedGateWarnings names feature gates that enable no registered alpha type (typos, graduated types). */
function unusedGateWarnings(gates: readonly string[], registry: BbrRegistry): string[] {
  const known = new Set(registry.types().flatMap((t) => (t.featureGate === undefined ? [] : [t.featureGate])));
  return gates.filter((g) => !known.has(g)).map((g) => `featureGates: "${g}" enables no registered plugin type`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * typeIssuesOfInvalidDocument checks plugin types in a document that failed the schema, as far
 * as its shape allows: modules that are listed correctly are loaded (they may define types),
 * then each `plugins[i].type` string is admitted under the document's gates and minimum, and
 * its parameters are checked against the type's schema (factories do not run).
 */
async function typeIssuesOfInvalidDocument(
  raw: unknown,
  baseDir: string,
  context: LoadContext,
): Promise<ConfigIssue[]> {
  if (!isRecord(raw) || !Array.isArray(raw["plugins"])) return [];
  const strings = (v: unknown) =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === "string" && x !== "") : [];
  const registry = context.registry.clone();
  const issues: ConfigIssue[] = [];
  const modules = raw["modules"];
  if (Array.isArray(modules) && modules.every((m) => typeof m === "string" && m !== "")) {
    for (const m of await loadModules(modules as string[], baseDir, registry)) {
      issues.push({ path: `modules[${m.index}]`, message: m.message });
    }
  }
  const minimum = raw["minimumStability"];
  const policy: StabilityPolicy = {
    featureGates: strings(raw["featureGates"]),
    minimumStability: STABILITY_LEVELS.includes(minimum as Stability) ? (minimum as Stability) : "alpha",
  };
  for (const [i, entry] of raw["plugins"].entries()) {
    if (!isRecord(entry) || typeof entry["type"] !== "string" || entry["type"] === "") continue;
    const type = entry["type"];
    const admitted = registry.admit(type, policy);
    if (!admitted.ok) {
      issues.push({ path: `plugins[${i}].type`, message: admitted.error });
      continue;
    }
    const params = admitted.value.parameters.safeParse(entry["parameters"] ?? undefined);
    if (!params.success) {
      for (const issue of zodIssues(params.error)) {
        issues.push({
          path: formatPath(["plugins", i, "parameters", ...issue.path]),
          message: `invalid parameters for plugin type "${type}": ${issue.message}`,
        });
      }
    }
  }
  return issues;
}

function resolveChain(
  chain: "request" | "response",
  refs: readonly string[] | undefined,
  plugins: readonly Plugin[],
  byName: ReadonlyMap<string, Plugin>,
  points: readonly ExtensionPoint[],
  issues: ConfigIssue[],
): Plugin[] {
  const fits = (p: Plugin) => extensionPointsOf(p).some((point) => points.includes(point));
  if (refs === undefined) return plugins.filter(fits);
  const resolved: Plugin[] = [];
  for (const [j, ref] of refs.entries()) {
    const plugin = byName.get(ref);
    if (!plugin) {
      issues.push({ path: `${chain}[${j}]`, message: `no plugin named "${ref}" in plugins` });
    } else if (!fits(plugin)) {
      issues.push({
        path: `${chain}[${j}]`,
        message: `plugin "${ref}" (${plugin.typedName.type}) implements none of ${points.join(", ")}`,
      });
    } else {
      resolved.push(plugin);
    }
  }
  return resolved;
}

/** closePlugins releases every instance of a retired or failed config. */
export async function closePlugins(plugins: readonly Plugin[], logger: Logger): Promise<void> {
  for (const p of plugins) {
    try {
      await p.close?.();
    } catch (e) {
      logger.warn({ plugin: p.typedName.name, err: (e as Error).message }, "plugin close failed");
    }
  }
}
