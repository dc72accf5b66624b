import { describe, expect, it } from "vitest";
import { z } from "zod";
import { type Logger, silentLogger } from "../../common/logger.js";
import { ok } from "../../common/result.js";
import type { PluginTypeSpec } from "../../plugin/registry.js";
import type { Admission, FlowAdmission } from "../api/admission.js";
import type { Endpoint } from "../api/endpoint.js";
import type { EppPluginHandle } from "../api/handle.js";
import type { CompletedResponse, ResponseCompleteProcessor } from "../api/request-control.js";
import { loadConfigText } from "../config/loader.js";
import { EppMetrics } from "../metrics.js";
import { newInTreeRegistry } from "../plugins/in-tree.js";
import { loadHasher } from "../plugins/prefix/hashing.js";
import { Director } from "./director.js";
import { ObjectiveStore } from "./objectives.js";
import { DROPPED_REASON } from "./wire.js";

const ENDPOINT: Endpoint = {
  metadata: {
    key: "10.0.0.1:8000",
    name: "pod-1-rank-0",
    namespace: "default",
    podName: "pod-1",
    address: "10.0.0.1",
    port: 8000,
    metricsPort: 8000,
    labels: {},
    models: [],
    loraAdapters: [],
    maxLoras: undefined,
  },
  lastMetrics: undefined,
  metricsAt: () => undefined,
};

/** completion-observer records ResponseComplete calls; the one named "broken" throws. */
function observerType(seen: string[]): PluginTypeSpec<unknown, EppPluginHandle> {
  return {
    type: "completion-observer",
    description: "test observer",
    stability: "stable",
    extensionPoints: ["ResponseComplete"],
    parameters: z.unknown(),
    create: (name) =>
      ok({
        typedName: { type: "completion-observer", name },
        responseComplete: (r: CompletedResponse) => {
          if (name === "broken") throw new Error("observer bug");
          seen.push(`${name}:${r.request.requestId}`);
        },
      } satisfies ResponseCompleteProcessor),
  };
}

async function director(options: { admission?: FlowAdmission; seen?: string[]; errors?: unknown[] } = {}) {
  const registry = newInTreeRegistry();
  registry.register(observerType(options.seen ?? []));
  const handle = { logger: silentLogger(), hasher: await loadHasher(), random: () => 0.5, endpoints: () => [ENDPOINT] };
  const yaml = [
    "plugins:",
    "- type: queue-scorer",
    "- type: prefix-cache-scorer",
    "- {type: completion-observer, name: broken}",
    "- {type: completion-observer, name: fine}",
    "dataLayer: {sources: []}",
  ].join("\n");
  const loaded = await loadConfigText(yaml, "test.yaml", { registry, handle });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  const metrics = new EppMetrics({ defaultMetrics: false });
  const errors = options.errors ?? [];
  const logger = { error: (fields: object, msg: string) => errors.push({ ...fields, msg }) } as unknown as Logger;
  const made = new Director({
    config: loaded.value,
    endpoints: { list: () => [ENDPOINT] },
    objectives: new ObjectiveStore(),
    metrics,
    random: () => 0.5,
    subsetFilter: true,
    admission: options.admission,
    logger,
  });
  return { director: made, metrics };
}

const input = {
  headers: new Map([[":path", "/v1/chat/completions"]]),
  body: new TextEncoder().encode(JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] })),
  subsetHint: undefined,
  requestId: "r1",
};

describe("Director", () => {
  it("times every plugin call into the plugin-duration histogram, by extension point", async () => {
    const { director: d, metrics } = await director();
    const decided = d.handleRequest(input);
    expect(decided.ok && decided.value.destinations).toEqual(["10.0.0.1:8000"]);
    const series = (await metrics.pluginDuration.get()).values
      .filter((v) => v.metricName?.endsWith("_count"))
      .map((v) => `${v.labels["extension_point"]}:${v.labels["plugin_type"]}`);
    expect(series).toEqual(
      expect.arrayContaining([
        "ProfileHandler:single-profile-handler",
        "Scorer:queue-scorer",
        "Picker:max-score-picker",
        "DataProducer:approx-prefix-cache-producer",
        "PreRequest:approx-prefix-cache-producer",
      ]),
    );
  });

  it("logs a failing ResponseComplete plugin and still runs the others", async () => {
    const seen: string[] = [];
    const errors: unknown[] = [];
    const { director: d } = await director({ seen, errors });
    const decided = d.handleRequest(input);
    if (!decided.ok) throw decided.error;
    const completed: CompletedResponse = {
      request: decided.value.request,
      status: 200,
      headers: new Map(),
      streaming: false,
      targetEndpoints: decided.value.destinations,
      servedEndpoint: undefined,
      usage: undefined,
      aborted: false,
    };
    d.handleResponseComplete(completed);
    expect(seen).toEqual(["fine:r1"]);
    expect(errors).toEqual([
      { requestId: "r1", plugin: "broken", err: "observer bug", msg: "ResponseComplete plugin failed" },
    ]);
  });

  it.each<{ admission: Admission; status: number; reason: string; dropped: string | undefined }>([
    {
      admission: { kind: "rejected", reason: "band-full" },
      status: 429,
      reason: "queue_full",
      dropped: "rejected-capacity",
    },
    {
      admission: { kind: "rejected", reason: "shutting-down" },
      status: 429,
      reason: "shutting_down",
      dropped: "rejected-capacity",
    },
    { admission: { kind: "expired" }, status: 503, reason: "queue_ttl_expired", dropped: "rejected-ttl-expired" },
    { admission: { kind: "cancelled" }, status: 503, reason: "cancelled", dropped: undefined },
  ])(
    "answers flow control's $admission.kind ($admission) with $status $reason",
    async ({ admission, status, reason, dropped }) => {
      const { director: d } = await director({ admission: { admit: async () => admission } });
      const decided = await d.admitAndSchedule(input, new AbortController().signal);
      expect(decided.ok).toBe(false);
      if (decided.ok) return;
      expect([decided.error.httpStatus, decided.error.reason, decided.error.headers[DROPPED_REASON]]).toEqual([
        status,
        reason,
        dropped,
      ]);
    },
  );

  it("schedules a dispatched request and hands over its release", async () => {
    let released = 0;
    const { director: d } = await director({
      admission: { admit: async () => ({ kind: "dispatched", release: () => released++ }) },
    });
    const decided = await d.admitAndSchedule(input, new AbortController().signal);
    expect(decided.ok && decided.value.destinations).toEqual(["10.0.0.1:8000"]);
    if (decided.ok) decided.value.release?.();
    expect(released).toBe(1);
  });
});
