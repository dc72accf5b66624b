import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { SimEngine } from "./engine.js";

const LATENCY_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80,
];

/**
 * SimMetrics exposes vLLM's metric names (the subset endpoint pickers scrape) for one instance.
 * Gauges are read from the engine at scrape time, so they are never stale. Latencies are in
 * simulated seconds (real time divided by --time-scale).
 */
export class SimMetrics {
  readonly registry = new Registry();
  readonly promptTokens: Counter<"model_name">;
  readonly generationTokens: Counter<"model_name">;
  readonly requestSuccess: Counter<"model_name" | "finished_reason">;
  readonly ttft: Histogram<"model_name">;
  readonly e2e: Histogram<"model_name">;
  readonly queueTime: Histogram<"model_name">;

  constructor(engine: SimEngine, modelName: string, maxLoras: number) {
    const registers = [this.registry];
    const labelNames = ["model_name"] as const;
    new Gauge({
      name: "vllm:num_requests_running",
      help: "Number of requests in model execution batches.",
      labelNames,
      registers,
      collect() {
        this.set({ model_name: modelName }, engine.snapshot().running);
      },
    });
    new Gauge({
      name: "vllm:num_requests_waiting",
      help: "Number of requests waiting to be processed.",
      labelNames,
      registers,
      collect() {
        this.set({ model_name: modelName }, engine.snapshot().waiting);
      },
    });
    new Gauge({
      name: "vllm:kv_cache_usage_perc",
      help: "KV-cache usage. 1 means 100 percent usage.",
      labelNames,
      registers,
      collect() {
        this.set({ model_name: modelName }, engine.snapshot().kvUsage);
      },
    });
    new Gauge({
      name: "vllm:lora_requests_info",
      help: "Running stats on lora requests.",
      labelNames: ["running_lora_adapters", "waiting_lora_adapters", "max_lora"],
      registers,
      collect() {
        // One series whose labels change; the value is the update time, as vLLM reports it.
        const s = engine.snapshot();
        this.reset();
        this.set(
          {
            running_lora_adapters: s.runningAdapters.join(","),
            waiting_lora_adapters: s.waitingAdapters.join(","),
            max_lora: String(maxLoras),
          },
          Date.now() / 1000,
        );
      },
    });
    const cacheInfo = new Gauge({
      name: "vllm:cache_config_info",
      help: "Information of the LLMEngine CacheConfig.",
      labelNames: ["block_size", "num_gpu_blocks"],
      registers,
    });
    cacheInfo.set({ block_size: String(engine.params.blockSize), num_gpu_blocks: String(engine.params.kvBlocks) }, 1);
    new Counter({
      name: "vllm:prefix_cache_queries_total",
      help: "Prefix cache queries, in terms of number of queried tokens.",
      labelNames,
      registers,
      collect() {
        this.reset();
        this.inc({ model_name: modelName }, engine.totals.prefixQueriedTokens);
      },
    });
    new Counter({
      name: "vllm:prefix_cache_hits_total",
      help: "Prefix cache hits, in terms of number of cached tokens.",
      labelNames,
      registers,
      collect() {
        this.reset();
        this.inc({ model_name: modelName }, engine.totals.prefixHitTokens);
      },
    });
    this.promptTokens = new Counter({
      name: "vllm:prompt_tokens_total",
      help: "Number of prefill tokens processed.",
      labelNames,
      registers,
    });
    this.generationTokens = new Counter({
      name: "vllm:generation_tokens_total",
      help: "Number of generation tokens processed.",
      labelNames,
      registers,
    });
    this.requestSuccess = new Counter({
      name: "vllm:request_success_total",
      help: "Count of successfully processed requests.",
      labelNames: ["model_name", "finished_reason"],
      registers,
    });
    this.ttft = new Histogram({
      name: "vllm:time_to_first_token_seconds",
      help: "Histogram of time to first token in seconds.",
      labelNames,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.e2e = new Histogram({
      name: "vllm:e2e_request_latency_seconds",
      help: "Histogram of end to end request latency in seconds.",
      labelNames,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.queueTime = new Histogram({
      name: "vllm:request_queue_time_seconds",
      help: "Histogram of time spent in WAITING phase for request.",
      labelNames,
      buckets: LATENCY_BUCKETS,
      registers,
    });
  }
}
