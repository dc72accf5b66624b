import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../../src/common/logger.js";
import { formatConfigError } from "../../src/common/config-error.js";
import { BbrMetrics } from "../../src/bbr/metrics.js";
import { BbrServer } from "../../src/bbr/server/bbr-server.js";
import { type BbrServerOptions, defaultOptions } from "../../src/bbr/server/options.js";
import { testRegistry } from "../fixtures/plugins/test-plugins.js";
import { ExtProcTestClient } from "./ext-proc-client.js";
import { testTransport } from "./transport.js";

/** RunningBbr is a real BBR server on loopback plus a client connected to it. */
export interface RunningBbr {
  readonly server: BbrServer;
  readonly client: ExtProcTestClient;
  stop(): Promise<void>;
}

/** writeConfig writes config YAML into a fresh temp dir and returns its path. */
export function writeConfig(yaml: string, name = "config.yaml"): string {
  const dir = mkdtempSync(join(tmpdir(), "bbr-test-"));
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}

/**
 * startBbr starts a real BbrServer on ephemeral loopback ports with the test plugin registry.
 * `config` is YAML text (written to a temp file); omitted means the embedded default.
 */
export async function startBbr(config?: string, overrides: Partial<BbrServerOptions> = {}): Promise<RunningBbr> {
  const options = defaultOptions({
    grpcPort: 0,
    grpcHealthPort: 0,
    metricsPort: 0,
    bindAddress: "127.0.0.1",
    logLevel: "silent",
    drainTimeoutMs: 2000,
    transport: testTransport(),
    configPath: config === undefined ? undefined : writeConfig(config),
    ...overrides,
  });
  const started = await BbrServer.start(options, {
    registry: testRegistry(),
    logger: silentLogger(),
    metrics: new BbrMetrics({ defaultMetrics: false }),
  });
  if (!started.ok) throw new Error(formatConfigError(started.error));
  const server = started.value;
  const client = new ExtProcTestClient(server.ports.grpc);
  return {
    server,
    client,
    async stop() {
      client.close();
      await server.stop(500);
    },
  };
}
