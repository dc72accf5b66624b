import { dirname, resolve } from "node:path";
import type { ConfigError } from "../../common/config-error.js";
import type { Logger } from "../../common/logger.js";
import type { Result } from "../../common/result.js";
import { loadInPhases, readConfigFile } from "../../plugin/config-phases.js";
import type { Plugin } from "../../plugin/plugin.js";
import type { PluginPolicy } from "../../plugin/runner.js";
import type { BbrRegistry } from "../api/plugin-handle.js";
import type { BbrMetrics } from "../metrics.js";
import type { ModelSelectorPipeline } from "../pipeline/model-selector/pipeline.js";
import { instantiateBbrConfig } from "./instantiate.js";
import type { BbrConfigDocument } from "./schema.js";
import { validateBbrDocument } from "./validate.js";

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

/** loadConfigFile reads and loads a config file; relative paths in it are relative to its directory. */
export async function loadConfigFile(path: string, context: LoadContext): Promise<Result<LoadedConfig, ConfigError>> {
  const text = await readConfigFile(path);
  if (!text.ok) return text;
  return loadConfigText(text.value, path, dirname(resolve(path)), context);
}

/**
 * loadConfigText loads a config in three phases (see src/plugin/config-phases.ts): parse the
 * YAML; validate it against the schema (plugin types and parameters are checked even when the
 * rest fails); instantiate modules, plugins under the stability policy, model selectors and
 * chains. It reports every problem of the failing phase at once, each with its path.
 */
export function loadConfigText(
  text: string,
  source: string,
  baseDir: string,
  context: LoadContext,
): Promise<Result<LoadedConfig, ConfigError>> {
  return loadInPhases(text, source, {
    validate: (raw) => validateBbrDocument(raw, baseDir, context.registry),
    instantiate: (document) => instantiateBbrConfig(document, source, baseDir, context),
    logger: context.logger,
  });
}
