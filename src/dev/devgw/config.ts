import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { z } from "zod";
import { err, ok, type Result } from "../../common/result.js";
import { formatPath } from "../../common/config-error.js";
import { durationOrMillisSchema as durationMs } from "../../common/duration.js";

/** DEVGW_API_VERSION and DEVGW_KIND identify a devgw config document. */
export const DEVGW_API_VERSION = "inference-bbr.io/v1alpha1";
export const DEVGW_KIND = "DevGatewayConfig";

const name = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/, "must be lower-case alphanumeric with '-', '_' or '.' inside");
const headerName = z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, "must be a valid HTTP header name");
const port = z.number().int().min(0).max(65535);

/** hostPort is "host:port" or "[v6]:port". */
const hostPort = z.string().refine((s) => parseHostPort(s) !== undefined, 'must be "host:port"');

/** parseHostPort splits "host:port" / "[::1]:port"; undefined if malformed. */
export function parseHostPort(s: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(s);
  if (!m) return undefined;
  const p = Number(m[3]);
  if (p < 1 || p > 65535) return undefined;
  return { host: (m[1] ?? m[2])!, port: p };
}

const headerMode = z.enum(["SEND", "SKIP"]);
/** Only the body modes the Endpoint Picker protocol and BBR use are supported. */
const bodyMode = z.enum(["FULL_DUPLEX_STREAMED", "NONE"]);

const processingMode = z
  .strictObject({
    requestHeaderMode: headerMode.default("SEND"),
    requestBodyMode: bodyMode.default("FULL_DUPLEX_STREAMED"),
    requestTrailerMode: headerMode.default("SEND"),
    responseHeaderMode: headerMode.default("SEND"),
    responseBodyMode: bodyMode.default("FULL_DUPLEX_STREAMED"),
    responseTrailerMode: headerMode.default("SEND"),
  })
  .superRefine((m, ctx) => {
    // Envoy refuses FULL_DUPLEX_STREAMED without trailers: they may be what ends the body.
    if (m.requestBodyMode === "FULL_DUPLEX_STREAMED" && m.requestTrailerMode !== "SEND") {
      ctx.addIssue({
        code: "custom",
        path: ["requestTrailerMode"],
        message: "FULL_DUPLEX_STREAMED requires requestTrailerMode SEND",
      });
    }
    if (m.responseBodyMode === "FULL_DUPLEX_STREAMED" && m.responseTrailerMode !== "SEND") {
      ctx.addIssue({
        code: "custom",
        path: ["responseTrailerMode"],
        message: "FULL_DUPLEX_STREAMED requires responseTrailerMode SEND",
      });
    }
  });

export type ProcessingModeConfig = z.infer<typeof processingMode>;

const DEFAULT_MODE: ProcessingModeConfig = {
  requestHeaderMode: "SEND",
  requestBodyMode: "FULL_DUPLEX_STREAMED",
  requestTrailerMode: "SEND",
  responseHeaderMode: "SEND",
  responseBodyMode: "FULL_DUPLEX_STREAMED",
  responseTrailerMode: "SEND",
};

/** processorSpec is one ext_proc server, configured like Envoy's ExternalProcessor filter. */
const processorSpec = z.strictObject({
  name,
  /** gRPC target of the ext_proc server, "host:port". */
  target: hostPort,
  /** On processor failure or timeout: true continues without it, false answers 500 (504 on timeout). */
  failureModeAllow: z.boolean().default(false),
  /** How long the processor may take to answer once it has all it needs for a phase. */
  messageTimeout: durationMs.default(200),
  processingMode: processingMode.default(DEFAULT_MODE),
});

const headerMatch = z.strictObject({
  type: z.enum(["Exact", "RegularExpression"]).default("Exact"),
  name: headerName,
  value: z.string(),
});

const pathMatch = z.strictObject({
  type: z.enum(["PathPrefix", "Exact"]).default("PathPrefix"),
  value: z.string().startsWith("/", "must start with /"),
});

/** routeMatch is an HTTPRoute match: every condition given must hold. */
const routeMatch = z.strictObject({
  path: pathMatch.optional(),
  method: z
    .string()
    .regex(/^[A-Z]+$/, "must be an upper-case HTTP method")
    .optional(),
  headers: z.array(headerMatch).default([]),
});

