import { parseDocument } from "yaml";
import { DEFAULT_CONFIG_YAML } from "../../bbr/config/default-config.js";
import { type ChildService, type Command, distEntry, startService } from "./processes.js";

/** SimPoolSpec is one model server pool: a base model, its adapters and its replicas. */
export interface SimPoolSpec {
  readonly name: string;
  readonly model: string;
  readonly loraModules: readonly string[];
  readonly replicas: number;
  /** More `sim` flags, e.g. ["--max-num-seqs", "8"]. */
  readonly extraArgs?: readonly string[];
}

/** StartedPool is a running sim process and its endpoints ("127.0.0.1:port"). */
export interface StartedPool {
  readonly spec: SimPoolSpec;
  readonly service: ChildService;
  readonly instances: readonly { readonly name: string; readonly port: number }[];
  readonly endpoints: readonly string[];
}

/** startSimPool starts one `sim` process serving all replicas of a pool on free ports. */
export async function startSimPool(
  spec: SimPoolSpec,
  opts: { timeScale: number; logFile?: string },
): Promise<StartedPool> {
  const args = [
    "--model",
    spec.model,
    "--replicas",
    String(spec.replicas),
    "--port",
    "0",
    "--name",
    spec.name,
    "--time-scale",
    String(opts.timeScale),
    ...(spec.loraModules.length > 0
      ? ["--lora-modules", spec.loraModules.join(","), "--max-loras", String(spec.loraModules.length)]
      : []),
    ...(spec.extraArgs ?? []),
  ];
  const service = await startCommand("sim", args, opts.logFile, `sim ${spec.name}`);
  const instances = service.ready["instances"] as { name: string; port: number }[];
  return { spec, service, instances, endpoints: instances.map((i) => `127.0.0.1:${i.port}`) };
}

/** StartedExtProcServer is a running `bbr` or `epp` and its bound ports. */
export interface StartedExtProcServer {
  readonly service: ChildService;
  readonly grpcPort: number;
  readonly metricsPort: number;
}

/** StartedBbr is a running `bbr` and its bound ports. */
export type StartedBbr = StartedExtProcServer;

/** StartedEpp is a running `epp` and its ports. */
export type StartedEpp = StartedExtProcServer;

/** startBbr starts `bbr` on free loopback ports with a config file and extra flags. */
export function startBbr(opts: {
  configPath?: string;
  extraArgs?: readonly string[];
  logFile?: string;
}): Promise<StartedBbr> {
  const args = [...(opts.configPath ? ["--config", opts.configPath] : []), ...(opts.extraArgs ?? [])];
  return startExtProcServer("bbr", args, opts.logFile);
}

/** startEpp starts `epp` on free loopback ports with an endpoints file (and optional config). */
export function startEpp(opts: { endpointsPath: string; configPath?: string; logFile?: string }): Promise<StartedEpp> {
  const args = ["--endpoints-file", opts.endpointsPath, ...(opts.configPath ? ["--config-file", opts.configPath] : [])];
  return startExtProcServer("epp", args, opts.logFile);
}

/** startExtProcServer starts `bbr` or `epp` with every port free and on loopback, then its own flags. */
async function startExtProcServer(
  command: "bbr" | "epp",
  args: readonly string[],
  logFile: string | undefined,
): Promise<StartedExtProcServer> {
  const loopback = [
    "--grpc-port",
    "0",
    "--grpc-health-port",
    "0",
    "--metrics-port",
    "0",
    "--bind-address",
    "127.0.0.1",
  ];
  const service = await startCommand(command, [...loopback, ...args], logFile);
  const ports = service.ready["ports"] as { grpc: number; metrics: number };
  return { service, grpcPort: ports.grpc, metricsPort: ports.metrics };
}

/**
 * startCommand runs one of the project's commands from dist and waits for its "<command> serving"
 * log line; `name` labels it in errors.
 */
function startCommand(
  command: Command,
  args: readonly string[],
  logFile: string | undefined,
  name: string = command,
): Promise<ChildService> {
  return startService({
    name,
    args: [distEntry(command), ...args],
    readyMsg: `${command} serving`,
    ...(logFile ? { logFile } : {}),
  });
}

/**
 * eppEndpointsYaml lists every simulator replica with the models it serves, so one EPP can pick
 * for several pools: its model-filter keeps each request on replicas that serve its model.
 */
