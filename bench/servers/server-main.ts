import { serveCommands } from "../ipc.js";
import type { ServerKind } from "./kinds.js";
import { startNoopConnect, startNoopGrpc } from "./noop.js";
import { MeasurementWindow } from "./window.js";
import { WindowProfiler } from "./window-profiler.js";

/** WindowArgs are the window commands' arguments. */
export interface WindowArgs {
  /** profile is where to write a CPU profile of the window (none when absent). */
  readonly profile?: string;
}

/**
 * A server under test, in its own process so its CPU and memory are its own. argv[2] is the
 * kind: "bbr" (BbrServer.start with the embedded default chain, as `bbr` with no flags runs),
 * "bbr-connect" (the same on `--transport connect`), "noop-grpc", "noop-connect" or "epp" (the EPP
 * with its default config over 16 static endpoints, see epp.ts). Commands: window-start,
 * window-stop (optionally profiling the window), exit.
 */

/** ServerReady is what a server process announces: its ext_proc port and, for the EPP, its endpoints. */
export interface ServerReady {
  readonly port: number;
  readonly pid: number;
  readonly idleRssBytes: number;
  /** destinations are the EPP's endpoint keys (absent for the other kinds). */
  readonly destinations?: readonly string[];
}

// BBR's default body limit (32 MiB) plus framing, for all of them, so message limits never differ.
const MAX_MESSAGE_BYTES = 33 * 1024 * 1024;

async function start(
  kind: ServerKind,
): Promise<{ port: number; destinations?: readonly string[]; close: () => Promise<void> }> {
  if (kind === "noop-grpc") return startNoopGrpc(MAX_MESSAGE_BYTES);
  if (kind === "noop-connect") return startNoopConnect(MAX_MESSAGE_BYTES);
  // Each product is imported only here, so the no-ops' memory is not a product's module graph.
  if (kind === "epp") return (await import("./epp.js")).startEppBench();
  const { BbrServer } = await import("../../src/bbr/server/bbr-server.js");
  const { defaultOptions } = await import("../../src/bbr/server/options.js");
  const options = defaultOptions({
    grpcPort: 0,
    grpcHealthPort: 0,
    metricsPort: 0,
    bindAddress: "127.0.0.1",
    secureServing: false,
    logLevel: "warn",
    drainTimeoutMs: 1000,
    transport: kind === "bbr-connect" ? "connect" : "grpc",
  });
  const started = await BbrServer.start(options);
  if (!started.ok) throw new Error(`bbr failed to start: ${JSON.stringify(started.error)}`);
  const server = started.value;
  return { port: server.ports.grpc, close: () => server.stop(1000) };
}

const kind = process.argv[2] as ServerKind;
const server = await start(kind);
const window = new MeasurementWindow();
const profiler = new WindowProfiler();
const ready: ServerReady = {
  port: server.port,
  pid: process.pid,
  idleRssBytes: process.memoryUsage.rss(),
  ...(server.destinations ? { destinations: server.destinations } : {}),
};
serveCommands(
  ready,
  {
    // args.profile: also record a CPU profile of the window, written to this path at the stop.
    "window-start": async (args) => {
      if ((args as WindowArgs | undefined)?.profile) await profiler.start();
      window.start();
    },
    "window-stop": async (args) => {
      const stats = window.stop();
      const path = (args as WindowArgs | undefined)?.profile;
      if (path) await profiler.stop(path);
      return stats;
    },
  },
  () => server.close(),
);
