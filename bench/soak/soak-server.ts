// The BBR server under soak, in its own process. It answers IPC questions about its memory
// and event loop (with a forced GC when asked), which a scrape of /metrics cannot do.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { silentLogger } from "../../src/common/logger.js";
import { BbrServer } from "../../src/bbr/server/bbr-server.js";
import { defaultOptions } from "../../src/bbr/server/options.js";

export interface SoakServerReport {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
  readonly activeStreams: number;
}

const maxBodyBytes = Number(process.argv[2] ?? 2 * 1024 * 1024);
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const started = await BbrServer.start(
  defaultOptions({ grpcPort: 0, grpcHealthPort: 0, metricsPort: 0, bindAddress: "127.0.0.1", maxBodyBytes, logLevel: "silent" }),
  { logger: silentLogger() },
);
if (!started.ok) throw new Error(JSON.stringify(started.error));
const server = started.value;

process.on("message", (message: { kind: string }) => {
  if (message.kind === "report" || message.kind === "gc") {
    if (message.kind === "gc") {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      gc?.();
    }
    const m = process.memoryUsage();
    const report: SoakServerReport = {
      rss: m.rss,
      heapUsed: m.heapUsed,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      loopDelayP99Ms: loop.percentile(99) / 1e6,
      loopDelayMaxMs: loop.max / 1e6,
      activeStreams: server.inFlightStreams,
    };
    loop.reset();
    process.send?.({ kind: message.kind, report });
  } else if (message.kind === "stop") {
    server.stop(1000).then(() => process.exit(0));
  }
});
process.send?.({ kind: "ready", ports: server.ports });
