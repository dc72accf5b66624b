import { collectProcessMetrics, counter, gauge, histogram, metricSet } from "../runtime/metrics.js";

/** PLUGIN_DURATION_BUCKETS are GIE's buckets for bbr_plugin_duration_seconds. */
export const PLUGIN_DURATION_BUCKETS = [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1];

/** BODY_SIZE_BUCKETS cover 1 KiB to 32 MiB request bodies. */
export const BODY_SIZE_BUCKETS = [1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 33554432];

/** BBR_METRICS are BBR's metrics. Names and labels of the GIE ones are kept for dashboard compatibility. */
const BBR_METRICS = {
  info: gauge("bbr_info", "Build information of the running body-based router.", ["commit", "build_ref"]),
  success: counter("bbr_success_total", "Request bodies processed successfully by the request plugin chain."),
  bodyFieldNotFound: counter(
    "bbr_body_field_not_found_total",
    "Requests whose body lacked the field a body-field-to-header plugin reads.",
    ["field"],
  ),
  bodyFieldEmpty: counter(
    "bbr_body_field_empty_total",
    "Requests whose body field read by body-field-to-header was empty.",
    ["field"],
  ),
  pluginDuration: histogram("bbr_plugin_duration_seconds", "Time spent in each plugin call.", PLUGIN_DURATION_BUCKETS, [
    "extension_point",
    "plugin_type",
    "plugin_name",
  ]),
  requests: counter(
    "bbr_requests_total",
    "HTTP requests seen, by outcome and the HTTP status BBR answered (continue when passed upstream).",
    ["outcome", "code"],
  ),
  requestBodyBytes: histogram("bbr_request_body_bytes", "Size of request bodies received.", BODY_SIZE_BUCKETS),
  activeStreams: gauge("bbr_active_streams", "ext_proc streams currently open."),
  configReloads: counter("bbr_config_reloads_total", "Configuration reload attempts by result.", ["result"]),
  deprecatedPluginUse: counter(
    "bbr_deprecated_plugin_use_total",
    "Instances of deprecated plugin types created from config.",
    ["plugin_type"],
  ),
  pluginFailures: counter(
    "bbr_plugin_failures_total",
    "Plugin calls that failed (reason error or timeout), whatever the plugin's failure policy.",
    ["plugin_type", "plugin_name", "reason"],
  ),
};

/** BbrMetrics owns a Prometheus registry with BBR_METRICS (one per server, so tests and embedders can run several). */
export class BbrMetrics extends metricSet(BBR_METRICS) {
  constructor(options: { defaultMetrics?: boolean } = {}) {
    super();
    collectProcessMetrics(this.registry, options);
  }
}
