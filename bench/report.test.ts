import { describe, expect, it } from "vitest";
import { type MedianResult, ratios } from "./report.js";
import type { ServerKind } from "./servers/kinds.js";

function row(server: ServerKind, cpu: number, exchangesPerSec = 100): MedianResult {
  return {
    server,
    size: 1024,
    concurrency: 64,
    modelPosition: "last",
    exchangesPerSec,
    p50Ms: 1,
    p99Ms: 2,
    serverCpuUsPerExchange: cpu,
    rssPeakMiB: 100,
    eldP99Ms: 10,
    errors: 0,
    wrong: 0,
  };
}

describe("ratios", () => {
  it("divides each server by its own transport's no-op, and the connect no-op by the grpc-js one", () => {
    const rs = ratios([row("bbr", 200), row("noop-grpc", 100), row("bbr-connect", 900), row("noop-connect", 600, 50)]);
    expect(rs.map((r) => [r.server, r.floor, r.cpuPerExchange, r.throughput])).toEqual([
      ["bbr", "noop-grpc", 2, 1],
      ["bbr-connect", "noop-connect", 1.5, 2],
      ["noop-connect", "noop-grpc", 6, 0.5],
    ]);
  });

  it.each([
    { name: "bbr-connect without its no-op", servers: ["bbr-connect", "noop-grpc"] as ServerKind[], want: [] },
    { name: "bbr alone", servers: ["bbr"] as ServerKind[], want: [] },
  ])("leaves out a server whose floor did not run: $name", ({ servers, want }) => {
    expect(ratios(servers.map((s) => row(s, 100))).map((r) => r.server)).toEqual(want);
  });
});
