import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ChildService, type Command, distEntry, startService } from "../../src/dev/demo/processes.js";
import {
  adapterMappingYaml,
  bbrConfigWithMappingFile,
  type DevgwProcessorSpec,
  devgwConfigYaml,
  type StartedPool,
} from "../../src/dev/demo/stack.js";
import { MODEL } from "./workloads.js";

/**
 * repoRoot is the package root. The bench runs from dist-bench/bench/scheduling (three levels
 * down) or from source (two), so walk up to package.json instead of counting; src/dev/demo's
 * REPO_ROOT counts three levels and points into dist-bench when compiled there.
 */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("cannot find the package root above the benchmark");
}

/** binary is the compiled entry point of a command in dist/ (the real binaries, built by `npm run build`). */
export function binary(command: Command): string {
  return distEntry(command, repoRoot());
}

/** SimPoolParams configure the single `sim` process behind every policy. */
export interface SimPoolParams {
  readonly replicas: number;
  readonly maxNumSeqs: number;
  readonly kvBlocks: number;
  readonly blockSize: number;
  readonly maxModelLen: number;
  readonly timeScale: number;
}

/** EppSetup is how to run the EPP for a policy; undefined config text means the embedded default. */
export interface EppSetup {
  readonly configYaml: string | undefined;
  readonly refreshMetricsInterval: string;
}

/** StackOptions describe one policy's processes. */
export interface StackOptions {
  readonly pool: SimPoolParams;
  /** epp undefined: devgw alone, round-robin over the pool. */
  readonly epp: EppSetup | undefined;
  readonly withBbr: boolean;
  readonly objectivesYaml: string;
  /** Directory for generated configs and the processes' logs. */
  readonly workDir: string;
  /** Prefix for file names in workDir (one per run). */
  readonly runId: string;
}

/** Stack is a running policy: where to send requests and which metrics to read. */
export interface Stack {
  readonly gatewayPort: number;
  readonly simPorts: readonly number[];
  readonly eppMetricsPort: number | undefined;
  stop(): Promise<void>;
}

/** StackError says which process did not start and why (its stderr). */
export class StackError extends Error {
  constructor(
    readonly component: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * startStack starts sim, then the EPP (and BBR) on free loopback ports, then devgw routing every
 * request to the pool through them. A process that fails to start stops the ones already
 * running and rejects with a StackError.
 */
export async function startStack(o: StackOptions): Promise<Stack> {
  const started: ChildService[] = [];
  const stopAll = async () => {
    for (const s of started.reverse()) await s.stop(3000);
  };
  const file = (name: string) => join(o.workDir, `${o.runId}-${name}`);
  const launch = async (name: string, args: string[], readyMsg: string): Promise<ChildService> => {
    try {
      const s = await startService({ name, args, readyMsg, logFile: file(`${name}.log`) });
      started.push(s);
      return s;
    } catch (e) {
      await stopAll();
      throw new StackError(name, (e as Error).message);
    }
  };

  const p = o.pool;
  const sim = await launch(
    "sim",
    [
      binary("sim"),
      ...["--model", MODEL, "--name", "sim", "--port", "0", "--replicas", String(p.replicas)],
      ...["--max-num-seqs", String(p.maxNumSeqs), "--kv-blocks", String(p.kvBlocks)],
      ...["--block-size", String(p.blockSize), "--max-model-len", String(p.maxModelLen)],
      ...["--time-scale", String(p.timeScale)],
    ],
    "sim serving",
  );
  const instances = sim.ready["instances"] as { name: string; port: number }[];
  const pool: StartedPool = {
    spec: { name: "pool", model: MODEL, loraModules: [], replicas: p.replicas },
    service: sim,
    instances,
    endpoints: instances.map((i) => `127.0.0.1:${i.port}`),
  };

  const processors: DevgwProcessorSpec[] = [];
  if (o.withBbr) {
    const mapping = file("adapters.yaml");
    await writeFile(mapping, adapterMappingYaml([pool.spec]));
    await writeFile(file("bbr.yaml"), bbrConfigWithMappingFile(mapping));
    const bbr = await launch(
      "bbr",
      [binary("bbr"), "--grpc-port", "0", "--grpc-health-port", "0", "--metrics-port", "0"].concat([
        "--bind-address",
        "127.0.0.1",
        "--config",
        file("bbr.yaml"),
      ]),
      "bbr serving",
    );
    processors.push({ name: "bbr", grpcPort: (bbr.ready["ports"] as { grpc: number }).grpc, messageTimeout: "5s" });
  }

  let eppMetricsPort: number | undefined;
  if (o.epp) {
    const endpoints = file("endpoints.yaml");
    await writeFile(
      endpoints,
      `endpoints:\n${instances.map((i) => `- {name: ${i.name}, address: 127.0.0.1, port: ${i.port}, models: [${MODEL}]}`).join("\n")}\n`,
    );
    const objectives = file("objectives.yaml");
    await writeFile(objectives, o.objectivesYaml);
    const args = [binary("epp"), "--grpc-port", "0", "--grpc-health-port", "0", "--metrics-port", "0"].concat(
      ["--bind-address", "127.0.0.1", "--endpoints-file", endpoints, "--objectives-file", objectives],
      ["--refresh-metrics-interval", o.epp.refreshMetricsInterval],
    );
    if (o.epp.configYaml !== undefined) {
      await writeFile(file("epp.yaml"), o.epp.configYaml);
      args.push("--config-file", file("epp.yaml"));
    }
    const epp = await launch("epp", args, "epp serving");
    const ports = epp.ready["ports"] as { grpc: number; metrics: number };
    eppMetricsPort = ports.metrics;
    // Flow control holds a request's headers while it waits in the EPP's queues, and devgw's
    // message timeout (unlike Envoy's in FULL_DUPLEX_STREAMED) would fail it: allow the queue TTL.
    processors.push({ name: "epp", grpcPort: ports.grpc, messageTimeout: "120s" });
    try {
      await waitReady(eppMetricsPort);
    } catch (e) {
      await stopAll();
      throw e;
    }
  }

  await writeFile(
    file("devgw.yaml"),
    devgwConfigYaml({ listeners: [{ name: "http", port: 0 }], processors, pools: [pool], catchAllPool: "pool" }),
  );
  const devgw = await launch("devgw", [binary("devgw"), "--config", file("devgw.yaml")], "devgw serving");
  const gatewayPort = (devgw.ready["listeners"] as Record<string, number>)["http"]!;
  return {
    gatewayPort,
    simPorts: instances.map((i) => i.port),
    eppMetricsPort,
    stop: stopAll,
  };
}

/** waitReady polls the EPP's /readyz until 200 (endpoints synced), at most ~5 s. */
async function waitReady(metricsPort: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new StackError("epp", "not ready (/readyz) within 5 s");
}
