import { describe, expect, it } from "vitest";
import { parseDuration } from "../../src/common/duration.js";
import { parseFlags } from "../../src/common/flags.js";
import { EPP_FLAGS, optionsFromFlags } from "../../src/epp/server/options.js";

function options(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const parsed = parseFlags(argv, EPP_FLAGS);
  if (!parsed.ok) return { error: [parsed.error] };
  const o = optionsFromFlags(parsed.value.flags, env);
  return o.ok ? o.value : { error: o.error };
}

describe("epp flags", () => {
  it("defaults to the reference ports, 50 ms scrapes with a 1 s deadline, static discovery", () => {
    expect(options([])).toMatchObject({
      grpcPort: 9002,
      grpcHealthPort: 9003,
      metricsPort: 9090,
      streaming: true,
      refreshMetricsIntervalMs: 50,
      metricsScrapeTimeoutMs: 1000,
      metricsStalenessMs: 2000,
      subsetFilter: true,
      endpointsFile: undefined,
      pool: undefined,
      drainTimeoutMs: 25_000,
      transport: "grpc",
    });
  });

  it.each([
    {
      name: "Kubernetes discovery with the namespace from $NAMESPACE",
      argv: ["--pool-name", "llama"],
      env: { NAMESPACE: "serving" },
      want: {
        pool: {
          poolName: "llama",
          poolNamespace: "serving",
          poolGroup: "inference.networking.k8s.io",
          kubeconfig: undefined,
        },
      },
    },
    {
      name: "explicit pool flags",
      argv: [
        "--pool-name=llama",
        "--pool-namespace",
        "ns",
        "--pool-group",
        "inference.networking.x-k8s.io",
        "--kubeconfig",
        "/k",
      ],
      env: {},
      want: {
        pool: { poolName: "llama", poolNamespace: "ns", poolGroup: "inference.networking.x-k8s.io", kubeconfig: "/k" },
      },
    },
    {
      name: "durations",
      argv: ["--refresh-metrics-interval", "100ms", "--metrics-scrape-timeout", "1.5s"],
      env: {},
      want: { refreshMetricsIntervalMs: 100, metricsScrapeTimeoutMs: 1500 },
    },
    { name: "subset filter off", argv: ["--disable-endpoint-subset-filter"], env: {}, want: { subsetFilter: false } },
    { name: "buffered default", argv: ["--streaming=false"], env: {}, want: { streaming: false } },
    { name: "connect-node transport", argv: ["--transport", "connect"], env: {}, want: { transport: "connect" } },
  ])("$name", ({ argv, env, want }) => {
    expect(options(argv, env)).toMatchObject(want);
  });

  it.each([
    {
      argv: ["--config-file", "a", "--config-text", "b"],
      error: "--config-text: give --config-file or --config-text, not both",
    },
    {
      argv: ["--endpoints-file", "a", "--pool-name", "p"],
      error: "--endpoints-file: give --endpoints-file or --pool-name, not both",
    },
    { argv: ["--kubeconfig", "/k"], error: "--kubeconfig: needs --pool-name" },
    { argv: ["--grpc-port", "9003"], error: "--grpc-health-port: collides with --grpc-port (9003)" },
    { argv: ["--refresh-metrics-interval", "0"], error: "--refresh-metrics-interval: must be greater than 0" },
    { argv: ["--metrics-scrape-timeout", "fast"], error: "--metrics-scrape-timeout: invalid duration" },
    { argv: ["--grpc-port", "70000"], error: "--grpc-port:" },
    { argv: ["--no-such-flag"], error: "unknown flag --no-such-flag" },
    { argv: ["--transport", "http3"], error: '--transport: "http3" is not a transport (choose grpc or connect)' },
  ])("rejects $argv", ({ argv, error }) => {
    const got = options(argv) as { error: string[] };
    expect(got.error.join("\n")).toContain(error);
  });
});

describe("parseDuration", () => {
  it.each([
    ["50ms", 50],
    ["1s", 1000],
    ["1.5s", 1500],
    ["1m30s", 90_000],
    ["200us", 0.2],
    ["0", 0],
  ])("%s → %d ms", (text, ms) => expect(parseDuration(text)).toEqual({ ok: true, value: ms }));

  it.each(["", "5", "ms", "1x", "1s2"])("rejects %j", (text) => expect(parseDuration(text).ok).toBe(false));
});
