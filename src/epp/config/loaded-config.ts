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
import type { EppConfigDocument } from "./schema.js";

// What a load produces and needs, apart from the loader, so the phases can name it without
// importing the loader back.

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
