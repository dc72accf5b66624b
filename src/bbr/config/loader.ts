import { dirname, resolve } from "node:path";
import type { ConfigError } from "../../common/config-error.js";
import type { Result } from "../../common/result.js";
import { loadInPhases, readConfigFile } from "../../plugin/config-phases.js";
import { instantiateBbrConfig } from "./instantiate.js";
import { validateBbrDocument } from "./validate.js";

export type { LoadedConfig, LoadContext } from "./loaded-config.js";
import type { LoadedConfig, LoadContext } from "./loaded-config.js";

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
