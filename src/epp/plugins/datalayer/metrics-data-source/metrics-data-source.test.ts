import { describe, expect, it } from "vitest";
import { endpoint } from "../../../../../test/epp/support/scheduling.js";
import { MetricsDataSourcePlugin, metricsDataSourceType } from "./metrics-data-source.js";

function source(params: unknown): MetricsDataSourcePlugin {
  return new MetricsDataSourcePlugin("s", metricsDataSourceType.parameters.parse(params));
}

describe("metrics-data-source", () => {
  it.each([
    { name: "the defaults", params: undefined, at: endpoint(1), want: "http://10.0.0.1:8000/metrics" },
    {
      name: "https on another path",
      params: { scheme: "https", path: "/stats" },
      at: endpoint(1),
      want: "https://10.0.0.1:8000/stats",
    },
    {
      name: "the metrics port",
      params: {},
      at: endpoint(1, null, { metricsPort: 9400 }),
      want: "http://10.0.0.1:9400/metrics",
    },
    {
      name: "an IPv6 endpoint",
      params: {},
      at: endpoint("[fd00::7]:8001", null, { address: "fd00::7", port: 8001, metricsPort: 8001 }),
      want: "http://[fd00::7]:8001/metrics",
    },
  ])("scrapes $name", ({ params, at, want }) => {
    expect(source(params).metricsUrl(at.metadata)).toBe(want);
  });

  it("skips TLS verification by default, as the reference does", () => {
    expect(source(undefined).insecureSkipVerify).toBe(true);
    expect(source({ insecureSkipVerify: false }).insecureSkipVerify).toBe(false);
  });

  it.each([{ scheme: "ftp" }, { path: "metrics" }, { port: 9090 }])("refuses %j", (params) => {
    expect(metricsDataSourceType.parameters.safeParse(params).success).toBe(false);
  });
});
