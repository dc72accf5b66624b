import type { ConfigError } from "../../common/config-error.js";
import type { Result } from "../../common/result.js";
import { loadInPhases, readConfigFile } from "../../plugin/config-phases.js";
import { instantiateEppConfig } from "./instantiate.js";
import { validateEppDocument } from "./validate.js";

export type { MetricsCollection, LoadedEppConfig, LoadContext } from "./loaded-config.js";
import type { LoadedEppConfig, LoadContext } from "./loaded-config.js";

/** loadConfigFile reads and loads an EndpointPickerConfig file. */
export async function loadConfigFile(
  path: string,
  context: LoadContext,
): Promise<Result<LoadedEppConfig, ConfigError>> {
  const text = await readConfigFile(path);
  if (!text.ok) return text;
  return loadConfigText(text.value, path, context);
}

/**
 * loadConfigText loads a config in three phases (see src/plugin/config-phases.ts): parse the
 * YAML; validate the schema and feature gates (plugin types and parameters are checked even
 * when those fail); instantiate the plugins and wire them with the reference's defaults. It
 * reports every problem of the failing phase at once, each with its path.
 */
export function loadConfigText(
  text: string,
  source: string,
  context: LoadContext,
): Promise<Result<LoadedEppConfig, ConfigError>> {
  return loadInPhases(text, source, {
    validate: (raw) => validateEppDocument(raw, context.registry),
    instantiate: (valid) => instantiateEppConfig(valid, source, context),
    logger: context.handle.logger,
  });
}
