import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { formatConfigError } from "../../src/common/config-error.js";
import { EppServer } from "../../src/epp/server/epp-server.js";
import { defaultOptions } from "../../src/epp/server/options.js";
import { Child } from "../ipc.js";

/** EPP_BENCH_ENDPOINTS is how many static endpoints the bench's EPP schedules over. */
export const EPP_BENCH_ENDPOINTS = 16;

/** EppBenchServer is a running EPP with its stand-in model servers. */
export interface EppBenchServer {
  readonly port: number;
  /** destinations are the endpoints' "ip:port" keys: the only acceptable x-gateway-destination-endpoint values. */
  readonly destinations: readonly string[];
  close(): Promise<void>;
}

const modelMetricsScript = new URL("./model-metrics.js", import.meta.url);
const METRICS_READY_TIMEOUT_MS = 10_000;

/**
 * startEppBench runs the EPP as `epp --endpoints-file <16 endpoints>` runs it: the embedded
 * default config (model-filter; queue, kv-cache and prefix scorers; max-score picker; the
 * metrics data source scraping every 50 ms), grpc-js, no TLS. The endpoints are loopback HTTP
 * servers in a child process that serve fixed vLLM metrics; the EPP never sends them traffic
 * (the load generator plays Envoy and the upstream). Resolves once every endpoint has metrics,
 * so the measured scheduling is on real scores, not on "unknown".
 */
export async function startEppBench(): Promise<EppBenchServer> {
  const models = Child.spawn("model-metrics", modelMetricsScript, [String(EPP_BENCH_ENDPOINTS)]);
  const { ports } = await models.ready<{ ports: number[] }>();
  const dir = mkdtempSync(join(tmpdir(), "epp-bench-"));
  const endpointsFile = join(dir, "endpoints.yaml");
  writeFileSync(
    endpointsFile,
    `endpoints:\n${ports.map((port, i) => `- name: model-server-${i}\n  address: 127.0.0.1\n  port: ${port}\n`).join("")}`,
  );
  const options = defaultOptions({
    grpcPort: 0,
    grpcHealthPort: 0,
    metricsPort: 0,
    bindAddress: "127.0.0.1",
    logLevel: "warn",
    drainTimeoutMs: 1000,
    transport: "grpc",
    endpointsFile,
  });
  const started = await EppServer.start(options);
  if (!started.ok) throw new Error(`epp failed to start: ${formatConfigError(started.error)}`);
  const server = started.value;
  const deadline = Date.now() + METRICS_READY_TIMEOUT_MS;
  while (!server.store.list().every((e) => e.lastMetrics !== undefined)) {
    if (Date.now() > deadline) throw new Error("epp: endpoints' metrics never arrived");
    await sleep(10);
  }
  return {
    port: server.ports.grpc,
    destinations: server.store.list().map((e) => e.metadata.key),
    close: async () => {
      await server.stop(1000);
      await models.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
