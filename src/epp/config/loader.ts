import type { ConfigError } from "../../common/config-error.js";
import type { Result } from "../../common/result.js";
import { loadInPhases, readConfigFile } from "../../plugin/config-phases.js";
import type { Plugin } from "../../plugin/plugin.js";
import type { MetricsDataSource, MetricsExtractor } from "../api/datalayer.js";
import type { EppPluginHandle, EppRegistry } from "../api/handle.js";
import type {
  DataProducer,
  PreRequest,
  RequestParser,
  ResponseBodyProcessor,
  ResponseCompleteProcessor,
  ResponseHeaderProcessor,
} from "../api/request-control.js";
import type { SaturationDetector } from "../api/saturation.js";
import type { FlowControlConfig } from "../flowcontrol/config.js";
import type { Scheduler } from "../scheduling/scheduler.js";
import { instantiateEppConfig } from "./instantiate.js";
import type { EppConfigDocument } from "./schema.js";
import { validateEppDocument } from "./validate.js";

/** MetricsCollection is the configured scrape pipeline (one source and its extractor). */
export interface MetricsCollection {
  readonly source: MetricsDataSource;
  readonly extractor: MetricsExtractor;
}

/** LoadedEppConfig is a validated EndpointPickerConfig with every plugin built and wired. */
export interface LoadedEppConfig {
  readonly source: string;
  readonly document: EppConfigDocument;
  /** plugins are every instance, configured and injected, in creation order. */
  readonly plugins: readonly Plugin[];
  readonly scheduler: Scheduler;
  readonly parser: RequestParser;
  readonly saturationDetector: SaturationDetector;
  /** metrics is undefined when `dataLayer: {sources: []}` disables collection. */
  readonly metrics: MetricsCollection | undefined;
  readonly producers: readonly DataProducer[];
  readonly preRequest: readonly PreRequest[];
  readonly responseHeader: readonly ResponseHeaderProcessor[];
  readonly responseBody: readonly ResponseBodyProcessor[];
  readonly responseComplete: readonly ResponseCompleteProcessor[];
  readonly featureGates: ReadonlySet<string>;
  /** flowControl is set when the flowControl feature gate is on. */
  readonly flowControl: FlowControlConfig | undefined;
  /** warnings are accepted-but-ignored settings and deprecated types, for the caller to log. */
  readonly warnings: readonly string[];
}

/** LoadContext is what building plugins needs: the registry (types and role defaults) and the handle. */
export interface LoadContext {
  readonly registry: EppRegistry;
  readonly handle: EppPluginHandle;
}

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
