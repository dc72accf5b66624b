import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../common/logger.js";
import { EndpointStore } from "./datastore.js";
import { DEFAULT_ENDPOINTS_YAML, parseEndpointsFile } from "./endpoints-file.js";
import { StaticDiscovery } from "./static-discovery.js";
import { waitUntil, writeTemp } from "../../../test/epp/support/epp-harness.js";

describe("static endpoints file", () => {
  it("reads the full shape, IPv6 included", () => {
    const got = parseEndpointsFile(
      readFileSync(new URL("../../../test/fixtures/epp/endpoints/full.yaml", import.meta.url), "utf8"),
    );
    expect(got).toEqual({
      ok: true,
      value: [
        {
          key: "10.0.0.5:8000",
          name: "llama-0",
          namespace: "default",
          podName: "llama-0",
          address: "10.0.0.5",
          port: 8000,
          metricsPort: 8000,
          labels: { "inference.networking.k8s.io/engine-type": "vllm" },
          models: ["meta-llama/Llama-3.1-8B-Instruct"],
          loraAdapters: ["sql-lora"],
          maxLoras: 4,
        },
        {
          key: "[fd00::7]:8001",
          name: "llama-1",
          namespace: "serving",
          podName: "llama-1",
          address: "fd00::7",
          port: 8001,
          metricsPort: 9400,
          labels: {},
          models: [],
          loraAdapters: [],
          maxLoras: undefined,
        },
      ],
    });
  });

  it("embeds a default of one server at 127.0.0.1:8000", () => {
    const got = parseEndpointsFile(DEFAULT_ENDPOINTS_YAML);
    expect(got.ok && got.value.map((e) => e.key)).toEqual(["127.0.0.1:8000"]);
  });

  it.each([
    {
      name: "a hostname (ORIGINAL_DST needs an IP)",
      yaml: "endpoints: [{address: model.local, port: 8000}]",
      path: "endpoints[0].address",
    },
    { name: "port 0", yaml: "endpoints: [{address: 10.0.0.1, port: 0}]", path: "endpoints[0].port" },
    { name: "a non-numeric port", yaml: "endpoints: [{address: 10.0.0.1, port: http}]", path: "endpoints[0].port" },
    { name: "an unknown field", yaml: "endpoints: [{address: 10.0.0.1, port: 1, weight: 2}]", path: "endpoints[0]" },
    {
      name: "a duplicate ip:port",
      yaml: "endpoints: [{address: 10.0.0.1, port: 1}, {address: 10.0.0.1, port: 1}]",
      path: "endpoints[1]",
    },
    {
      name: "a non-string label",
      yaml: "endpoints: [{address: 10.0.0.1, port: 1, labels: {a: 1}}]",
      path: "endpoints[0].labels.a",
    },
    { name: "invalid YAML", yaml: "endpoints: [", path: "" },
  ])("rejects $name at `$path`", ({ yaml, path }) => {
    const got = parseEndpointsFile(yaml);
    expect(got.ok).toBe(false);
    if (!got.ok) expect(got.error.map((i) => i.path)).toContain(path);
  });

  it("treats an empty document as an empty pool", () => {
    expect(parseEndpointsFile("")).toEqual({ ok: true, value: [] });
  });
});

describe("StaticDiscovery", () => {
  const running: StaticDiscovery[] = [];
  afterEach(() => {
    for (const d of running.splice(0)) d.stop();
  });

  it("applies edits, keeps metrics of kept endpoints, and rejects a bad edit without losing the pool", async () => {
    const path = writeTemp(
      "endpoints: [{address: 10.0.0.1, port: 8000}, {address: 10.0.0.2, port: 8000}]\n",
      "endpoints.yaml",
    );
    const store = new EndpointStore(2000);
    const results: string[] = [];
    const started = await StaticDiscovery.start(path, store, silentLogger(), (r) => results.push(r));
    if (!started.ok) throw new Error(JSON.stringify(started.error));
    running.push(started.value);
    expect(store.synced).toBe(true);
    const kept = store.get("10.0.0.2:8000")!;

    writeFileSync(path, "endpoints: [{address: 10.0.0.2, port: 8000}, {address: 10.0.0.3, port: 8000}]\n");
    await waitUntil(() => results.length >= 1, 5000, "reload");
    expect(store.list().map((e) => e.metadata.key)).toEqual(["10.0.0.2:8000", "10.0.0.3:8000"]);
    expect(store.get("10.0.0.2:8000")).toBe(kept);

    writeFileSync(path, "endpoints: [{address: nope, port: 8000}]\n");
    await waitUntil(() => results.includes("rejected"), 5000, "rejection");
    expect(store.list().map((e) => e.metadata.key)).toEqual(["10.0.0.2:8000", "10.0.0.3:8000"]);
  });

  it("follows an atomic replace (rename over the file), as editors and ConfigMaps do", async () => {
    const path = writeTemp("endpoints: []\n", "endpoints.yaml");
    const store = new EndpointStore(2000);
    const started = await StaticDiscovery.start(path, store, silentLogger());
    if (!started.ok) throw new Error("start failed");
    running.push(started.value);
    const tmp = join(dirname(path), "next.yaml");
    writeFileSync(tmp, "endpoints: [{address: 10.0.0.9, port: 8000}]\n");
    renameSync(tmp, path);
    await waitUntil(() => store.list().length === 1, 5000, "rename pickup");
    expect(store.list()[0]!.metadata.key).toBe("10.0.0.9:8000");
  });

  it("fails to start on an unreadable or invalid file, with the source named", async () => {
    const missing = await StaticDiscovery.start("/nonexistent/endpoints.yaml", new EndpointStore(1), silentLogger());
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.error.source).toBe("/nonexistent/endpoints.yaml");
    const invalid = await StaticDiscovery.start(
      writeTemp("endpoints: 3\n", "e.yaml"),
      new EndpointStore(1),
      silentLogger(),
    );
    expect(!invalid.ok && invalid.error.issues[0]!.path).toBe("endpoints");
  });
});
