import { err, ok, type Result } from "../../../common/result.js";
import type { ExtractedMetrics, MetricFamilies } from "../../api/datalayer.js";
import type { EngineMetricNames } from "./engines.js";
import { largestValueSample, latestSample, matchingSamples, type MetricSpec, parseMetricSpec } from "./spec.js";

/** CompiledEngine is an engine's specs parsed once; undefined specs are disabled. */
export interface CompiledEngine {
  readonly name: string;
  readonly queued: MetricSpec | undefined;
  readonly running: MetricSpec | undefined;
  readonly kv: MetricSpec | undefined;
  readonly lora: MetricSpec | undefined;
  readonly cacheInfo: MetricSpec | undefined;
  readonly blockSize: MetricSpec | undefined;
  readonly numBlocks: MetricSpec | undefined;
}

const SPEC_FIELDS = [
  ["queued", "queuedRequestsSpec"],
  ["running", "runningRequestsSpec"],
  ["kv", "kvUsageSpec"],
  ["lora", "loraSpec"],
  ["cacheInfo", "cacheInfoSpec"],
  ["blockSize", "blockSizeSpec"],
  ["numBlocks", "numBlocksSpec"],
] as const;

/** compileEngine parses an engine's spec strings; errors name the offending field. */
export function compileEngine(names: EngineMetricNames): Result<CompiledEngine, { field: string; message: string }[]> {
  const out: Record<string, MetricSpec | undefined> = {};
  const errors: { field: string; message: string }[] = [];
  for (const [key, field] of SPEC_FIELDS) {
    const parsed = parseMetricSpec(names[field]);
    if (parsed.ok) out[key] = parsed.value;
    else errors.push({ field, message: parsed.error });
  }
  if (errors.length > 0) return err(errors);
  return ok({ name: names.name, ...out } as unknown as CompiledEngine);
}

function gauge(families: MetricFamilies, spec: MetricSpec): number | undefined {
  const s = latestSample(matchingSamples(families, spec));
  return s !== undefined && Number.isFinite(s.value) ? s.value : undefined;
}

function adapterSet(value: string | undefined): ReadonlySet<string> {
  if (!value) return new Set();
  return new Set(
    value
      .split(",")
      .map((a) => a.trim())
      .filter((a) => a !== ""),
  );
}

function nonNegativeInt(value: string | number | undefined): number {
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

const EMPTY: ReadonlySet<string> = new Set();

/**
 * extractMetrics maps one scrape onto the engine-independent metrics. The queue, running and
 * KV metrics are required when enabled (a scrape without them is an error and the endpoint keeps
 * its previous values); LoRA and cache-geometry metrics are optional.
 */
export function extractMetrics(families: MetricFamilies, engine: CompiledEngine): Result<ExtractedMetrics, string> {
  const missing: string[] = [];
  const read = (spec: MetricSpec | undefined): number => {
    if (!spec) return 0;
    const v = gauge(families, spec);
    if (v === undefined) {
      missing.push(spec.name);
      return 0;
    }
    return v;
  };
  const waiting = read(engine.queued);
  const running = read(engine.running);
  const kv = read(engine.kv);
  if (missing.length > 0) return err(`${engine.name} metrics missing from scrape: ${missing.join(", ")}`);

  let activeModels = EMPTY;
  let waitingModels = EMPTY;
  let maxActiveModels = 0;
  if (engine.lora) {
    const s = largestValueSample(matchingSamples(families, engine.lora));
    if (s) {
      activeModels = adapterSet(s.labels["running_lora_adapters"]);
      waitingModels = adapterSet(s.labels["waiting_lora_adapters"]);
      maxActiveModels = nonNegativeInt(s.labels["max_lora"]);
    }
  }
  let cacheBlockSize = 0;
  let cacheNumBlocks = 0;
  if (engine.cacheInfo) {
    const s = latestSample(matchingSamples(families, engine.cacheInfo));
    if (s) {
      cacheBlockSize = nonNegativeInt(s.labels["block_size"] ?? s.labels["page_size"]);
      cacheNumBlocks = nonNegativeInt(s.labels["num_gpu_blocks"] ?? s.labels["num_pages"]);
    }
  }
  if (engine.blockSize) cacheBlockSize = nonNegativeInt(gauge(families, engine.blockSize)) || cacheBlockSize;
  if (engine.numBlocks) cacheNumBlocks = nonNegativeInt(gauge(families, engine.numBlocks)) || cacheNumBlocks;

  return ok({
    waitingQueueSize: Math.max(0, waiting),
    runningRequestsSize: Math.max(0, running),
    kvCacheUsagePercent: Math.min(1, Math.max(0, kv)),
    activeModels,
    waitingModels,
    maxActiveModels,
    cacheBlockSize,
    cacheNumBlocks,
  });
}
