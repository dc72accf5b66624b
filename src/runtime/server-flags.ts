import { z } from "zod";
import type { FlagSpec } from "../common/flags.js";
import { LOG_LEVELS } from "../common/logger.js";

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

/** listenerFlags are the flags every ext_proc server binary starts with (ports, address, body mode). */
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

/** commonFlagFields validates listenerFlags and PROCESS_FLAGS (a zod object shape to spread). */
export function commonFlagFields(ports: DefaultPorts) {
  return {
    "grpc-port": portFlag.default(ports.grpc),
    "grpc-health-port": portFlag.default(ports.health),
    "metrics-port": portFlag.default(ports.metrics),
    "bind-address": z.string().min(1).default("0.0.0.0"),
    streaming: booleanFlag("true"),
    "log-level": z.enum(LOG_LEVELS).default("info"),
    "drain-timeout": z.coerce.number().min(0).default(25),
  };
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
