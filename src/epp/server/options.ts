import { durationSchema } from "../../common/duration.js";
import type { ParsedFlags } from "../../common/flags.js";
import type { Result } from "../../common/result.js";
import type { ServerOptions } from "../../runtime/server-flags.js";
import { switchFlag, textFlag, valueFlag } from "../../common/flag-table.js";
import { serverCommandLine } from "../../runtime/server-flags.js";
import { DEFAULT_POOL_GROUP } from "../datalayer/kubernetes/pool-discovery.js";

/** DEFAULT_GRPC_PORT and DEFAULT_HEALTH_PORT are the reference EPP's ports. */
export const DEFAULT_GRPC_PORT = 9002;
export const DEFAULT_HEALTH_PORT = 9003;

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

const positiveDuration = durationSchema.refine((ms) => ms > 0, "must be greater than 0");

const commandLine = serverCommandLine({
  ports: { grpc: DEFAULT_GRPC_PORT, health: DEFAULT_HEALTH_PORT },
  responseBufferHelp: "largest non-streaming response copied to read token usage",
  flags: {
    "config-file": textFlag("EndpointPickerConfig YAML file (default: embedded config)"),
    "config-text": textFlag("EndpointPickerConfig YAML given inline"),
    "endpoints-file": textFlag("static endpoints YAML, watched for changes (default: 127.0.0.1:8000)"),
    "pool-name": textFlag("discover endpoints from this InferencePool and its Ready pods (Kubernetes)"),
    "pool-namespace": textFlag("namespace of the InferencePool", "$NAMESPACE or default"),
    "pool-group": textFlag("API group of the InferencePool", DEFAULT_POOL_GROUP),
    kubeconfig: textFlag("kubeconfig file (default: in-cluster, then $KUBECONFIG or ~/.kube/config)"),
    "objectives-file": textFlag("YAML list of inference objectives (name, priority), watched"),
    "refresh-metrics-interval": valueFlag(positiveDuration.default(50), "model-server metrics scrape interval", "50ms"),
    "metrics-scrape-timeout": valueFlag(positiveDuration.default(1000), "deadline of one metrics scrape", "1s"),
    "metrics-staleness-threshold": valueFlag(
      positiveDuration.default(2000),
      "age after which an endpoint's metrics count as unknown",
      "2s",
    ),
    "disable-endpoint-subset-filter": switchFlag("false", "ignore the data plane's endpoint subset hint"),
  },
  refine: (o, ctx) => {
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
  },
  // env supplies the pool namespace default, as the reference EPP's $NAMESPACE does.
  options: (o, env) => {
    const poolName = o["pool-name"];
    return {
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
    };
  },
});

/** EPP_FLAGS are the command-line flags of `epp` (the reference EPP's names where it has them). */
export const EPP_FLAGS = commandLine.flags;

/** optionsFromFlags validates parsed flags into server options (env supplies the pool namespace default). */
export const optionsFromFlags: (flags: ParsedFlags, env?: NodeJS.ProcessEnv) => Result<EppServerOptions, string[]> = (
  flags,
  env,
) => commandLine.optionsFromFlags(flags, env);

/** defaultOptions are the options with every flag at its default (for embedding and tests). */
export const defaultOptions: (overrides?: Partial<EppServerOptions>) => EppServerOptions = (overrides) =>
  commandLine.defaultOptions(overrides);
