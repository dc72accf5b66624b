import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatConfigError } from "../../../src/common/config-error.js";
import { silentLogger } from "../../../src/common/logger.js";
import type { EppRegistry } from "../../../src/epp/api/handle.js";
import { EppMetrics } from "../../../src/epp/metrics.js";
import { EppServer } from "../../../src/epp/server/epp-server.js";
import { defaultOptions, type EppServerOptions } from "../../../src/epp/server/options.js";
import { ExtProcTestClient } from "../../support/ext-proc-client.js";
import { seededRandom } from "./random.js";
import { testTransport } from "../../support/transport.js";

/** RunningEpp is a real EPP server on loopback plus a client connected to it. */
export interface RunningEpp {
  readonly server: EppServer;
  readonly client: ExtProcTestClient;
  /** metricsText fetches the ops port's /metrics. */
  metricsText(): Promise<string>;
  stop(): Promise<void>;
}

/** writeTemp writes text into a fresh temp dir and returns its path. */
export function writeTemp(text: string, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), "epp-test-"));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** endpointsYaml lists loopback endpoints (by port) with optional per-endpoint extras. */
export function endpointsYaml(entries: readonly ({ port: number } & Record<string, unknown>)[]): string {
  return `endpoints:\n${entries
    .map((e, i) => {
      const { port, ...rest } = e;
      const extra = Object.entries(rest)
        .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}\n`)
        .join("");
      return `  - name: ep-${i}\n    address: 127.0.0.1\n    port: ${port}\n${extra}`;
    })
    .join("")}`;
}

/** StartEppOptions are the files a test server runs with (YAML text, written to temp files). */
export interface StartEppOptions {
  readonly config?: string;
  readonly endpoints?: string;
  readonly objectives?: string;
  readonly seed?: number;
  readonly overrides?: Partial<EppServerOptions>;
  readonly registry?: EppRegistry;
}

/** startEpp starts a real EppServer on ephemeral loopback ports with a silent logger and seeded randomness. */
export async function startEpp(o: StartEppOptions = {}): Promise<RunningEpp> {
  const options = defaultOptions({
    grpcPort: 0,
    grpcHealthPort: 0,
    metricsPort: 0,
    bindAddress: "127.0.0.1",
    logLevel: "silent",
    drainTimeoutMs: 2000,
    transport: testTransport(),
    refreshMetricsIntervalMs: 20,
    configFile: o.config === undefined ? undefined : writeTemp(o.config, "config.yaml"),
    endpointsFile: o.endpoints === undefined ? undefined : writeTemp(o.endpoints, "endpoints.yaml"),
    objectivesFile: o.objectives === undefined ? undefined : writeTemp(o.objectives, "objectives.yaml"),
    ...o.overrides,
  });
  const started = await EppServer.start(options, {
    logger: silentLogger(),
    metrics: new EppMetrics({ defaultMetrics: false }),
    random: seededRandom(o.seed ?? 1),
    ...(o.registry ? { registry: o.registry } : {}),
  });
  if (!started.ok) throw new Error(formatConfigError(started.error));
  const server = started.value;
  const client = new ExtProcTestClient(server.ports.grpc);
  return {
    server,
    client,
    async metricsText() {
      const res = await fetch(`http://127.0.0.1:${server.ports.metrics}/metrics`);
      return res.text();
    },
    async stop() {
      client.close();
      await server.stop(500);
    },
  };
}

/** waitUntil polls a condition (every 10 ms) until it holds or the timeout passes. */
export async function waitUntil(condition: () => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** waitForScrapes waits until every listed endpoint has metrics satisfying `check`. */
export async function waitForMetrics(
  epp: RunningEpp,
  keys: readonly string[],
  check: (m: NonNullable<ReturnType<EppServer["store"]["list"]>[number]["lastMetrics"]>) => boolean = () => true,
): Promise<void> {
  await waitUntil(
    () =>
      keys.every((k) => {
        const m = epp.server.store.get(k)?.lastMetrics;
        return m !== undefined && check(m);
      }),
    5000,
    `metrics of ${keys.join(", ")}`,
  );
}
