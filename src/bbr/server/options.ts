import { z } from "zod";
import type { FlagSpec, ParsedFlags } from "../../common/flags.js";
import { ok, type Result } from "../../common/result.js";
import {
  bodyLimitFlags,
  booleanFlag,
  checkPortCollisions,
  commonFlagFields,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_METRICS_PORT,
  defaultsOf,
  listenerFlags,
  PROCESS_FLAGS,
  positiveIntFlag,
  type ServerOptions,
  serverOptionsFrom,
  validateFlags,
} from "../../runtime/server-flags.js";
import { DEFAULT_MAX_HEADER_VALUE_BYTES } from "../api/headers.js";

/** DEFAULT_GRPC_PORT and DEFAULT_HEALTH_PORT are GIE's BBR ports. */
export const DEFAULT_GRPC_PORT = 9004;
export const DEFAULT_HEALTH_PORT = 9005;
export { DEFAULT_MAX_BODY_BYTES, DEFAULT_METRICS_PORT };

/** BbrServerOptions configure one BBR process. */
export interface BbrServerOptions extends ServerOptions {
  readonly configPath: string | undefined;
  readonly maxHeaderValueBytes: number;
  /** secureServing serves TLS on the ext_proc port (never on the health or metrics ports). */
  readonly secureServing: boolean;
  /** certPath is a PEM certificate file or a tls.crt/tls.key directory; absent means self-signed. */
  readonly certPath: string | undefined;
  readonly keyPath: string | undefined;
  /** tracing lets streams create spans when an OpenTelemetry SDK is registered. */
  readonly tracing: boolean;
  /** watchConfig reloads --config (and its changes) without a restart. */
  readonly watchConfig: boolean;
  /** exposeAdminApi answers the admin API from any address, not only loopback. */
  readonly exposeAdminApi: boolean;
}

/** BBR_FLAGS are the command-line flags of `bbr` (GIE-compatible names where GIE has them). */
export const BBR_FLAGS: readonly FlagSpec[] = [
  ...listenerFlags({ grpc: DEFAULT_GRPC_PORT, health: DEFAULT_HEALTH_PORT, metrics: DEFAULT_METRICS_PORT }),
  { name: "config", kind: "string", help: "plugin config YAML file (default: embedded config)" },
  ...bodyLimitFlags("largest response body buffered for whole-body response plugins"),
  {
    name: "max-header-value-bytes",
    kind: "string",
    help: "largest header value a plugin may set; larger is answered 400",
    default: String(DEFAULT_MAX_HEADER_VALUE_BYTES),
  },
  {
    name: "secure-serving",
    kind: "boolean",
    help: "serve TLS on the ext_proc port (self-signed certificate unless --cert-path)",
    default: "false",
  },
  { name: "cert-path", kind: "string", help: "TLS certificate PEM file, or a directory with tls.crt and tls.key" },
  { name: "key-path", kind: "string", help: "TLS private key PEM file (when --cert-path is a file)" },
  {
    name: "tracing",
    kind: "boolean",
    help: "create OpenTelemetry spans when an OpenTelemetry SDK is registered",
    default: "true",
  },
  {
    name: "watch-config",
    kind: "boolean",
    help: "reload --config when the file changes (invalid versions are refused; the last good one keeps serving)",
    default: "true",
  },
  {
    name: "expose-admin-api",
    kind: "boolean",
    help: "answer the admin API (bbr.admin.v1.AdminService on the metrics port) from any address, not only loopback",
    default: "false",
  },
  ...PROCESS_FLAGS,
];

const optionsSchema = z
  .object({
    ...commonFlagFields({ grpc: DEFAULT_GRPC_PORT, health: DEFAULT_HEALTH_PORT, metrics: DEFAULT_METRICS_PORT }),
    config: z.string().min(1).optional(),
    "max-header-value-bytes": positiveIntFlag
      .max(16384, "Envoy refuses header values over 16384 bytes")
      .default(DEFAULT_MAX_HEADER_VALUE_BYTES),
    "secure-serving": booleanFlag("false"),
    "cert-path": z.string().min(1).optional(),
    "key-path": z.string().min(1).optional(),
    tracing: booleanFlag("true"),
    "watch-config": booleanFlag("true"),
    "expose-admin-api": booleanFlag("false"),
  })
  .superRefine((o, ctx) => {
    checkPortCollisions(o, ctx);
    // A certificate without --secure-serving would silently serve plaintext.
    for (const flag of ["cert-path", "key-path"] as const) {
      if (o[flag] !== undefined && !o["secure-serving"]) {
        ctx.addIssue({ code: "custom", path: [flag], message: `--${flag} needs --secure-serving` });
      }
    }
    if (o["key-path"] !== undefined && o["cert-path"] === undefined) {
      ctx.addIssue({ code: "custom", path: ["key-path"], message: "--key-path needs --cert-path" });
    }
  });

/** optionsFromFlags validates parsed flags into server options. */
export function optionsFromFlags(flags: ParsedFlags): Result<BbrServerOptions, string[]> {
  const parsed = validateFlags(optionsSchema, flags);
  if (!parsed.ok) return parsed;
  const o = parsed.value;
  return ok({
    ...serverOptionsFrom(o),
    configPath: o.config,
    maxHeaderValueBytes: o["max-header-value-bytes"],
    secureServing: o["secure-serving"],
    certPath: o["cert-path"],
    keyPath: o["key-path"],
    tracing: o.tracing,
    watchConfig: o["watch-config"],
    exposeAdminApi: o["expose-admin-api"],
  });
}

/** defaultOptions are the options with every flag at its default (for embedding and tests). */
export function defaultOptions(overrides: Partial<BbrServerOptions> = {}): BbrServerOptions {
  return defaultsOf(optionsFromFlags, overrides);
}
