import type { Logger } from "../../common/logger.js";
import type { Plugin } from "../../plugin/plugin.js";
import type { PluginPolicy } from "../../plugin/runner.js";
import type { BbrRegistry } from "../api/plugin-handle.js";
import type { BbrMetrics } from "../metrics.js";
import type { ModelSelectorPipeline } from "../pipeline/model-selector/pipeline.js";
import type { BbrConfigDocument } from "./schema.js";

// What a load produces and needs, apart from the loader, so the phases can name it without
// importing the loader back.

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
