import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Plugin } from "../plugin/plugin.js";

/** PLUGIN_DURATION_BUCKETS are GIE's buckets for bbr_plugin_duration_seconds. */
export const PLUGIN_DURATION_BUCKETS = [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1];

/** BODY_SIZE_BUCKETS cover 1 KiB to 32 MiB request bodies. */
export const BODY_SIZE_BUCKETS = [1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 33554432];

/** RequestOutcome labels bbr_requests_total. */
export type RequestOutcome = "success" | "rejected" | "failed" | "cancelled";

/**
 * BbrMetrics owns a Prometheus registry (one per server, so tests and embedders can run
 * several). Names and labels of the GIE metrics are kept for dashboard compatibility.
 */
export class BbrMetrics {
  readonly registry = new Registry();
  readonly info: Gauge<"commit" | "build_ref">;
  readonly success: Counter;
  readonly bodyFieldNotFound: Counter<"field">;
  readonly bodyFieldEmpty: Counter<"field">;
  readonly pluginDuration: Histogram<"extension_point" | "plugin_type" | "plugin_name">;
  readonly requests: Counter<"outcome" | "code">;
  readonly requestBodyBytes: Histogram;
  readonly activeStreams: Gauge;
  readonly configReloads: Counter<"result">;
  readonly deprecatedPluginUse: Counter<"plugin_type">;
  readonly pluginFailures: Counter<"plugin_type" | "plugin_name" | "reason">;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.info = new Gauge({
      name: "bbr_info",
      help: "Build information of the running body-based router.",
      labelNames: ["commit", "build_ref"],
      registers,
    });
    this.success = new Counter({
      name: "bbr_success_total",
      help: "Request bodies processed successfully by the request plugin chain.",
      registers,
    });
    this.bodyFieldNotFound = new Counter({
      name: "bbr_body_field_not_found_total",
      help: "Requests whose body lacked the field a body-field-to-header plugin reads.",
      labelNames: ["field"],
      registers,
    });
    this.bodyFieldEmpty = new Counter({
      name: "bbr_body_field_empty_total",
      help: "Requests whose body field read by body-field-to-header was empty.",
      labelNames: ["field"],
      registers,
    });
    this.pluginDuration = new Histogram({
      name: "bbr_plugin_duration_seconds",
      help: "Time spent in each plugin call.",
      labelNames: ["extension_point", "plugin_type", "plugin_name"],
      buckets: PLUGIN_DURATION_BUCKETS,
      registers,
    });
    this.requests = new Counter({
      name: "bbr_requests_total",
      help: "HTTP requests seen, by outcome and the HTTP status BBR answered (continue when passed upstream).",
      labelNames: ["outcome", "code"],
      registers,
    });
    this.requestBodyBytes = new Histogram({
      name: "bbr_request_body_bytes",
      help: "Size of request bodies received.",
      buckets: BODY_SIZE_BUCKETS,
      registers,
    });
    this.activeStreams = new Gauge({
      name: "bbr_active_streams",
      help: "ext_proc streams currently open.",
      registers,
    });
    this.configReloads = new Counter({
      name: "bbr_config_reloads_total",
      help: "Configuration reload attempts by result.",
      labelNames: ["result"],
      registers,
    });
    this.deprecatedPluginUse = new Counter({
      name: "bbr_deprecated_plugin_use_total",
      help: "Instances of deprecated plugin types created from config.",
      labelNames: ["plugin_type"],
      registers,
    });
    this.pluginFailures = new Counter({
      name: "bbr_plugin_failures_total",
      help: "Plugin calls that failed (reason error or timeout), whatever the plugin's failure policy.",
      labelNames: ["plugin_type", "plugin_name", "reason"],
      registers,
    });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  private readonly pluginTimers = new WeakMap<Plugin, Map<string, { observe(seconds: number): void }>>();

  /**
   * pluginTimer is the plugin-duration series of one plugin instance in one chain, looked up
   * once and cached: resolving labels on every call was a measurable share of a small exchange.
   */
  pluginTimer(plugin: Plugin, chain: "request" | "response"): { observe(seconds: number): void } {
    let byChain = this.pluginTimers.get(plugin);
    if (!byChain) {
      byChain = new Map();
      this.pluginTimers.set(plugin, byChain);
    }
    let timer = byChain.get(chain);
    if (!timer) {
      timer = this.pluginDuration.labels({
        extension_point: chain,
        plugin_type: plugin.typedName.type,
        plugin_name: plugin.typedName.name,
      });
      byChain.set(chain, timer);
    }
    return timer;
  }
}
