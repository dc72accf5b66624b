import type { ParsedFlags } from "../../common/flags.js";
import type { Result } from "../../common/result.js";
import type { ServerOptions } from "../../runtime/server-flags.js";
import { switchFlag, textFlag, valueFlag } from "../../common/flag-table.js";
import { positiveIntFlag, serverCommandLine } from "../../runtime/server-flags.js";
import { DEFAULT_MAX_HEADER_VALUE_BYTES } from "../api/headers.js";

/** DEFAULT_GRPC_PORT and DEFAULT_HEALTH_PORT are GIE's BBR ports. */
export const DEFAULT_GRPC_PORT = 9004;
export const DEFAULT_HEALTH_PORT = 9005;

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

const commandLine = serverCommandLine({
  ports: { grpc: DEFAULT_GRPC_PORT, health: DEFAULT_HEALTH_PORT },
  responseBufferHelp: "largest response body buffered for whole-body response plugins",
  flags: {
    config: textFlag("plugin config YAML file (default: embedded config)"),
    "max-header-value-bytes": valueFlag(
      positiveIntFlag
        .max(16384, "Envoy refuses header values over 16384 bytes")
        .default(DEFAULT_MAX_HEADER_VALUE_BYTES),
      "largest header value a plugin may set; larger is answered 400",
      String(DEFAULT_MAX_HEADER_VALUE_BYTES),
    ),
    "secure-serving": switchFlag(
      "false",
      "serve TLS on the ext_proc port (self-signed certificate unless --cert-path)",
    ),
    "cert-path": textFlag("TLS certificate PEM file, or a directory with tls.crt and tls.key"),
    "key-path": textFlag("TLS private key PEM file (when --cert-path is a file)"),
    tracing: switchFlag("true", "create OpenTelemetry spans when an OpenTelemetry SDK is registered"),
    "watch-config": switchFlag(
      "true",
      "reload --config when the file changes (invalid versions are refused; the last good one keeps serving)",
    ),
    "expose-admin-api": switchFlag(
      "false",
      "answer the admin API (bbr.admin.v1.AdminService on the metrics port) from any address, not only loopback",
    ),
  },
  refine: (o, ctx) => {
    // A certificate without --secure-serving would silently serve plaintext.
    for (const flag of ["cert-path", "key-path"] as const) {
      if (o[flag] !== undefined && !o["secure-serving"]) {
        ctx.addIssue({ code: "custom", path: [flag], message: `--${flag} needs --secure-serving` });
      }
    }
    if (o["key-path"] !== undefined && o["cert-path"] === undefined) {
      ctx.addIssue({ code: "custom", path: ["key-path"], message: "--key-path needs --cert-path" });
    }
  },
  options: (o) => ({
    configPath: o.config,
    maxHeaderValueBytes: o["max-header-value-bytes"],
    secureServing: o["secure-serving"],
    certPath: o["cert-path"],
    keyPath: o["key-path"],
    tracing: o.tracing,
    watchConfig: o["watch-config"],
    exposeAdminApi: o["expose-admin-api"],
  }),
});

/** BBR_FLAGS are the command-line flags of `bbr` (GIE-compatible names where GIE has them). */
export const BBR_FLAGS = commandLine.flags;

/** optionsFromFlags validates parsed flags into server options. */
export const optionsFromFlags: (flags: ParsedFlags) => Result<BbrServerOptions, string[]> = (flags) =>
  commandLine.optionsFromFlags(flags);

/** defaultOptions are the options with every flag at its default (for embedding and tests). */
export const defaultOptions: (overrides?: Partial<BbrServerOptions>) => BbrServerOptions = (overrides) =>
  commandLine.defaultOptions(overrides);
