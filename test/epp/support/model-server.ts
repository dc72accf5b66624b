import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** ModelServerState is what a fake model server reports on /metrics. */
export interface ModelServerState {
  waiting: number;
  running: number;
  kv: number;
  runningLoras: string[];
  waitingLoras: string[];
  maxLora: number;
  blockSize: number;
  numGpuBlocks: number;
  /** status answers /metrics with this HTTP status instead of 200 (e.g. 500 to fail scrapes). */
  status: number;
  /** engine selects the metric names: vLLM (default) or SGLang. */
  engine: "vllm" | "sglang";
}

/** RunningModelServer is a real HTTP server on loopback serving Prometheus text. */
export interface RunningModelServer {
  readonly port: number;
  /** key is "127.0.0.1:<port>", the endpoint's destination. */
  readonly key: string;
  readonly state: ModelServerState;
  /** scrapes counts GET /metrics requests served. */
  scrapes(): number;
  set(patch: Partial<ModelServerState>): void;
  stop(): Promise<void>;
}

/** metricsText renders the state in the engine's metric names. */
export function metricsText(s: ModelServerState): string {
  if (s.engine === "sglang") {
    return [
      "# TYPE sglang:num_queue_reqs gauge",
      `sglang:num_queue_reqs{model_name="m"} ${s.waiting}`,
      "# TYPE sglang:num_running_reqs gauge",
      `sglang:num_running_reqs{model_name="m"} ${s.running}`,
      "# TYPE sglang:token_usage gauge",
      `sglang:token_usage{model_name="m"} ${s.kv}`,
      "# TYPE sglang:cache_config_info gauge",
      `sglang:cache_config_info{page_size="${s.blockSize}",num_pages="${s.numGpuBlocks}"} 1`,
      "",
    ].join("\n");
  }
  return [
    "# HELP vllm:num_requests_waiting Number of requests waiting to be processed.",
    "# TYPE vllm:num_requests_waiting gauge",
    `vllm:num_requests_waiting{model_name="m"} ${s.waiting}`,
    "# TYPE vllm:num_requests_running gauge",
    `vllm:num_requests_running{model_name="m"} ${s.running}`,
    "# TYPE vllm:kv_cache_usage_perc gauge",
    `vllm:kv_cache_usage_perc{model_name="m"} ${s.kv}`,
    "# TYPE vllm:lora_requests_info gauge",
    `vllm:lora_requests_info{max_lora="${s.maxLora}",running_lora_adapters="${s.runningLoras.join(",")}",waiting_lora_adapters="${s.waitingLoras.join(",")}"} 1.7e9`,
    "# TYPE vllm:cache_config_info gauge",
    `vllm:cache_config_info{block_size="${s.blockSize}",num_gpu_blocks="${s.numGpuBlocks}"} 1`,
    "# TYPE vllm:time_to_first_token_seconds histogram",
    'vllm:time_to_first_token_seconds_bucket{le="0.1"} 3',
    'vllm:time_to_first_token_seconds_bucket{le="+Inf"} 4',
    "vllm:time_to_first_token_seconds_sum 0.5",
    "vllm:time_to_first_token_seconds_count 4",
    "",
  ].join("\n");
}

/** startModelServer starts a fake model server on 127.0.0.1 and an ephemeral port. */
export async function startModelServer(initial: Partial<ModelServerState> = {}): Promise<RunningModelServer> {
  const state: ModelServerState = {
    waiting: 0,
    running: 0,
    kv: 0,
    runningLoras: [],
    waitingLoras: [],
    maxLora: 0,
    blockSize: 16,
    numGpuBlocks: 1000,
    status: 200,
    engine: "vllm",
    ...initial,
  };
  let scrapes = 0;
  const server: Server = createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    scrapes++;
    if (state.status !== 200) {
      res.writeHead(state.status).end("unavailable");
      return;
    }
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(metricsText(state));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    key: `127.0.0.1:${port}`,
    state,
    scrapes: () => scrapes,
    set(patch) {
      Object.assign(state, patch);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