/** routeSpec is an HTTPRoute rule: any of its matches (none: everything) sends to a pool. */
const routeSpec = z.strictObject({
  name,
  matches: z.array(routeMatch).default([]),
  backendRef: name,
  /** Whole-request timeout (Envoy's route timeout); 0 disables it. */
  timeout: durationMs.default(300_000),
});

/** poolSpec is an InferencePool stand-in: a fixed list of endpoints. */
const poolSpec = z.strictObject({
  name,
  endpoints: z.array(hostPort).min(1, "a pool needs at least one endpoint"),
});

/** listenerSpec is one HTTP listener; `processors` is its ext_proc filter chain in order. */
const listenerSpec = z.strictObject({
  name,
  address: z.string().min(1).default("127.0.0.1"),
  port,
  /** Processor names in filter order; default: every processor, as listed. */
  processors: z.array(name).optional(),
});

/** devgwConfigSchema is the whole devgw config document. */
export const devgwConfigSchema = z
  .strictObject({
    apiVersion: z.literal(DEVGW_API_VERSION).optional(),
    kind: z.literal(DEVGW_KIND).optional(),
    listeners: z.array(listenerSpec).min(1, "at least one listener is required"),
    processors: z.array(processorSpec).default([]),
    routes: z.array(routeSpec).default([]),
    pools: z.array(poolSpec).default([]),
  })
  .superRefine((c, ctx) => {
    const unique = (list: readonly { name: string }[], key: string) => {
      const seen = new Set<string>();
      for (const [i, item] of list.entries()) {
        if (seen.has(item.name))
          ctx.addIssue({ code: "custom", path: [key, i, "name"], message: `duplicate name "${item.name}"` });
        seen.add(item.name);
      }
      return seen;
    };
    unique(c.listeners, "listeners");
    const processors = unique(c.processors, "processors");
    unique(c.routes, "routes");
    const pools = unique(c.pools, "pools");
    for (const [i, l] of c.listeners.entries()) {
      for (const [j, p] of (l.processors ?? []).entries()) {
        if (!processors.has(p))
          ctx.addIssue({
            code: "custom",
            path: ["listeners", i, "processors", j],
            message: `no processor named "${p}"`,
          });
      }
    }
    for (const [i, r] of c.routes.entries()) {
      if (!pools.has(r.backendRef))
        ctx.addIssue({ code: "custom", path: ["routes", i, "backendRef"], message: `no pool named "${r.backendRef}"` });
      for (const [j, m] of r.matches.entries()) {
        for (const [k, h] of m.headers.entries()) {
          if (h.type !== "RegularExpression") continue;
          try {
            new RegExp(h.value);
          } catch (e) {
            ctx.addIssue({
              code: "custom",
              path: ["routes", i, "matches", j, "headers", k, "value"],
              message: `invalid regular expression: ${(e as Error).message}`,
            });
          }
        }
      }
    }
  });

export type DevgwConfig = z.infer<typeof devgwConfigSchema>;
export type ProcessorConfig = DevgwConfig["processors"][number];
export type RouteConfig = DevgwConfig["routes"][number];

/** parseDevgwConfig validates YAML text; each problem is reported as `source: path: reason`. */
export function parseDevgwConfig(text: string, source: string): Result<DevgwConfig, string[]> {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    return err(
      doc.errors.map(
        (e) =>
          `${source}: invalid YAML${e.linePos ? ` at line ${e.linePos[0].line}` : ""}: ${e.message.split("\n")[0]}`,
      ),
    );
  }
  const parsed = devgwConfigSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    return err(
      parsed.error.issues.map((i) => `${source}: ${i.path.length > 0 ? `${formatPath(i.path)}: ` : ""}${i.message}`),
    );
  }
  return ok(parsed.data);
}

/** loadDevgwConfig reads and validates a config file. */
export function loadDevgwConfig(path: string): Result<DevgwConfig, string[]> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return err([`${path}: cannot read config: ${(e as Error).message}`]);
  }
  return parseDevgwConfig(text, path);
}
