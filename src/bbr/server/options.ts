import { z } from "zod";
import { type FlagSpec, type ParsedFlags } from "../../common/flags.js";
import { LOG_LEVELS, type LogLevel } from "../../common/logger.js";
import { err, ok, type Result } from "../../common/result.js";
import { DEFAULT_MAX_HEADER_VALUE_BYTES } from "../framework/headers.js";

/** DEFAULT_GRPC_PORT, DEFAULT_HEALTH_PORT, DEFAULT_METRICS_PORT are GIE's BBR ports. */
export const DEFAULT_GRPC_PORT = 9004;
export const DEFAULT_HEALTH_PORT = 9005;
export const DEFAULT_METRICS_PORT = 9090;
/** DEFAULT_MAX_BODY_BYTES is 32 MiB, Anthropic's request size cap. */
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

/** BbrServerOptions configure one BBR process. */
export interface BbrServerOptions {
  readonly grpcPort: number;
  readonly grpcHealthPort: number;
  readonly metricsPort: number;
  readonly bindAddress: string;
  readonly streaming: boolean;
  readonly configPath: string | undefined;
  readonly maxBodyBytes: number;
  readonly maxResponseBufferBytes: number;
  readonly maxHeaderValueBytes: number;
  readonly logLevel: LogLevel;
  readonly drainTimeoutMs: number;
}

/** BBR_FLAGS are the command-line flags of `bbr` (GIE-compatible names where GIE has them). */
export const BBR_FLAGS: readonly FlagSpec[] = [
  { name: "grpc-port", kind: "string", help: "ext_proc gRPC port", default: String(DEFAULT_GRPC_PORT) },
  { name: "grpc-health-port", kind: "string", help: "gRPC health port", default: String(DEFAULT_HEALTH_PORT) },
  { name: "metrics-port", kind: "string", help: "HTTP port for /metrics, /healthz, /readyz", default: String(DEFAULT_METRICS_PORT) },
  { name: "bind-address", kind: "string", help: "address the ports listen on", default: "0.0.0.0" },
  {
    name: "streaming",
    kind: "boolean",
    help: "assume FULL_DUPLEX_STREAMED when Envoy sends no protocol_config (false: BUFFERED)",
    default: "true",
  },
  { name: "config", kind: "string", help: "plugin config YAML file (default: embedded config)" },
  { name: "max-body-bytes", kind: "string", help: "largest request body; larger is answered 413", default: String(DEFAULT_MAX_BODY_BYTES) },
  {
    name: "max-response-buffer-bytes",
    kind: "string",
    help: "largest response body buffered for whole-body response plugins",
    default: "same as --max-body-bytes",
  },
  {
    name: "max-header-value-bytes",
    kind: "string",
    help: "largest header value a plugin may set; larger is answered 400",
    default: String(DEFAULT_MAX_HEADER_VALUE_BYTES),
  },
  { name: "log-level", kind: "string", help: `log level (${LOG_LEVELS.join(", ")})`, default: "info" },
  { name: "drain-timeout", kind: "string", help: "seconds in-flight streams may take to finish on SIGTERM", default: "25" },
  { name: "help", kind: "boolean", help: "print this help" },
  { name: "version", kind: "boolean", help: "print the version" },
];

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

const optionsSchema = z
  .object({
    "grpc-port": port.default(DEFAULT_GRPC_PORT),
    "grpc-health-port": port.default(DEFAULT_HEALTH_PORT),
    "metrics-port": port.default(DEFAULT_METRICS_PORT),
    "bind-address": z.string().min(1).default("0.0.0.0"),
    streaming: z
      .enum(["true", "false"])
      .default("true")
      .transform((v) => v === "true"),
    config: z.string().min(1).optional(),
    "max-body-bytes": positiveInt.default(DEFAULT_MAX_BODY_BYTES),
    "max-response-buffer-bytes": positiveInt.optional(),
    "max-header-value-bytes": positiveInt.max(16384, "Envoy refuses header values over 16384 bytes").default(DEFAULT_MAX_HEADER_VALUE_BYTES),
    "log-level": z.enum(LOG_LEVELS).default("info"),
    "drain-timeout": z.coerce.number().min(0).default(25),
  })
  .superRefine((o, ctx) => {
    const ports: [string, number][] = [
      ["grpc-port", o["grpc-port"]],
      ["grpc-health-port", o["grpc-health-port"]],
      ["metrics-port", o["metrics-port"]],
    ];
    for (let i = 0; i < ports.length; i++) {
      for (let j = i + 1; j < ports.length; j++) {
        const [a, pa] = ports[i]!;
        const [b, pb] = ports[j]!;
        if (pa !== 0 && pa === pb) ctx.addIssue({ code: "custom", path: [b], message: `--${b} collides with --${a} (${pa})` });
      }
    }
  });

/** optionsFromFlags validates parsed flags into server options. */
export function optionsFromFlags(flags: ParsedFlags): Result<BbrServerOptions, string[]> {
  const parsed = optionsSchema.safeParse(Object.fromEntries(flags));
  if (!parsed.success) {
    return err(parsed.error.issues.map((i) => `--${String(i.path[0] ?? "")}: ${i.message}`));
  }
  const o = parsed.data;
  return ok({
    grpcPort: o["grpc-port"],
    grpcHealthPort: o["grpc-health-port"],
    metricsPort: o["metrics-port"],
    bindAddress: o["bind-address"],
    streaming: o.streaming,
    configPath: o.config,
    maxBodyBytes: o["max-body-bytes"],
    maxResponseBufferBytes: o["max-response-buffer-bytes"] ?? o["max-body-bytes"],
    maxHeaderValueBytes: o["max-header-value-bytes"],
    logLevel: o["log-level"],
    drainTimeoutMs: o["drain-timeout"] * 1000,
  });
}

/** defaultOptions are the options with every flag at its default (for embedding and tests). */
export function defaultOptions(overrides: Partial<BbrServerOptions> = {}): BbrServerOptions {
  const base = optionsFromFlags(new Map());
  if (!base.ok) throw new Error(base.error.join("; "));
  return { ...base.value, ...overrides };
}
