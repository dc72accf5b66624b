import { createServer, type Server } from "node:http";
import { serveCommands } from "../ipc.js";

/**
 * Stand-in model servers for the `epp` bench server: `count` loopback HTTP servers (argv[2],
 * default 16) answering GET /metrics with vLLM's gauges at fixed values, so the EPP's default
 * scorers see real numbers. They run in their own process so that answering the EPP's scrapes
 * (16 endpoints every 50 ms) is not counted as the EPP's CPU; the EPP's own scraping still is.
 * Announces `{ ports }` when listening.
 */

/** metricsText is one endpoint's /metrics: fixed values that differ by endpoint, so scores differ. */
export function metricsText(index: number): string {
  const waiting = index % 4;
  const running = 2 + (index % 5);
  const kvUsage = (0.1 + (index % 8) * 0.05).toFixed(2);
  const model = 'model_name="bench-model"';
  return [
    "# HELP vllm:num_requests_waiting Number of requests waiting to be processed.",
    "# TYPE vllm:num_requests_waiting gauge",
    `vllm:num_requests_waiting{${model}} ${waiting}`,
    "# HELP vllm:num_requests_running Number of requests in model execution batches.",
    "# TYPE vllm:num_requests_running gauge",
    `vllm:num_requests_running{${model}} ${running}`,
    "# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.",
    "# TYPE vllm:kv_cache_usage_perc gauge",
    `vllm:kv_cache_usage_perc{${model}} ${kvUsage}`,
    "# HELP vllm:lora_requests_info Running stats on lora requests.",
    "# TYPE vllm:lora_requests_info gauge",
    'vllm:lora_requests_info{running_lora_adapters="",waiting_lora_adapters="",max_lora="0"} 1.75e9',
    "# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig.",
    "# TYPE vllm:cache_config_info gauge",
    'vllm:cache_config_info{block_size="16",num_gpu_blocks="30000"} 1',
    "",
  ].join("\n");
}

function listen(index: number): Promise<Server> {
  const body = Buffer.from(metricsText(index));
  const server = createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4", "content-length": body.length }).end(body);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const count = Number(process.argv[2] ?? 16);
const servers = await Promise.all(Array.from({ length: count }, (_, i) => listen(i)));
const ports = servers.map((s) => {
  const address = s.address();
  return typeof address === "object" && address ? address.port : 0;
});
serveCommands({ ports }, {}, async () => {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});
