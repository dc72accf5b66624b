import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChildService } from "../../src/dev/demo/processes.js";
import { type StartedPool, startDevgw, startSimPool } from "../../src/dev/demo/stack.js";
import { chatBody, JSON_HEADERS, send } from "./http-client.js";
import { type StubProcessor, startPickerProcessor, startStallingProcessor } from "./stub-processors.js";

// What the data plane does when a processor is down, stalls, or picks the endpoint. One devgw
// with a listener per case, in front of one simulator pool.

let dir: string;
const services: ChildService[] = [];
const stubs: StubProcessor[] = [];
let pool: StartedPool;
let listeners: Readonly<Record<string, number>>;

/** closedPort is a loopback port nothing listens on: a processor that is down. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "devgw-failure-"));
  const [p, down, stall, picker] = await Promise.all([
    startSimPool({ name: "pool", model: "llama-3-8b", loraModules: [], replicas: 2 }, { timeScale: 0.1 }),
    closedPort(),
    startStallingProcessor(),
    startPickerProcessor(),
  ]);
  pool = p;
  services.push(p.service);
  stubs.push(stall, picker);
  const processor = (name: string, port: number, allow: boolean, extra = "") =>
    `  - name: ${name}\n    target: 127.0.0.1:${port}\n    failureModeAllow: ${allow}\n    messageTimeout: 300ms\n${extra}`;
  const headersOnly =
    "    processingMode: {requestBodyMode: NONE, responseHeaderMode: SKIP, responseBodyMode: NONE, responseTrailerMode: SKIP}\n";
  const listener = (name: string, processors: string) =>
    `  - name: ${name}\n    port: 0\n    processors: [${processors}]\n`;
  const config =
    "listeners:\n" +
    listener("down-open", "down-open") +
    listener("down-closed", "down-closed") +
    listener("stall-open", "stall-open") +
    listener("stall-closed", "stall-closed") +
    listener("picker", "picker") +
    listener("plain", "") +
    "processors:\n" +
    processor("down-open", down, true) +
    processor("down-closed", down, false) +
    processor("stall-open", stall.port, true) +
    processor("stall-closed", stall.port, false) +
    processor("picker", picker.port, false, headersOnly) +
    "routes:\n" +
    "  - name: dead\n    matches: [{headers: [{name: x-test-route, value: dead}]}]\n    backendRef: dead\n" +
    "  - name: all\n    backendRef: pool\n" +
    `pools:\n  - name: pool\n    endpoints: [${p.endpoints.join(", ")}]\n  - name: dead\n    endpoints: [127.0.0.1:${down}]\n`;
  writeFileSync(join(dir, "devgw.yaml"), config);
  const gw = await startDevgw({ configPath: join(dir, "devgw.yaml") });
  services.push(gw.service);
  listeners = gw.listeners;
});

afterAll(async () => {
  for (const s of services.reverse()) await s.stop();
  for (const s of stubs) await s.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const post = (listener: string, body: string, headers: Record<string, string> = {}) =>
  send(listeners[listener]!, "/v1/chat/completions", body, { ...JSON_HEADERS, ...headers });

describe("processor down (BBR not running)", () => {
  it("failure_mode_allow: true forwards the request unchanged", async () => {
    const body = chatBody("llama-3-8b");
    const r = await post("down-open", body);
    expect(r.status).toBe(200);
    expect(r.headers["x-devgw-route"]).toBe("all");
    expect(r.headers["x-sim-request-sha256"]).toBe(createHash("sha256").update(body).digest("hex"));
  });

  it("failure_mode_allow: false answers 500 and sends nothing upstream", async () => {
    const r = await post("down-closed", chatBody("llama-3-8b"));
    expect(r.status).toBe(500);
    expect(r.headers["x-inference-pod"]).toBeUndefined();
    const error = JSON.parse(r.body).error;
    expect(error).toMatchObject({ type: "server_error", code: "ext_proc_error" });
    expect(error.message).toMatch(/^processor "down-closed" failed: gRPC status 14: /);
  });
});

describe("processor stalls past messageTimeout", () => {
  it("failure_mode_allow: false answers 504", async () => {
    const r = await post("stall-closed", chatBody("llama-3-8b"));
    expect(r.status).toBe(504);
    expect(r.body).toBe(
      '{"error":{"message":"processor \\"stall-closed\\" failed: no answer within 300 ms","type":"server_error","code":"ext_proc_timeout"}}',
    );
  });

  it("failure_mode_allow: true replays the held headers and body unchanged", async () => {
    const body = JSON.stringify({
      model: "llama-3-8b",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 2,
      metadata: { pad: "x".repeat(300_000) },
    });
    const r = await post("stall-open", body);
    expect(r.status).toBe(200);
    expect(r.headers["x-sim-request-bytes"]).toBe(String(body.length));
    expect(r.headers["x-sim-request-sha256"]).toBe(createHash("sha256").update(body).digest("hex"));
  });
});

describe("endpoint picking", () => {
  it("follows x-gateway-destination-endpoint set by a processor", async () => {
    const chosen = pool.endpoints[1]!;
    for (let i = 0; i < 3; i++) {
      const r = await post("picker", chatBody("llama-3-8b"), { "x-test-pick": chosen });
      expect(r.status).toBe(200);
      expect(r.headers["x-devgw-endpoint"]).toBe(chosen);
    }
  });

  it("refuses a picked endpoint outside the pool with 503", async () => {
    const r = await post("picker", chatBody("llama-3-8b"), { "x-test-pick": "10.1.2.3:8000" });
    expect(r.status).toBe(503);
    expect(r.body).toBe(
      '{"error":{"message":"destination endpoint \\"10.1.2.3:8000\\" is not in pool \\"pool\\"","type":"server_error","code":"destination_not_in_pool"}}',
    );
  });

  it("ignores a client-sent x-gateway-destination-endpoint: round-robin goes on", async () => {
    const seen = new Set<unknown>();
    for (let i = 0; i < 2; i++) {
      const r = await post("plain", chatBody("llama-3-8b"), { "x-gateway-destination-endpoint": pool.endpoints[0]! });
      expect(r.status).toBe(200);
      seen.add(r.headers["x-devgw-endpoint"]);
    }
    expect([...seen].sort()).toEqual([...pool.endpoints].sort());
  });
});

describe("upstream problems", () => {
  it("answers 503 when the chosen endpoint refuses the connection", async () => {
    const r = await post("plain", chatBody("llama-3-8b"), { "x-test-route": "dead" });
    expect(r.status).toBe(503);
    const error = JSON.parse(r.body).error;
    expect(error).toMatchObject({ type: "server_error", code: "upstream_unavailable" });
    expect(error.message).toMatch(/^upstream 127\.0\.0\.1:\d+ failed: connect ECONNREFUSED/);
  });

  it("refuses to send a body that disagrees with a processor-set Content-Length", async () => {
    const body = chatBody("llama-3-8b");
    const r = await post("picker", body, { "x-test-content-length": String(body.length - 5) });
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body).error).toMatchObject({ type: "server_error", code: "upstream_write_failed" });
  });
});
