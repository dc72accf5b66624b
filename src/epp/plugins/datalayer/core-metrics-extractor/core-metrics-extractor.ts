import { z } from "zod";
import { err, ok, type Result } from "../../../../common/result.js";
import type { TypedName } from "../../../../plugin/plugin.js";
import type { PluginTypeSpec } from "../../../../plugin/registry.js";
import type { ExtractedMetrics, MetricFamilies, MetricsExtractor } from "../../../api/datalayer.js";
import type { EndpointMetadata } from "../../../api/endpoint.js";
import type { EppPluginHandle } from "../../../api/handle.js";
import {
  BUILT_IN_ENGINES,
  DEFAULT_ENGINE,
  ENGINE_LABEL_KEY,
  type EngineMetricNames,
} from "../../../datalayer/metrics/engines.js";
import { type CompiledEngine, compileEngine, extractMetrics } from "../../../datalayer/metrics/extract.js";
import { parameters } from "../../params.js";

/** CORE_METRICS_EXTRACTOR is the plugin type name. */
export const CORE_METRICS_EXTRACTOR = "core-metrics-extractor";

// An engine config replaces the built-in one of the same name entirely: omitted specs are
// disabled, as in the reference.
const engineConfig = z.strictObject({
  name: z.string().min(1),
  queuedRequestsSpec: z.string().default(""),
  runningRequestsSpec: z.string().default(""),
  kvUsageSpec: z.string().default(""),
  loraSpec: z.string().default(""),
  cacheInfoSpec: z.string().default(""),
  blockSizeSpec: z.string().default(""),
  numBlocksSpec: z.string().default(""),
});

const schema = parameters({
  engineLabelKey: z.string().min(1).default(ENGINE_LABEL_KEY),
  defaultEngine: z.string().min(1).default(DEFAULT_ENGINE),
  engineConfigs: z.array(engineConfig).default([]),
});

type Parameters = z.output<typeof schema>;

/**
 * CoreMetricsExtractor maps a scrape onto queue, running, KV, LoRA and cache-geometry metrics,
 * choosing each endpoint's engine by label (default vLLM).
 */
export class CoreMetricsExtractor implements MetricsExtractor {
  readonly typedName: TypedName;

  constructor(
    name: string,
    private readonly engineLabelKey: string,
    private readonly defaultEngine: string,
    private readonly engines: ReadonlyMap<string, CompiledEngine>,
  ) {
    this.typedName = { type: CORE_METRICS_EXTRACTOR, name };
  }

  /** engineOf names the engine an endpoint uses. */
  engineOf(endpoint: EndpointMetadata): string {
    return endpoint.labels[this.engineLabelKey] ?? this.defaultEngine;
  }

  extract(families: MetricFamilies, endpoint: EndpointMetadata): Result<ExtractedMetrics, string> {
    const name = this.engineOf(endpoint);
    const engine = this.engines.get(name);
    if (!engine) return err(`unknown engine "${name}" (known: ${[...this.engines.keys()].join(", ")})`);
    return extractMetrics(families, engine);
  }
}

function build(name: string, p: Parameters): Result<CoreMetricsExtractor, string> {
  const byName = new Map<string, EngineMetricNames>(BUILT_IN_ENGINES.map((e) => [e.name, e]));
  const seen = new Set<string>();
  for (const config of p.engineConfigs) {
    if (seen.has(config.name)) return err(`engineConfigs lists engine "${config.name}" twice`);
    seen.add(config.name);
    byName.set(config.name, config);
  }
  if (!byName.has(p.defaultEngine)) return err(`defaultEngine "${p.defaultEngine}" is not a known engine`);
  const engines = new Map<string, CompiledEngine>();
  for (const [engineName, names] of byName) {
    const compiled = compileEngine(names);
    if (!compiled.ok) {
      return err(compiled.error.map((e) => `engine "${engineName}" ${e.field}: ${e.message}`).join("; "));
    }
    engines.set(engineName, compiled.value);
  }
  return ok(new CoreMetricsExtractor(name, p.engineLabelKey, p.defaultEngine, engines));
}

/** coreMetricsExtractorType registers core-metrics-extractor. */
export const coreMetricsExtractorType: PluginTypeSpec<Parameters, EppPluginHandle> = {
  type: CORE_METRICS_EXTRACTOR,
  description: "Maps model-server metrics (vLLM, SGLang, TensorRT-LLM) onto queue, running, KV and LoRA values.",
  stability: "stable",
  extensionPoints: ["Extractor"],
  parameters: schema,
  create: (name, p) => build(name, p),
};
