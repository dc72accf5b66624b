import { resolve } from "node:path";
import type { ConfigIssue } from "../../common/config-error.js";
import { watchFile } from "../../common/file-watch.js";
import { err, ok } from "../../common/result.js";
import { type Instantiated, instantiatePlugins, PluginRefs } from "../../plugin/config-phases.js";
import type { Plugin } from "../../plugin/plugin.js";
import type { StabilityPolicy } from "../../plugin/registry.js";
import { histogramDurations, type PluginPolicy } from "../../plugin/runner.js";
import {
  type ExtensionPoint,
  extensionPointsOf,
  REQUEST_EXTENSION_POINTS,
  RESPONSE_EXTENSION_POINTS,
} from "../api/extension-points.js";
import type { BbrPluginHandle, BbrRegistry } from "../api/plugin-handle.js";
import { DEFAULT_PLUGIN_TIMEOUT_MS } from "../pipeline/chain.js";
import type { LoadContext, LoadedConfig } from "./loaded-config.js";
import { buildModelSelectors } from "./model-selectors.js";
import { loadModules } from "./modules.js";
import type { BbrConfigDocument } from "./schema.js";

/**
 * instantiateBbrConfig is BBR's instantiate phase: modules add their types to a copy of the
 * registry, plugin instances are built under the stability policy, then model selectors and
 * the request and response chains are resolved. Deprecated types are counted and warned about
 * only when the whole config loads.
 */
export async function instantiateBbrConfig(
  document: BbrConfigDocument,
  source: string,
  baseDir: string,
  context: LoadContext,
): Promise<Instantiated<LoadedConfig>> {
  const registry = context.registry.clone();
  const issues: ConfigIssue[] = await loadModules(document.modules, baseDir, registry);
  const policy: StabilityPolicy = { featureGates: document.featureGates, minimumStability: document.minimumStability };
  const handle: BbrPluginHandle = {
    logger: context.logger,
    metrics: context.metrics,
    resolvePath: (p) => resolve(baseDir, p),
    watchFile: (p, onChange) => watchFile(p, onChange),
  };
  // Types registered lazily import their implementation now, only when this config uses them.
  await registry.loadImplementations(document.plugins.map((p) => p.type));
  const built = instantiatePlugins(document.plugins, registry, handle, policy);
  issues.push(...built.issues);
  const plugins = built.instances.map((i) => i.plugin);
  const policies = new Map<Plugin, PluginPolicy>(
    built.instances.map(({ index, plugin }) => {
      const spec = document.plugins[index]!;
      return [plugin, { timeoutMs: spec.timeout ?? DEFAULT_PLUGIN_TIMEOUT_MS, failurePolicy: spec.failurePolicy }];
    }),
  );

  const selectors = buildModelSelectors(
    document.modelSelectors,
    built.byName,
    histogramDurations(context.metrics.pluginDuration),
  );
  issues.push(...selectors.issues);
  const usedBySelectors = new Set(selectors.pipelines.flatMap((p) => p.plugins));
  const chainable = [...plugins.filter((p) => !usedBySelectors.has(p)), ...selectors.pipelines];
  const named = new Map<string, Plugin>([
    ...built.byName,
    ...selectors.pipelines.map((p): [string, Plugin] => [p.typedName.name, p]),
  ]);
  const requestPlugins = resolveChain("request", document.request, chainable, named, REQUEST_EXTENSION_POINTS, issues);
  const responsePlugins = resolveChain(
    "response",
    document.response,
    plugins,
    built.byName,
    RESPONSE_EXTENSION_POINTS,
    issues,
  );
  if (issues.length > 0) return { instances: plugins, built: err(issues) };

  const warnings = unusedGateWarnings(document.featureGates, registry);
  // Deprecated types are counted per instance of a config that loads, and warned about once.
  for (const use of built.deprecations) {
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
  return {
    instances: plugins,
    built: ok({
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
    }),
  };
}

/** unusedGateWarnings names feature gates that enable no registered alpha type (typos, graduated types). */
function unusedGateWarnings(gates: readonly string[], registry: BbrRegistry): string[] {
  const known = new Set(registry.types().flatMap((t) => (t.featureGate === undefined ? [] : [t.featureGate])));
  return gates.filter((g) => !known.has(g)).map((g) => `featureGates: "${g}" enables no registered plugin type`);
}

/**
 * resolveChain orders a chain: the listed references, each of which must implement one of the
 * chain's extension points, or by default every plugin that implements one.
 */
function resolveChain(
  chain: "request" | "response",
  refs: readonly string[] | undefined,
  plugins: readonly Plugin[],
  byName: ReadonlyMap<string, Plugin>,
  points: readonly ExtensionPoint[],
  issues: ConfigIssue[],
): Plugin[] {
  const fits = (p: Plugin): p is Plugin => extensionPointsOf(p).some((point) => points.includes(point));
  if (refs === undefined) return plugins.filter(fits);
  const lookup = new PluginRefs(byName, issues);
  const expected = { fits, says: `implements none of ${points.join(", ")}` };
  return refs.flatMap((ref, j) => lookup.find(ref, `${chain}[${j}]`, expected) ?? []);
}
