import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import {
  collectProcessMetrics,
  counter,
  declareMetrics,
  gauge,
  histogram,
  type MetricDeclaration,
  metricSet,
} from "./metrics.js";

const BUCKETS = [0.1, 1, 10];

describe("declareMetrics", () => {
  const cases: { spec: MetricDeclaration; type: string; labelNames: string[]; buckets?: number[] }[] = [
    { spec: counter("t_plain_total", "A counter."), type: "counter", labelNames: [] },
    { spec: counter("t_labelled_total", "A counter.", ["a", "b"]), type: "counter", labelNames: ["a", "b"] },
    { spec: gauge("t_gauge", "A gauge.", ["a"]), type: "gauge", labelNames: ["a"] },
    { spec: histogram("t_seconds", "A histogram.", BUCKETS), type: "histogram", labelNames: [], buckets: BUCKETS },
    {
      spec: histogram("t_bytes", "A histogram.", BUCKETS, ["a"]),
      type: "histogram",
      labelNames: ["a"],
      buckets: BUCKETS,
    },
  ];
  for (const { spec, type, labelNames, buckets } of cases) {
    it(`declares ${spec.name} as a ${type} with its help, labels and buckets`, async () => {
      const registry = new Registry();
      const { metric } = declareMetrics(registry, { metric: spec });
      const [declared] = await registry.getMetricsAsJSON();
      expect(declared).toMatchObject({ name: spec.name, help: spec.help, type });
      expect(metric).toMatchObject({ labelNames, ...(buckets && { upperBounds: buckets }) });
    });
  }

  it("registers in catalogue order and keeps the caller's arrays as they were", async () => {
    const registry = new Registry();
    const labels = ["a"];
    declareMetrics(registry, {
      second: gauge("t_second", "Declared first.", labels),
      first: histogram("t_first", "Declared second.", BUCKETS, labels),
    });
    expect((await registry.getMetricsAsJSON()).map((m) => m.name)).toEqual(["t_second", "t_first"]);
    expect(Object.isFrozen(BUCKETS)).toBe(false);
  });

  it("runs a counter's or gauge's collect hook at scrape time, with the metric", async () => {
    const registry = new Registry();
    let live = 1;
    declareMetrics(registry, {
      total: counter("t_live_total", "Live total.", ["m"], (c) => {
        c.reset();
        c.inc({ m: "x" }, live * 10);
      }),
      value: gauge("t_live", "Live value.", [], (g) => g.set(live)),
    });
    live = 3;
    const text = await registry.metrics();
    expect(text).toContain('t_live_total{m="x"} 30');
    expect(text).toContain("t_live 3");
  });
});

describe("metricSet", () => {
  const TestMetrics = metricSet({ requests: counter("t_requests_total", "Requests.", ["code"]) });

  it("gives every instance its own registry with the catalogue's metrics", async () => {
    const one = new TestMetrics();
    const two = new TestMetrics();
    one.requests.inc({ code: "200" });
    expect(one.registry).not.toBe(two.registry);
    expect(await one.registry.metrics()).toContain('t_requests_total{code="200"} 1');
    expect(await two.registry.metrics()).not.toContain('code="200"');
  });
});

describe("collectProcessMetrics", () => {
  const cases = [
    { options: {}, want: true },
    { options: { defaultMetrics: true }, want: true },
    { options: { defaultMetrics: false }, want: false },
  ];
  for (const { options, want } of cases) {
    it(`adds process metrics: ${want} for ${JSON.stringify(options)}`, async () => {
      const registry = new Registry();
      collectProcessMetrics(registry, options);
      const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
      expect(names.includes("process_cpu_seconds_total")).toBe(want);
    });
  }
});
