import { z } from "zod";
import { durationSchema } from "../../common/duration.js";
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
  type ServerOptions,
  serverOptionsFrom,
  validateFlags,
} from "../../runtime/server-flags.js";
import { DEFAULT_POOL_GROUP } from "../datalayer/kubernetes/pool-discovery.js";

/** DEFAULT_GRPC_PORT and DEFAULT_HEALTH_PORT are the reference EPP's ports. */
export const DEFAULT_GRPC_PORT = 9002;
export const DEFAULT_HEALTH_PORT = 9003;
export { DEFAULT_MAX_BODY_BYTES, DEFAULT_METRICS_PORT };

/** KubernetesPoolOptions select Kubernetes discovery (an InferencePool and its pods). */
export interface KubernetesPoolOptions {
  readonly poolName: string;
  readonly poolNamespace: string;
  readonly poolGroup: string;
  /** kubeconfig path; undefined means in-cluster config or $KUBECONFIG / ~/.kube/config. */
  readonly kubeconfig: string | undefined;
}

/** EppServerOptions configure one EPP process. */
export interface EppServerOptions extends ServerOptions {
  readonly configFile: string | undefined;
  readonly configText: string | undefined;
  /** endpointsFile is the static discovery file; undefined with no pool means the embedded default. */
  readonly endpointsFile: string | undefined;
  readonly pool: KubernetesPoolOptions | undefined;
  readonly objectivesFile: string | undefined;
  readonly refreshMetricsIntervalMs: number;
  readonly metricsScrapeTimeoutMs: number;
  readonly metricsStalenessMs: number;
  readonly subsetFilter: boolean;
}

/** EPP_FLAGS are the command-line flags of `epp` (the reference EPP's names where it has them). */
export const EPP_FLAGS: readonly FlagSpec[] = [
  ...listenerFlags({ grpc: DEFAULT_GRPC_PORT, health: DEFAULT_HEALTH_PORT, metrics: DEFAULT_METRICS_PORT }),
  { name: "config-file", kind: "string", help: "EndpointPickerConfig YAML file (default: embedded config)" },
  { name: "config-text", kind: "string", help: "EndpointPickerConfig YAML given inline" },
  {
    name: "endpoints-file",
    kind: "string",
    help: "static endpoints YAML, watched for changes (default: 127.0.0.1:8000)",
  },
  {
    name: "pool-name",
    kind: "string",
    help: "discover endpoints from this InferencePool and its Ready pods (Kubernetes)",
  },
  { name: "pool-namespace", kind: "string", help: "namespace of the InferencePool", default: "$NAMESPACE or default" },
  { name: "pool-group", kind: "string", help: "API group of the InferencePool", default: DEFAULT_POOL_GROUP },
  {
    name: "kubeconfig",
    kind: "string",
    help: "kubeconfig file (default: in-cluster, then $KUBECONFIG or ~/.kube/config)",
  },
  { name: "objectives-file", kind: "string", help: "YAML list of inference objectives (name, priority), watched" },
  { name: "refresh-metrics-interval", kind: "string", help: "model-server metrics scrape interval", default: "50ms" },
  { name: "metrics-scrape-timeout", kind: "string", help: "deadline of one metrics scrape", default: "1s" },
  {
    name: "metrics-staleness-threshold",
    kind: "string",
    help: "age after which an endpoint's metrics count as unknown",
    default: "2s",
  },
  { name: "disable-endpoint-subset-filter", kind: "boolean", help: "ignore the data plane's endpoint subset hint" },
  ...bodyLimitFlags("largest non-streaming response copied to read token usage"),
  ...PROCESS_FLAGS,
];

const positiveDuration = durationSchema.refine((ms) => ms > 0, "must be greater than 0");

const optionsSchema = z
  .object({
    ...commonFlagFields({ grpc: DEFAULT_GRPC_PORT, health: DEFAULT_HEALTH_PORT, metrics: DEFAULT_METRICS_PORT }),
    "config-file": z.string().min(1).optional(),
    "config-text": z.string().min(1).optional(),
    "endpoints-file": z.string().min(1).optional(),
    "pool-name": z.string().min(1).optional(),
    "pool-namespace": z.string().min(1).optional(),
    "pool-group": z.string().min(1).optional(),
    kubeconfig: z.string().min(1).optional(),
    "objectives-file": z.string().min(1).optional(),
    "refresh-metrics-interval": positiveDuration.default(50),
    "metrics-scrape-timeout": positiveDuration.default(1000),
    "metrics-staleness-threshold": positiveDuration.default(2000),
    "disable-endpoint-subset-filter": booleanFlag("false"),
  })
  .superRefine((o, ctx) => {
    checkPortCollisions(o, ctx);
    if (o["config-file"] !== undefined && o["config-text"] !== undefined) {
      ctx.addIssue({ code: "custom", path: ["config-text"], message: "give --config-file or --config-text, not both" });
    }
    if (o["pool-name"] !== undefined && o["endpoints-file"] !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["endpoints-file"],
        message: "give --endpoints-file or --pool-name, not both",
      });
    }
    if (o["pool-name"] === undefined) {
      for (const flag of ["pool-namespace", "pool-group", "kubeconfig"] as const) {
        if (o[flag] !== undefined) ctx.addIssue({ code: "custom", path: [flag], message: "needs --pool-name" });
      }
    }
  });

/** optionsFromFlags validates parsed flags into server options (env supplies the pool namespace default). */
export function optionsFromFlags(
  flags: ParsedFlags,
  env: NodeJS.ProcessEnv = process.env,
): Result<EppServerOptions, string[]> {
  const parsed = validateFlags(optionsSchema, flags);
  if (!parsed.ok) return parsed;
  const o = parsed.value;
  const poolName = o["pool-name"];
  return ok({
    ...serverOptionsFrom(o),
    configFile: o["config-file"],
    configText: o["config-text"],
    endpointsFile: o["endpoints-file"],
    pool:
      poolName === undefined
        ? undefined
        : {
            poolName,
            poolNamespace: o["pool-namespace"] ?? (env["NAMESPACE"] || "default"),
            poolGroup: o["pool-group"] ?? DEFAULT_POOL_GROUP,
            kubeconfig: o.kubeconfig,
          },
    objectivesFile: o["objectives-file"],
    refreshMetricsIntervalMs: o["refresh-metrics-interval"],
    metricsScrapeTimeoutMs: o["metrics-scrape-timeout"],
    metricsStalenessMs: o["metrics-staleness-threshold"],
    subsetFilter: !o["disable-endpoint-subset-filter"],
  });
}

/** defaultOptions are the options with every flag at its default (for embedding and tests). */
export function defaultOptions(overrides: Partial<EppServerOptions> = {}): EppServerOptions {
  return defaultsOf((flags) => optionsFromFlags(flags, {}), overrides);
}
