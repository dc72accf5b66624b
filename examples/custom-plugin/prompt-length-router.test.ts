import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/common/logger.js";
import { BbrMetrics } from "../../src/bbr/metrics.js";
import { newInTreeRegistry } from "../../src/bbr/plugins/in-tree.js";
import { BbrServer } from "../../src/bbr/server/bbr-server.js";
import { defaultOptions } from "../../src/bbr/server/options.js";
import { testRequest } from "../../src/bbr/api/testing.js";
import { ExtProcTestClient } from "../../test/support/ext-proc-client.js";
import { requestBody, requestHeaders, summarize } from "../../test/support/messages.js";
import { promptChars } from "./prompt-length-router.js";

// The example module, loaded the way an operator loads it: named in config.yaml's `modules`.
const CONFIG = join(import.meta.dirname, "config.yaml");

describe("examples/custom-plugin through a real server", () => {
  let server: BbrServer;
  let client: ExtProcTestClient;
  beforeAll(async () => {
    const started = await BbrServer.start(
      defaultOptions({
        grpcPort: 0,
        grpcHealthPort: 0,
        metricsPort: 0,
        bindAddress: "127.0.0.1",
        configPath: CONFIG,
        logLevel: "silent",
      }),
      { registry: newInTreeRegistry(), logger: silentLogger(), metrics: new BbrMetrics({ defaultMetrics: false }) },
    );
    if (!started.ok) throw new Error(JSON.stringify(started.error));
    server = started.value;
    client = new ExtProcTestClient(server.ports.grpc);
  });
  afterAll(async () => {
    client.close();
    await server.stop(500);
  });

  it.each([
    { name: "short prompt", content: "hi", want: "llama-3-8b" },
    { name: "medium prompt", content: "x".repeat(5000), want: "llama-3-70b" },
    { name: "long prompt", content: "x".repeat(40_000), want: "llama-3-70b-long" },
  ])("$name → $want", async ({ content, want }) => {
    const body = JSON.stringify({ model: "auto", messages: [{ role: "user", content }] });
    const stream = client.open();
    stream.send(requestHeaders({ ":path": "/v1/chat/completions", "content-type": "application/json" }));
    stream.send(requestBody(body, true));
    const [headers, bodyPiece] = (await stream.waitFor(2)).map(summarize);
    const newBody = body.replace('"model":"auto"', `"model":"${want}"`);
    expect(bodyPiece).toEqual({
      kind: "requestBody",
      common: { clearRouteCache: false, mutation: null, streamed: { body: newBody, eos: true } },
    });
    expect(headers).toEqual({
      kind: "requestHeaders",
      common: {
        clearRouteCache: true,
        mutation: {
          set: [
            ["X-Gateway-Model-Name", want],
            ["Content-Length", String(Buffer.byteLength(newBody))],
          ],
          remove: [],
        },
      },
    });
    stream.cancel();
  });

  it("leaves a concrete model alone", async () => {
    const stream = client.open();
    stream.send(requestHeaders({ ":path": "/v1/chat/completions" }));
    stream.send(requestBody('{"model":"mistral","messages":[]}', true));
    const [headers] = (await stream.waitFor(1)).map(summarize);
    expect(headers).toEqual({
      kind: "requestHeaders",
      common: { clearRouteCache: true, mutation: { set: [["Content-Length", "33"]], remove: [] } },
    });
    stream.cancel();
  });
});

describe("promptChars", () => {
  it.each([
    {
      body: {
        messages: [
          { role: "user", content: "abc" },
          { role: "assistant", content: [{ type: "text", text: "de" }] },
        ],
      },
      want: 5,
    },
    { body: { prompt: ["ab", "c"] }, want: 3 },
    { body: { input: "abcd" }, want: 4 },
    { body: { model: "m" }, want: 0 },
  ])("$want chars", ({ body, want }) => {
    expect(promptChars(testRequest({ body }))).toBe(want);
  });
});
