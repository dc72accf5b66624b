import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Endpoint } from "./api/endpoint.js";

/** PLUGIN_DURATION_BUCKETS cover 10 µs to 100 ms: a scheduling plugin should take microseconds. */
export const PLUGIN_DURATION_BUCKETS = [
  0.00001, 0.00002, 0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.1,
];

/** TOKEN_BUCKETS are GIE's token-count buckets. */
export const TOKEN_BUCKETS = [
  1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32778, 65536, 131072, 262144,
];

/** RequestOutcome labels epp_requests_total. */
export type RequestOutcome = "success" | "rejected" | "failed" | "cancelled";

/** MAX_MODEL_LABELS bounds the model label values kept: model names come from clients. */
export const MAX_MODEL_LABELS = 200;
export const OTHER_LABEL = "__other__";

/** EndpointsView is what the pool gauges read at scrape time. */
export interface EndpointsView {
  list(): readonly Endpoint[];
}

/**
 * EppMetrics owns a Prometheus registry (one per server). GIE's metric names are kept where
 * GIE has them (inference_objective_*, inference_pool_*, inference_extension_*), so existing
 * dashboards work.
 */
export class EppMetrics {
  readonly registry = new Registry();
  readonly info: Gauge<"commit" | "build_ref">;
  readonly requests: Counter<"outcome" | "code">;
  readonly objectiveRequests: Counter<"model_name" | "target_model_name">;
  readonly objectiveErrors: Counter<"model_name" | "target_model_name" | "error_code">;
  readonly inputTokens: Histogram<"model_name" | "target_model_name">;
  readonly outputTokens: Histogram<"model_name" | "target_model_name">;
  readonly schedulerDuration: Histogram;
  readonly pluginDuration: Histogram<"extension_point" | "plugin_type" | "plugin_name">;
  readonly activeStreams: Gauge;
  readonly scrapes: Counter<"result">;
  readonly discoveryUpdates: Counter<"source" | "result">;
  readonly flowQueueSize: Gauge<"priority">;
  readonly flowQueueBytes: Gauge<"priority">;
  readonly flowFlowQueueSize: Gauge<"priority" | "fairness_id">;
  readonly flowFlowQueueBytes: Gauge<"priority" | "fairness_id">;
  readonly flowQueueDuration: Histogram<"priority" | "outcome">;
  readonly flowOutcomes: Counter<"priority" | "outcome" | "reason">;
  private readonly seenModels = new Set<string>();
  private endpoints: EndpointsView | undefined;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.info = new Gauge({
      name: "epp_info",
      help: "Build information of the running endpoint picker.",
      labelNames: ["commit", "build_ref"],
      registers,
    });
    this.requests = new Counter({
      name: "epp_requests_total",
      help: "Requests seen, by outcome and the HTTP status the EPP answered (continue when forwarded).",
      labelNames: ["outcome", "code"],
      registers,
    });
    this.objectiveRequests = new Counter({
      name: "inference_objective_request_total",
      help: "Requests scheduled, by client-facing and target model.",
      labelNames: ["model_name", "target_model_name"],
      registers,
    });
    this.objectiveErrors = new Counter({
      name: "inference_objective_request_error_total",
      help: "Requests answered with an error, by model and error code.",
      labelNames: ["model_name", "target_model_name", "error_code"],
      registers,
    });
    this.inputTokens = new Histogram({
      name: "inference_objective_input_tokens",
      help: "Prompt tokens reported by the model server.",
      labelNames: ["model_name", "target_model_name"],
      buckets: TOKEN_BUCKETS,
      registers,
    });
    this.outputTokens = new Histogram({
      name: "inference_objective_output_tokens",
      help: "Completion tokens reported by the model server.",
      labelNames: ["model_name", "target_model_name"],
      buckets: TOKEN_BUCKETS,
      registers,
    });
    this.schedulerDuration = new Histogram({
      name: "inference_extension_scheduler_e2e_duration_seconds",
      help: "Time to choose endpoints for a request (producers, filters, scorers, picker).",
      buckets: PLUGIN_DURATION_BUCKETS,
      registers,
    });
    this.pluginDuration = new Histogram({
      name: "inference_extension_plugin_duration_seconds",
      help: "Time spent in each plugin call.",
      labelNames: ["extension_point", "plugin_type", "plugin_name"],
      buckets: PLUGIN_DURATION_BUCKETS,
      registers,
    });
    this.activeStreams = new Gauge({ name: "epp_active_streams", help: "ext_proc streams currently open.", registers });
    this.scrapes = new Counter({
      name: "epp_metrics_scrapes_total",
      help: "Model-server metrics scrapes by result.",
      labelNames: ["result"],
      registers,
    });
    this.discoveryUpdates = new Counter({
      name: "epp_discovery_updates_total",
      help: "Endpoint discovery updates applied or rejected, by source.",
      labelNames: ["source", "result"],
      registers,
    });
    // Flow control (reference names where the reference has them). Per-flow series are removed
    // when a flow's queue empties, so client-chosen fairness ids cannot grow them without bound.
    this.flowQueueSize = new Gauge({
      name: "inference_extension_flow_control_queue_size",
      help: "Requests waiting in flow control, per priority band.",
      labelNames: ["priority"],
      registers,
    });
    this.flowQueueBytes = new Gauge({
      name: "inference_extension_flow_control_queue_bytes",
      help: "Request body bytes waiting in flow control, per priority band.",
      labelNames: ["priority"],
      registers,
    });
    this.flowFlowQueueSize = new Gauge({
      name: "inference_extension_flow_control_flow_queue_size",
      help: "Requests waiting in flow control, per priority band and flow (fairness id); flows with none are omitted.",
      labelNames: ["priority", "fairness_id"],
      registers,
    });
    this.flowFlowQueueBytes = new Gauge({
      name: "inference_extension_flow_control_flow_queue_bytes",
      help: "Request body bytes waiting in flow control, per priority band and flow; flows with none are omitted.",
      labelNames: ["priority", "fairness_id"],
      registers,
    });
    this.flowQueueDuration = new Histogram({
      name: "inference_extension_flow_control_request_queue_duration_seconds",
      help: "Time requests spent in flow control, by priority and outcome (dispatched, expired, cancelled).",
      labelNames: ["priority", "outcome"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.flowOutcomes = new Counter({
      name: "inference_extension_flow_control_requests_total",
      help: "Requests leaving flow control, by priority, outcome and reason.",
      labelNames: ["priority", "outcome", "reason"],
      registers,
    });
    const self = this;
    new Gauge({
      name: "inference_pool_ready_pods",
      help: "Endpoints discovery currently lists.",
      registers,
      collect() {
        this.set(self.endpoints?.list().length ?? 0);
      },
    });
    new Gauge({
      name: "inference_pool_average_kv_cache_utilization",
      help: "Average KV-cache utilisation over endpoints with fresh metrics.",
      registers,
      collect() {
        this.set(self.average((e, now) => e.metricsAt(now)?.kvCacheUsagePercent));
      },
    });
    new Gauge({
      name: "inference_pool_average_queue_size",
      help: "Average waiting-queue length over endpoints with fresh metrics.",
      registers,
      collect() {
        this.set(self.average((e, now) => e.metricsAt(now)?.waitingQueueSize));
      },
    });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
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
