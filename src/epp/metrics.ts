import { collectProcessMetrics, counter, declareMetrics, gauge, histogram, metricSet } from "../runtime/metrics.js";
import type { Endpoint } from "./api/endpoint.js";
import { FastPluginDurationHistogram } from "./plugin-duration-histogram.js";

/** SCHEDULING_PLUGIN_DURATION_BUCKETS cover 10 µs to 100 ms: a scheduling plugin should take microseconds. */
export const SCHEDULING_PLUGIN_DURATION_BUCKETS = [
  0.00001, 0.00002, 0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.1,
];

/** TOKEN_BUCKETS are GIE's token-count buckets. */
export const TOKEN_BUCKETS = [
  1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32778, 65536, 131072, 262144,
];

/** FLOW_QUEUE_DURATION_BUCKETS cover 1 ms to a minute spent waiting in flow control. */
const FLOW_QUEUE_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** MAX_MODEL_LABELS bounds the model label values kept: model names come from clients. */
export const MAX_MODEL_LABELS = 200;
export const OTHER_LABEL = "__other__";

/** EndpointsView is what the pool gauges read at scrape time. */
export interface EndpointsView {
  list(): readonly Endpoint[];
}

const MODEL_LABELS = ["model_name", "target_model_name"] as const;

/**
 * EPP_METRICS are the EPP's metrics. GIE's metric names are kept where GIE has them
 * (inference_objective_*, inference_pool_*, inference_extension_*), so existing dashboards work.
 */
const EPP_METRICS = {
  info: gauge("epp_info", "Build information of the running endpoint picker.", ["commit", "build_ref"]),
  requests: counter(
    "epp_requests_total",
    "Requests seen, by outcome and the HTTP status the EPP answered (continue when forwarded).",
    ["outcome", "code"],
  ),
  objectiveRequests: counter(
    "inference_objective_request_total",
    "Requests scheduled, by client-facing and target model.",
    MODEL_LABELS,
  ),
  objectiveErrors: counter(
    "inference_objective_request_error_total",
    "Requests answered with an error, by model and error code.",
    [...MODEL_LABELS, "error_code"],
  ),
  inputTokens: histogram(
    "inference_objective_input_tokens",
    "Prompt tokens reported by the model server.",
    TOKEN_BUCKETS,
    MODEL_LABELS,
  ),
  outputTokens: histogram(
    "inference_objective_output_tokens",
    "Completion tokens reported by the model server.",
    TOKEN_BUCKETS,
    MODEL_LABELS,
  ),
  schedulerDuration: histogram(
    "inference_extension_scheduler_e2e_duration_seconds",
    "Time to choose endpoints for a request (producers, filters, scorers, picker).",
    SCHEDULING_PLUGIN_DURATION_BUCKETS,
  ),
  activeStreams: gauge("epp_active_streams", "ext_proc streams currently open."),
  scrapes: counter("epp_metrics_scrapes_total", "Model-server metrics scrapes by result.", ["result"]),
  discoveryUpdates: counter(
    "epp_discovery_updates_total",
    "Endpoint discovery updates applied or rejected, by source.",
    ["source", "result"],
  ),
  // Flow control (reference names where the reference has them). Per-flow series are removed
  // when a flow's queue empties, so client-chosen fairness ids cannot grow them without bound.
  flowQueueSize: gauge(
    "inference_extension_flow_control_queue_size",
    "Requests waiting in flow control, per priority band.",
    ["priority"],
  ),
  flowQueueBytes: gauge(
    "inference_extension_flow_control_queue_bytes",
    "Request body bytes waiting in flow control, per priority band.",
    ["priority"],
  ),
  flowFlowQueueSize: gauge(
    "inference_extension_flow_control_flow_queue_size",
    "Requests waiting in flow control, per priority band and flow (fairness id); flows with none are omitted.",
    ["priority", "fairness_id"],
  ),
  flowFlowQueueBytes: gauge(
    "inference_extension_flow_control_flow_queue_bytes",
    "Request body bytes waiting in flow control, per priority band and flow; flows with none are omitted.",
    ["priority", "fairness_id"],
  ),
  flowQueueDuration: histogram(
    "inference_extension_flow_control_request_queue_duration_seconds",
    "Time requests spent in flow control, by priority and outcome (dispatched, expired, cancelled).",
    FLOW_QUEUE_DURATION_BUCKETS,
    ["priority", "outcome"],
  ),
  flowOutcomes: counter(
    "inference_extension_flow_control_requests_total",
    "Requests leaving flow control, by priority, outcome and reason.",
    ["priority", "outcome", "reason"],
  ),
};

/** EppMetrics owns a Prometheus registry (one per server) with EPP_METRICS and the pool gauges. */
export class EppMetrics extends metricSet(EPP_METRICS) {
  /**
   * pluginDuration times each plugin call, by (extension_point, plugin_type, plugin_name). Not a
   * prom-client Histogram: about a dozen plugin calls per request made its observe the EPP's
   * largest metrics cost; this one exports the same text for a fraction of it.
   */
  readonly pluginDuration: FastPluginDurationHistogram;
  private readonly seenModels = new Set<string>();
  private endpoints: EndpointsView | undefined;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    super();
    this.pluginDuration = new FastPluginDurationHistogram(
      "inference_extension_plugin_duration_seconds",
      "Time spent in each plugin call.",
      SCHEDULING_PLUGIN_DURATION_BUCKETS,
      this.registry,
    );
    // The pool gauges are read from the endpoint store at scrape time.
    declareMetrics(this.registry, {
      readyPods: gauge("inference_pool_ready_pods", "Endpoints discovery currently lists.", [], (pods) =>
        pods.set(this.endpoints?.list().length ?? 0),
      ),
      kvCacheUtilization: gauge(
        "inference_pool_average_kv_cache_utilization",
        "Average KV-cache utilisation over endpoints with fresh metrics.",
        [],
        (average) => average.set(this.average((e, now) => e.metricsAt(now)?.kvCacheUsagePercent)),
      ),
      queueSize: gauge(
        "inference_pool_average_queue_size",
        "Average waiting-queue length over endpoints with fresh metrics.",
        [],
        (average) => average.set(this.average((e, now) => e.metricsAt(now)?.waitingQueueSize)),
      ),
    });
    collectProcessMetrics(this.registry, options);
  }

  /** observeEndpoints connects the pool gauges to the endpoint store. */
  observeEndpoints(view: EndpointsView): void {
    this.endpoints = view;
  }

  /** modelLabel returns a bounded label value for a client-supplied model name. */
  modelLabel(model: string): string {
    if (this.seenModels.has(model)) return model;
    if (this.seenModels.size >= MAX_MODEL_LABELS) return OTHER_LABEL;
    this.seenModels.add(model);
    return model;
  }

  // Freshness is the data layer's staleness threshold (metricsAt), GIE's --metrics-staleness-threshold.
  private average(value: (e: Endpoint, now: number) => number | undefined): number {
    const now = performance.now();
    let sum = 0;
    let n = 0;
    for (const e of this.endpoints?.list() ?? []) {
      const v = value(e, now);
      if (v === undefined) continue;
      sum += v;
      n++;
    }
    return n === 0 ? 0 : sum / n;
  }
}
