import { z } from "zod";
import { flagSpecs, HELP_FLAG, optionsAtDefaults, readFlags, switchFlag, valueFlag } from "../common/flag-table.js";
import type { FlagSpec, ParsedFlags } from "../common/flags.js";
import { LOG_LEVELS, type LogLevel } from "../common/logger.js";
import { ok, type Result } from "../common/result.js";
import { DEFAULT_TRANSPORT, TRANSPORT_KINDS, type TransportKind } from "../extproc/transport/transport.js";

/** DEFAULT_METRICS_PORT is the ops port of every server binary (GIE's BBR and EPP agree on it). */
export const DEFAULT_METRICS_PORT = 9090;

/** DEFAULT_MAX_BODY_BYTES is 32 MiB, Anthropic's request size cap, for every server binary. */
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

/** DefaultPorts are a server binary's default ports (the metrics port is DEFAULT_METRICS_PORT unless given). */
export interface DefaultPorts {
  readonly grpc: number;
  readonly health: number;
  readonly metrics?: number;
}

/** ServerOptions are the options every ext_proc server binary has. */
export interface ServerOptions {
  readonly grpcPort: number;
  readonly grpcHealthPort: number;
  readonly metricsPort: number;
  readonly bindAddress: string;
  readonly streaming: boolean;
  /** transport serves the ext_proc port: grpc (@grpc/grpc-js) or connect (@connectrpc/connect-node). */
  readonly transport: TransportKind;
  readonly maxBodyBytes: number;
  readonly maxResponseBufferBytes: number;
  readonly logLevel: LogLevel;
  readonly drainTimeoutMs: number;
}

/** portFlag and positiveIntFlag read numbers from flag strings. */
export const portFlag = z.coerce.number().int().min(0).max(65535);
export const positiveIntFlag = z.coerce.number().int().positive();

const transportFlag = z
  .enum(TRANSPORT_KINDS, {
    error: (issue) => `${JSON.stringify(issue.input)} is not a transport (choose ${TRANSPORT_KINDS.join(" or ")})`,
  })
  .default(DEFAULT_TRANSPORT);

/** listenerFields are the flags every server binary starts with: ports, address, body mode, transport, body limits. */
function listenerFields(defaults: DefaultPorts, responseBufferHelp: string) {
  const ports = { metrics: DEFAULT_METRICS_PORT, ...defaults };
  return {
    "grpc-port": valueFlag(portFlag.default(ports.grpc), "ext_proc gRPC port", String(ports.grpc)),
    "grpc-health-port": valueFlag(portFlag.default(ports.health), "gRPC health port", String(ports.health)),
    "metrics-port": valueFlag(
      portFlag.default(ports.metrics),
      "HTTP port for /metrics, /healthz, /readyz",
      String(ports.metrics),
    ),
    "bind-address": valueFlag(z.string().min(1).default("0.0.0.0"), "address the ports listen on", "0.0.0.0"),
    streaming: switchFlag("true", "assume FULL_DUPLEX_STREAMED when Envoy sends no protocol_config (false: BUFFERED)"),
    transport: valueFlag(
      transportFlag,
      `ext_proc server library: ${TRANSPORT_KINDS.join(" or ")} (@grpc/grpc-js or @connectrpc/connect-node)`,
      DEFAULT_TRANSPORT,
    ),
    "max-body-bytes": valueFlag(
      positiveIntFlag.default(DEFAULT_MAX_BODY_BYTES),
      "largest request body; larger is answered 413",
      String(DEFAULT_MAX_BODY_BYTES),
    ),
    "max-response-buffer-bytes": valueFlag(positiveIntFlag.optional(), responseBufferHelp, "same as --max-body-bytes"),
  };
}

/** processFields end every server binary's flags: logging and drain. */
const processFields = {
  "log-level": valueFlag(z.enum(LOG_LEVELS).default("info"), `log level (${LOG_LEVELS.join(", ")})`, "info"),
  "drain-timeout": valueFlag(
    z.coerce.number().min(0).default(25),
    "seconds in-flight streams may take to finish on SIGTERM",
    "25",
  ),
};

/** HELP_FLAGS are handled by the command line before any validation (see readServerCommandLine). */
const HELP_FLAGS: readonly FlagSpec[] = [HELP_FLAG, { name: "version", kind: "boolean", help: "print the version" }];

type CommonFlagValues = z.output<z.ZodObject<ReturnType<typeof listenerFields> & typeof processFields>>;