export function eppEndpointsYaml(pools: readonly StartedPool[]): string {
  const lines = ["endpoints:"];
  for (const p of pools) {
    for (const i of p.instances) {
      lines.push(
        `  - name: ${i.name}`,
        "    address: 127.0.0.1",
        `    port: ${i.port}`,
        `    labels: {pool: ${p.spec.name}}`,
        `    models: [${p.spec.model}]`,
        `    loraAdapters: [${p.spec.loraModules.join(", ")}]`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

/** StartedDevgw is a running `devgw` and the ports of its listeners by name. */
export interface StartedDevgw {
  readonly service: ChildService;
  readonly listeners: Readonly<Record<string, number>>;
}

/** startDevgw starts `devgw` with a config file. */
export async function startDevgw(opts: {
  configPath: string;
  logFile?: string;
  logLevel?: string;
}): Promise<StartedDevgw> {
  const args = ["--config", opts.configPath, "--log-level", opts.logLevel ?? "info"];
  const service = await startCommand("devgw", args, opts.logFile);
  return { service, listeners: service.ready["listeners"] as Record<string, number> };
}

/** adapterMappingYaml renders base-model-to-header's mapping file: one document per pool. */
export function adapterMappingYaml(pools: readonly SimPoolSpec[]): string {
  return pools.map((p) => `baseModel: ${p.model}\nadapters: [${p.loraModules.join(", ")}]\n`).join("---\n");
}

/**
 * bbrConfigWithMappingFile is BBR's embedded default config with the base-model-to-header
 * plugin pointed at a mapping file (resolved relative to the config file).
 */
export function bbrConfigWithMappingFile(mappingFile: string): string {
  const doc = parseDocument(DEFAULT_CONFIG_YAML);
  const plugins = doc.toJS().plugins as { type: string; name?: string; parameters?: unknown }[];
  const patched = plugins.map((p) => (p.type === "base-model-to-header" ? { ...p, parameters: { mappingFile } } : p));
  doc.set("plugins", doc.createNode(patched));
  return doc.toString();
}

/** DevgwProcessorSpec is a processor entry of a generated devgw config. */
export interface DevgwProcessorSpec {
  readonly name: string;
  readonly grpcPort: number;
  readonly failureModeAllow?: boolean;
  readonly messageTimeout?: string;
}

/**
 * devgwConfigYaml renders a devgw config with one route per pool, matching the base model
 * header (base models and their adapters) or the model header.
 */
export function devgwConfigYaml(opts: {
  readonly listeners: readonly { name: string; port: number; processors?: readonly string[] }[];
  readonly processors: readonly DevgwProcessorSpec[];
  readonly pools: readonly StartedPool[];
  /** A last route without matches sending everything else to this pool. */
  readonly catchAllPool?: string;
}): string {
  const lines = ["apiVersion: inference-bbr.io/v1alpha1", "kind: DevGatewayConfig", "listeners:"];
  for (const l of opts.listeners) {
    lines.push(`  - name: ${l.name}`, "    address: 127.0.0.1", `    port: ${l.port}`);
    if (l.processors) lines.push(`    processors: [${l.processors.join(", ")}]`);
  }
  lines.push(opts.processors.length > 0 ? "processors:" : "processors: []");
  for (const p of opts.processors) {
    lines.push(
      `  - name: ${p.name}`,
      `    target: 127.0.0.1:${p.grpcPort}`,
      `    failureModeAllow: ${p.failureModeAllow ?? false}`,
      `    messageTimeout: ${p.messageTimeout ?? "1s"}`,
    );
  }
  lines.push("routes:");
  for (const p of opts.pools) {
    lines.push(
      `  - name: ${p.spec.name}`,
      "    matches:",
      `      - headers: [{name: X-Gateway-Base-Model-Name, value: ${p.spec.model}}]`,
      `      - headers: [{name: X-Gateway-Model-Name, value: ${p.spec.model}}]`,
      `    backendRef: ${p.spec.name}`,
    );
  }
  if (opts.catchAllPool) lines.push("  - name: catch-all", `    backendRef: ${opts.catchAllPool}`);
  lines.push("pools:");
  for (const p of opts.pools) lines.push(`  - name: ${p.spec.name}`, `    endpoints: [${p.endpoints.join(", ")}]`);
  return `${lines.join("\n")}\n`;
}
