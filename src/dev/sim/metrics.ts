import { counter, declareMetrics, gauge, histogram, metricSet } from "../../runtime/metrics.js";
import type { SimEngine } from "./engine.js";

const LATENCY_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80,
];

const MODEL_LABEL = ["model_name"] as const;

/** SIM_RECORDED_METRICS are the metrics the server records as requests finish. */
const SIM_RECORDED_METRICS = {
  promptTokens: counter("vllm:prompt_tokens_total", "Number of prefill tokens processed.", MODEL_LABEL),
  generationTokens: counter("vllm:generation_tokens_total", "Number of generation tokens processed.", MODEL_LABEL),
  requestSuccess: counter("vllm:request_success_total", "Count of successfully processed requests.", [
    ...MODEL_LABEL,
    "finished_reason",
  ]),
  ttft: histogram(
    "vllm:time_to_first_token_seconds",
    "Histogram of time to first token in seconds.",
    LATENCY_BUCKETS,
    MODEL_LABEL,
  ),
  e2e: histogram(
    "vllm:e2e_request_latency_seconds",
    "Histogram of end to end request latency in seconds.",
    LATENCY_BUCKETS,
    MODEL_LABEL,
  ),
  queueTime: histogram(
    "vllm:request_queue_time_seconds",
    "Histogram of time spent in WAITING phase for request.",
    LATENCY_BUCKETS,
    MODEL_LABEL,
  ),
};

/**
 * SimMetrics exposes vLLM's metric names (the subset endpoint pickers scrape) for one instance.
 * Gauges are read from the engine at scrape time, so they are never stale. Latencies are in
 * simulated seconds (real time divided by --time-scale).
 */
export class SimMetrics extends metricSet(SIM_RECORDED_METRICS) {
  constructor(engine: SimEngine, modelName: string, maxLoras: number) {
    super();
    const model = { model_name: modelName };
    const { blockSize, kvBlocks } = engine.params;
    const { cacheInfo } = declareMetrics(this.registry, {
      running: gauge("vllm:num_requests_running", "Number of requests in model execution batches.", MODEL_LABEL, (g) =>
        g.set(model, engine.snapshot().running),
      ),
      waiting: gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.", MODEL_LABEL, (g) =>
        g.set(model, engine.snapshot().waiting),
      ),
      kvUsage: gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", MODEL_LABEL, (g) =>
        g.set(model, engine.snapshot().kvUsage),
      ),
      loraInfo: gauge(
        "vllm:lora_requests_info",
        "Running stats on lora requests.",
        ["running_lora_adapters", "waiting_lora_adapters", "max_lora"],
        (g) => {
          // One series whose labels change; the value is the update time, as vLLM reports it.
          const s = engine.snapshot();
          g.reset();
          g.set(
            {
              running_lora_adapters: s.runningAdapters.join(","),
              waiting_lora_adapters: s.waitingAdapters.join(","),
              max_lora: String(maxLoras),
            },
            Date.now() / 1000,
          );
        },
      ),
      cacheInfo: gauge("vllm:cache_config_info", "Information of the LLMEngine CacheConfig.", [
        "block_size",
        "num_gpu_blocks",
      ]),
      // The engine keeps these totals; each scrape reports them as they are.
      prefixQueries: counter(
        "vllm:prefix_cache_queries_total",
        "Prefix cache queries, in terms of number of queried tokens.",
        MODEL_LABEL,
        (c) => {
          c.reset();
          c.inc(model, engine.totals.prefixQueriedTokens);
        },
      ),
      prefixHits: counter(
        "vllm:prefix_cache_hits_total",
        "Prefix cache hits, in terms of number of cached tokens.",
        MODEL_LABEL,
        (c) => {
          c.reset();
          c.inc(model, engine.totals.prefixHitTokens);
        },
      ),
    });
    cacheInfo.set({ block_size: String(blockSize), num_gpu_blocks: String(kvBlocks) }, 1);
  }
}
