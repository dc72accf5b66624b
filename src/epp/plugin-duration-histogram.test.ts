import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { SCHEDULING_PLUGIN_DURATION_BUCKETS } from "./metrics.js";
import { FastPluginDurationHistogram, type PluginDurationLabels } from "./plugin-duration-histogram.js";

const NAME = "inference_extension_plugin_duration_seconds";
const HELP = "Time spent in each plugin call.";

const SCORER: PluginDurationLabels = { extension_point: "Scorer", plugin_type: "queue-scorer", plugin_name: "q" };
const PICKER: PluginDurationLabels = {
  extension_point: "Picker",
  plugin_type: "max-score-picker",
  plugin_name: 'a "quoted"\\name',
};

/** both builds the fast histogram and a prom-client Histogram with the same name and buckets, each on its own registry. */
function both() {
  const fastRegistry = new Registry();
  const fast = new FastPluginDurationHistogram(NAME, HELP, SCHEDULING_PLUGIN_DURATION_BUCKETS, fastRegistry);
  const promRegistry = new Registry();
  const prom = new Histogram({
    name: NAME,
    help: HELP,
    labelNames: ["extension_point", "plugin_type", "plugin_name"],
    buckets: [...SCHEDULING_PLUGIN_DURATION_BUCKETS],
    registers: [promRegistry],
  });
  return { fast, fastRegistry, prom, promRegistry };
}

describe("FastPluginDurationHistogram", () => {
  it.each([
    { name: "no observation", observations: [] },
    { name: "one series", observations: [[SCORER, 0.00003]] },
    {
      name: "values on a bound, between bounds, past the last bound and zero",
      observations: [
        [SCORER, 0.00001],
        [SCORER, 0.000011],
        [SCORER, 0.5],
        [SCORER, 0],
        [SCORER, 0.1],
      ],
    },
    {
      name: "two series in the order of their first observation, a label value to escape",
      observations: [
        [PICKER, 0.002],
        [SCORER, 0.0004],
        [PICKER, 0.00007],
      ],
    },
  ] as { name: string; observations: [PluginDurationLabels, number][] }[])(
    "exports what prom-client exports: $name",
    async ({ observations }) => {
      const { fast, fastRegistry, prom, promRegistry } = both();
      // Bound before observing, as histogramDurations does; one series is bound and never observed.
      fast.labels({ extension_point: "Filter", plugin_type: "model-filter", plugin_name: "f" });
      prom.labels({ extension_point: "Filter", plugin_type: "model-filter", plugin_name: "f" });
      for (const [labels, seconds] of observations) {
        fast.labels(labels).observe(seconds);
        prom.labels(labels).observe(seconds);
      }
      expect(await fastRegistry.metrics()).toBe(await promRegistry.metrics());
      expect(await fast.get()).toEqual(await prom.get());
      expect(await fastRegistry.getMetricsAsJSON()).toEqual(await promRegistry.getMetricsAsJSON());
    },
  );

  it("returns one series per labels, and reset zeroes it without unbinding observers", async () => {
    const { fast, fastRegistry, prom, promRegistry } = both();
    const observer = fast.labels(SCORER);
    expect(fast.labels({ ...SCORER })).toBe(observer);
    observer.observe(0.001);
    prom.labels(SCORER).observe(0.001);
    fastRegistry.resetMetrics();
    promRegistry.resetMetrics();
    expect(await fastRegistry.metrics()).toBe(await promRegistry.metrics());
    observer.observe(0.0002);
    prom.labels(SCORER).observe(0.0002);
    expect(await fastRegistry.metrics()).toBe(await promRegistry.metrics());
  });
});
