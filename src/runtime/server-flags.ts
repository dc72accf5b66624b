import { z } from "zod";
import type { FlagSpec, ParsedFlags } from "../common/flags.js";
import { LOG_LEVELS, type LogLevel } from "../common/logger.js";
import { err, ok, type Result } from "../common/result.js";
import { DEFAULT_TRANSPORT, TRANSPORT_KINDS, type TransportKind } from "../extproc/transport/transport.js";

/** DEFAULT_METRICS_PORT is the ops port of every server binary (GIE's BBR and EPP agree on it). */
export const DEFAULT_METRICS_PORT = 9090;

/** DEFAULT_MAX_BODY_BYTES is 32 MiB, Anthropic's request size cap, for every server binary. */
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

/** DefaultPorts are a server binary's default ports. */
export interface DefaultPorts {
  readonly grpc: number;
  readonly health: number;
  readonly metrics: number;
}

/** ServerOptions are the options every ext_proc server binary has (from listenerFlags, bodyLimitFlags, PROCESS_FLAGS). */
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

/** listenerFlags are the flags every ext_proc server binary starts with (ports, address, body mode, transport). */
export function listenerFlags(ports: DefaultPorts): FlagSpec[] {
  return [
    { name: "grpc-port", kind: "string", help: "ext_proc gRPC port", default: String(ports.grpc) },
    { name: "grpc-health-port", kind: "string", help: "gRPC health port", default: String(ports.health) },
    {
      name: "metrics-port",
      kind: "string",
      help: "HTTP port for /metrics, /healthz, /readyz",
      default: String(ports.metrics),
    },
    { name: "bind-address", kind: "string", help: "address the ports listen on", default: "0.0.0.0" },
    {
      name: "streaming",
      kind: "boolean",
      help: "assume FULL_DUPLEX_STREAMED when Envoy sends no protocol_config (false: BUFFERED)",
      default: "true",
    },
    {
      name: "transport",
      kind: "string",
      help: `ext_proc server library: ${TRANSPORT_KINDS.join(" or ")} (@grpc/grpc-js or @connectrpc/connect-node)`,
      default: DEFAULT_TRANSPORT,
    },
  ];
}

/** bodyLimitFlags are the body size flags; what the response buffer is for differs by binary. */
export function bodyLimitFlags(responseBufferHelp: string): FlagSpec[] {
  return [
    {
      name: "max-body-bytes",
      kind: "string",
      help: "largest request body; larger is answered 413",
      default: String(DEFAULT_MAX_BODY_BYTES),
    },
    {
      name: "max-response-buffer-bytes",
      kind: "string",
      help: responseBufferHelp,
      default: "same as --max-body-bytes",
    },
  ];
}

/** processFlags end every server binary's flag list (logging, drain, help, version). */
export const PROCESS_FLAGS: readonly FlagSpec[] = [
  { name: "log-level", kind: "string", help: `log level (${LOG_LEVELS.join(", ")})`, default: "info" },
  {
    name: "drain-timeout",
    kind: "string",
    help: "seconds in-flight streams may take to finish on SIGTERM",
    default: "25",
  },
  { name: "help", kind: "boolean", help: "print this help" },
  { name: "version", kind: "boolean", help: "print the version" },
];

/** portFlag, positiveIntFlag and booleanFlag read flag strings. */
export const portFlag = z.coerce.number().int().min(0).max(65535);
export const positiveIntFlag = z.coerce.number().int().positive();
export const booleanFlag = (fallback: "true" | "false") =>
  z
    .enum(["true", "false"])
    .default(fallback)
    .transform((v) => v === "true");

/** transportFlag reads --transport, naming the value and the choices when it is none of them. */
export const transportFlag = z
  .enum(TRANSPORT_KINDS, {
    error: (issue) => `${JSON.stringify(issue.input)} is not a transport (choose ${TRANSPORT_KINDS.join(" or ")})`,
  })
  .default(DEFAULT_TRANSPORT);

/** commonFlagFields validates listenerFlags, bodyLimitFlags and PROCESS_FLAGS (a zod object shape to spread). */
export function commonFlagFields(ports: DefaultPorts) {
  return {
    "grpc-port": portFlag.default(ports.grpc),
    "grpc-health-port": portFlag.default(ports.health),
    "metrics-port": portFlag.default(ports.metrics),
    "bind-address": z.string().min(1).default("0.0.0.0"),
    streaming: booleanFlag("true"),
    transport: transportFlag,
    "max-body-bytes": positiveIntFlag.default(DEFAULT_MAX_BODY_BYTES),
    "max-response-buffer-bytes": positiveIntFlag.optional(),
    "log-level": z.enum(LOG_LEVELS).default("info"),
    "drain-timeout": z.coerce.number().min(0).default(25),
  };
}

type CommonFlagValues = z.output<z.ZodObject<ReturnType<typeof commonFlagFields>>>;

/** serverOptionsFrom turns the validated common flags into ServerOptions. */
export function serverOptionsFrom(o: CommonFlagValues): ServerOptions {
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

/** validateFlags checks parsed flags against a schema; each problem reads "--flag: reason". */
export function validateFlags<T>(schema: z.ZodType<T>, flags: ParsedFlags): Result<T, string[]> {
  const parsed = schema.safeParse(Object.fromEntries(flags));
  if (parsed.success) return ok(parsed.data);
  return err(parsed.error.issues.map((i) => `--${String(i.path[0] ?? "")}: ${i.message}`));
}

/** defaultsOf is a binary's options with every flag at its default, then overrides (embedding, tests). */
export function defaultsOf<O>(fromFlags: (flags: ParsedFlags) => Result<O, string[]>, overrides: Partial<O>): O {
  const base = fromFlags(new Map());
  if (!base.ok) throw new Error(base.error.join("; "));
  return { ...base.value, ...overrides };
}

/** checkPortCollisions reports two listeners on one port (0, "pick a free one", never collides). */
export function checkPortCollisions(
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