/** serverOptionsFrom turns the validated common flags into ServerOptions. */
function serverOptionsFrom(o: CommonFlagValues): ServerOptions {
  return {
    grpcPort: o["grpc-port"],
    grpcHealthPort: o["grpc-health-port"],
    metricsPort: o["metrics-port"],
    bindAddress: o["bind-address"],
    streaming: o.streaming,
    transport: o.transport,
    maxBodyBytes: o["max-body-bytes"],
    maxResponseBufferBytes: o["max-response-buffer-bytes"] ?? o["max-body-bytes"],
    logLevel: o["log-level"],
    drainTimeoutMs: o["drain-timeout"] * 1000,
  };
}

/** FlagValues are a binary's validated flags: the shared ones and its own. */
export type FlagValues<Shape extends z.ZodRawShape> = CommonFlagValues & z.output<z.ZodObject<Shape>>;

/** ServerCommandLineSpec is what one server binary adds to the command line every one of them has. */
export interface ServerCommandLineSpec<Shape extends z.ZodRawShape, Extra> {
  readonly ports: DefaultPorts;
  /** responseBufferHelp says what --max-response-buffer-bytes buffers for in this binary. */
  readonly responseBufferHelp: string;
  /**
   * flags are the binary's own (valueFlag, textFlag, switchFlag), in --help order, after the
   * listener flags and before logging and drain.
   */
  readonly flags: Shape;
  /** refine adds checks across flags, after the port-collision check. */
  readonly refine?: (o: FlagValues<Shape>, ctx: z.RefinementCtx) => void;
  /** options turns validated flags into the binary's own options (env: the process environment). */
  readonly options: (o: FlagValues<Shape>, env: NodeJS.ProcessEnv) => Extra;
}

/** ServerCommandLine is a binary's flag list, its validation into options, and its defaults. */
export interface ServerCommandLine<O> {
  readonly flags: readonly FlagSpec[];
  optionsFromFlags(flags: ParsedFlags, env?: NodeJS.ProcessEnv): Result<O, string[]>;
  /** defaultOptions are the options with every flag at its default, then overrides (embedding, tests). */
  defaultOptions(overrides?: Partial<O>): O;
}

/**
 * serverCommandLine builds a server binary's command line from the flags every one of them has
 * (listener, transport, body limits, logging, drain) and the binary's own, so each binary
 * states only what it adds.
 */
export function serverCommandLine<Shape extends z.ZodRawShape, Extra>(
  spec: ServerCommandLineSpec<Shape, Extra>,
): ServerCommandLine<ServerOptions & Extra> {
  const listener = listenerFields(spec.ports, spec.responseBufferHelp);
  const schema = z.object({ ...listener, ...spec.flags, ...processFields }).superRefine((o, ctx) => {
    const values = o as FlagValues<Shape>;
    checkPortCollisions(values, ctx);
    spec.refine?.(values, ctx);
  });
  const optionsFromFlags = (flags: ParsedFlags, env: NodeJS.ProcessEnv = process.env) => {
    const parsed = readFlags(schema, flags);
    if (!parsed.ok) return parsed;
    const values = parsed.value as FlagValues<Shape>;
    return ok({ ...serverOptionsFrom(values), ...spec.options(values, env) });
  };
  return {
    flags: [...flagSpecs(listener), ...flagSpecs(spec.flags), ...flagSpecs(processFields), ...HELP_FLAGS],
    optionsFromFlags,
    defaultOptions(overrides = {}) {
      // Defaults never depend on the environment this process happens to run in.
      return { ...optionsAtDefaults((flags) => optionsFromFlags(flags, {})), ...overrides };
    },
  };
}

/** checkPortCollisions reports two listeners on one port (0, "pick a free one", never collides). */
function checkPortCollisions(
  o: { "grpc-port": number; "grpc-health-port": number; "metrics-port": number },
  ctx: z.RefinementCtx,
): void {
  const ports: [string, number][] = [
    ["grpc-port", o["grpc-port"]],
    ["grpc-health-port", o["grpc-health-port"]],
    ["metrics-port", o["metrics-port"]],
  ];
  for (let i = 0; i < ports.length; i++) {
    for (let j = i + 1; j < ports.length; j++) {
      const [a, pa] = ports[i]!;
      const [b, pb] = ports[j]!;
      if (pa !== 0 && pa === pb) ctx.addIssue({ code: "custom", path: [b], message: `collides with --${a} (${pa})` });
    }
  }
}
