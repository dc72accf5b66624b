import parsePrometheusTextFormat, { type PrometheusFamily } from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/common/logger.js";
import { BbrMetrics, PLUGIN_DURATION_BUCKETS } from "../../src/bbr/metrics.js";
import { BbrServer } from "../../src/bbr/server/bbr-server.js";
import { defaultOptions } from "../../src/bbr/server/options.js";
import { ExtProcTestClient } from "../support/ext-proc-client.js";
import { requestBody, requestHeaders } from "../support/messages.js";

// Real requests through the real server (embedded default config, in-tree plugins), then one
// scrape of /metrics over HTTP: names, types, labels and values as a dashboard sees them.
const MAX_BODY = 1024;
const requests = [
  { name: "routed", body: `{"model":"llama","prompt":"hi"}` },
  { name: "no model field", body: `{"prompt":"hi"}` },
  { name: "empty model", body: `{"model":"","prompt":"hi"}` },
  { name: "malformed JSON", body: `{"model":` },
  { name: "too large", body: `{"model":"llama","prompt":"${"x".repeat(MAX_BODY)}"}` },
];
/** until polls a condition (expect.poll is only allowed inside a test, not in beforeAll). */
async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** rawSamples reads `name{k="v",...} value` lines (label values here never need escaping). */
function rawSamples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = Object.fromEntries([...m[2]!.matchAll(/([a-z_]+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

const observedBodies = requests.slice(0, 4).map((r) => r.body.length);

describe("/metrics after real requests", () => {
  let server: BbrServer;
  let families: Map<string, PrometheusFamily>;
  let contentType: string | null;
  let text: string;

  beforeAll(async () => {
    const started = await BbrServer.start(
      defaultOptions({
        grpcPort: 0,
        grpcHealthPort: 0,
        metricsPort: 0,
        bindAddress: "127.0.0.1",
        maxBodyBytes: MAX_BODY,
      }),
      { logger: silentLogger(), metrics: new BbrMetrics() },
    );
    if (!started.ok) throw new Error("default config did not load");
    server = started.value;
    const client = new ExtProcTestClient(server.ports.grpc);
    for (const { body } of requests) {
      const stream = client.open();
      stream
        .send(requestHeaders({ ":method": "POST", "content-type": "application/json" }))
        .send(requestBody(body, true));
      await stream.finish();
    }
    const cancelled = client.open();
    cancelled.send(requestHeaders({ ":method": "POST", "content-type": "application/json" }));
    await until(() => server.inFlightStreams === 1);
    cancelled.cancel();
    await until(() => server.inFlightStreams === 0);
    client.close();

    const res = await fetch(`http://127.0.0.1:${server.ports.metrics}/metrics`);
    contentType = res.headers.get("content-type");
    text = await res.text();
    families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
  });
  afterAll(() => server?.stop(100));

  const samples = (name: string) =>
    families.get(name)?.metrics.map((m) => ({ labels: m.labels ?? {}, value: Number(m.value) }));

  it("is served in the Prometheus text format", () => {
    expect(contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
  });

  it.each([
    { name: "bbr_info", type: "GAUGE" },
    { name: "bbr_success_total", type: "COUNTER" },
    { name: "bbr_body_field_not_found_total", type: "COUNTER" },
    { name: "bbr_body_field_empty_total", type: "COUNTER" },
    { name: "bbr_plugin_duration_seconds", type: "HISTOGRAM" },
    { name: "bbr_requests_total", type: "COUNTER" },
    { name: "bbr_request_body_bytes", type: "HISTOGRAM" },
    { name: "bbr_active_streams", type: "GAUGE" },
    { name: "bbr_config_reloads_total", type: "COUNTER" },
    { name: "bbr_deprecated_plugin_use_total", type: "COUNTER" },
    { name: "bbr_plugin_failures_total", type: "COUNTER" },
    { name: "process_cpu_user_seconds_total", type: "COUNTER" },
    { name: "process_resident_memory_bytes", type: "GAUGE" },
    { name: "nodejs_eventloop_lag_seconds", type: "GAUGE" },
    { name: "nodejs_heap_size_used_bytes", type: "GAUGE" },
  ])("exposes $name as a $type", ({ name, type }) => {
    expect(families.get(name)?.type).toBe(type);
  });

  it("reports build information with GIE's labels", () => {
    const [info] = samples("bbr_info")!;
    expect(Object.keys(info!.labels).sort()).toEqual(["build_ref", "commit"]);
    expect(info!.value).toBe(1);
  });

  it("counts GIE's per-request metrics", () => {
    expect(samples("bbr_success_total")).toEqual([{ labels: {}, value: 3 }]);
    expect(samples("bbr_body_field_not_found_total")).toEqual([{ labels: { field: "model" }, value: 1 }]);
    expect(samples("bbr_body_field_empty_total")).toEqual([{ labels: { field: "model" }, value: 1 }]);
  });

  it("counts requests by outcome and the HTTP status BBR answered", () => {
    const byLabels = Object.fromEntries(
      samples("bbr_requests_total")!.map((s) => [`${s.labels["outcome"]}/${s.labels["code"]}`, s.value]),
    );
    expect(byLabels).toEqual({ "success/continue": 3, "rejected/400": 1, "rejected/413": 1, "cancelled/none": 1 });
  });

  it("times every plugin call with GIE's labels and buckets", () => {
    // The parser folds labelled histogram series into one, so read these sample lines directly.
    const counts = rawSamples(text, "bbr_plugin_duration_seconds_count");
    expect(counts).toEqual([
      {
        labels: { extension_point: "request", plugin_type: "body-field-to-header", plugin_name: "model-to-header" },
        value: 3,
      },
      {
        labels: {
          extension_point: "request",
          plugin_type: "base-model-to-header",
          plugin_name: "base-model-to-header",
        },
        value: 3,
      },
    ]);
    const bounds = rawSamples(text, "bbr_plugin_duration_seconds_bucket")
      .filter((s) => s.labels["plugin_type"] === "body-field-to-header")
      .map((s) => s.labels["le"]);
    expect(bounds).toEqual([...PLUGIN_DURATION_BUCKETS.map(String), "+Inf"]);
  });

  it("records the size of every request body it read in full", () => {
    const [histogram] = families.get("bbr_request_body_bytes")!.metrics;
    expect(histogram!.count).toBe(String(observedBodies.length));
    expect(Number(histogram!.sum)).toBe(observedBodies.reduce((a, b) => a + b, 0));
  });

  it("returns the active-streams gauge to zero", () => {
    expect(samples("bbr_active_streams")).toEqual([{ labels: {}, value: 0 }]);
  });
});
