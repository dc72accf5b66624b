import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/common/logger.js";
import { adminRoute, isLoopback } from "../../src/bbr/admin/admin-route.js";
import { type RunningBbr, startBbr } from "../support/bbr-test-server.js";

// The admin API (Connect protocol on the metrics port) with real HTTP requests, as curl sends them.
const CONFIG = `
featureGates: [CelRules]
plugins:
  - {type: api-detector, name: api}
  - {type: model-alias, name: alias, parameters: {aliases: {gpt-4o: llama-3-70b}}}
  - type: cel-rules
    name: rules
    parameters: {rules: ['body.max_tokens > 8192 => "llama-3-70b-long"']}
  - {type: model-allow-list, name: tenants, parameters: {tenantHeader: x-tenant-id, tenants: {team-a: ["llama-3-*"]}}}
  - type: test-set-body-field
    name: secrets
    parameters: {field: x, value: {apiKey: sk-should-not-show, password: hunter2, note: Bearer abc.def, max_tokens: 5}}
request: [api, alias, rules, tenants]
`;

async function post(
  port: number,
  method: string,
  body: unknown,
): Promise<{ status: number; contentType: string | null; json: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}/bbr.admin.v1.AdminService/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    contentType: res.headers.get("content-type"),
    json: (await res.json()) as Record<string, unknown>,
  };
}

describe("admin API over HTTP", () => {
  let bbr: RunningBbr;
  let port: number;
  beforeAll(async () => {
    bbr = await startBbr(CONFIG);
    port = bbr.server.ports.metrics;
  });
  afterAll(() => bbr.stop());

  it("ListPlugins lists types, removed types and instances", async () => {
    const { status, contentType, json } = await post(port, "ListPlugins", {});
    expect(status).toBe(200);
    expect(contentType).toBe("application/json");
    const types = json["types"] as {
      type: string;
      stability: string;
      featureGate?: string;
      extensionPoints: string[];
      parametersSchema: Record<string, unknown>;
    }[];
    expect(types.find((t) => t.type === "cel-rules")).toMatchObject({
      stability: "alpha",
      featureGate: "CelRules",
      extensionPoints: ["ModelSelector"],
      parametersSchema: { type: "object", required: ["rules"] },
    });
    expect(json["removed"]).toEqual([
      expect.objectContaining({ type: "simple-model-selector", replacements: ["body-field-to-header", "model-alias"] }),
      expect.objectContaining({ type: "max-score-picker", replacements: ["max-score-model-picker"] }),
    ]);
    expect(json["instances"]).toEqual([
      { name: "api", type: "api-detector", usedBy: ["request"] },
      { name: "alias", type: "model-alias", usedBy: ["request"] },
      { name: "rules", type: "cel-rules", usedBy: ["request"] },
      { name: "tenants", type: "model-allow-list", usedBy: ["request"] },
      { name: "secrets", type: "test-set-body-field" },
    ]);
  });

  it("answers GET for side-effect-free methods (Connect GET)", async () => {
    const res = await fetch(
      `http://127.0.0.1:${port}/bbr.admin.v1.AdminService/GetConfig?connect=v1&encoding=json&message=%7B%7D`,
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { generation: string }).generation).toBe("1");
  });

  it("GetConfig returns the effective config with secrets redacted", async () => {
    const { status, json } = await post(port, "GetConfig", {});
    expect(status).toBe(200);
    expect(json["source"]).toBe(bbr.server.options.configPath);
    expect(json["generation"]).toBe("1");
    expect(Number.isNaN(Date.parse(json["loadedAt"] as string))).toBe(false);
    const config = json["config"] as { minimumStability: string; plugins: { parameters?: { value?: unknown } }[] };
    expect(config.minimumStability).toBe("alpha");
    expect(config.plugins[4]!.parameters!.value).toEqual({
      apiKey: "[REDACTED]",
      password: "[REDACTED]",
      note: "[REDACTED]",
      max_tokens: 5,
    });
    expect(JSON.stringify(json)).not.toContain("hunter2");
  });

  it.each([
    {
      name: "forwarded with changes",
      request: {
        headers: { ":path": "/v1/chat/completions", "x-tenant-id": "team-a" },
        bodyJson: { model: "gpt-4o", messages: [] },
      },
      want: {
        headersSet: [
          { name: "X-Gateway-Api-Kind", value: "openai-chat-completions" },
          { name: "X-Gateway-Model-Name", value: "llama-3-70b" },
        ],
        bodyChanged: true,
        body: '{"model":"llama-3-70b","messages":[]}',
        model: "llama-3-70b",
        configGeneration: "1",
      },
      steps: ["api:MetadataExtractor", "alias:ModelSelector", "rules:ModelSelector", "tenants:ModelSelector"],
    },
    {
      name: "refused by the allow-list",
      request: {
        headers: { ":path": "/v1/chat/completions", "x-tenant-id": "team-b" },
        bodyText: '{"model":"gpt-4o"}',
      },
      want: {
        error: {
          httpStatus: 403,
          code: "Forbidden",
          reason: "model_not_allowed",
          message: 'model "llama-3-70b" is not allowed for this tenant',
          body: '{"error":{"message":"model \\"llama-3-70b\\" is not allowed for this tenant","type":"permission_error","code":"model_not_allowed"}}',
        },
        configGeneration: "1",
      },
      steps: ["api:MetadataExtractor", "alias:ModelSelector", "rules:ModelSelector", "tenants:ModelSelector"],
    },
    {
      name: "invalid JSON",
      request: { headers: {}, bodyText: '{"model":' },
      want: {
        error: {
          httpStatus: 400,
          code: "BadRequest",
          reason: "invalid_json",
          message: expect.stringMatching(/^failed to parse request body/),
          body: expect.stringContaining('"code":"invalid_json"'),
        },
        configGeneration: "1",
      },
      steps: [],
    },
    {
      name: "raw bytes, and a client-sent owned header no plugin sets is removed",
      request: {
        headers: { ":path": "/v1/embeddings", "X-Gateway-Base-Model-Name": "spoofed", "x-tenant-id": "team-a" },
        bodyBytes: Buffer.from('{"model":"llama-3-8b","input":"hi"}').toString("base64"),
      },
      want: {
        headersSet: [
          { name: "X-Gateway-Api-Kind", value: "openai-embeddings" },
          { name: "X-Gateway-Model-Name", value: "llama-3-8b" },
        ],
        headersRemoved: ["X-Gateway-Base-Model-Name"],
        model: "llama-3-8b",
        configGeneration: "1",
      },
      steps: ["api:MetadataExtractor", "alias:ModelSelector", "rules:ModelSelector", "tenants:ModelSelector"],
    },
    {
      name: "a gzip body is decoded as the stream processor decodes it",
      request: {
        headers: { "content-encoding": "gzip", "x-tenant-id": "team-a" },
        bodyBytes: gzipSync('{"model":"gpt-4o","messages":[]}').toString("base64"),
      },
      want: {
        headersSet: [
          { name: "X-Gateway-Api-Kind", value: "openai-chat-completions" },
          { name: "X-Gateway-Model-Name", value: "llama-3-70b" },
        ],
        bodyChanged: true,
        body: '{"model":"llama-3-70b","messages":[]}',
        model: "llama-3-70b",
        configGeneration: "1",
      },
      steps: ["api:MetadataExtractor", "alias:ModelSelector", "rules:ModelSelector", "tenants:ModelSelector"],
    },
  ])("Evaluate: $name", async ({ request, want, steps }) => {
    const { status, json } = await post(port, "Evaluate", request);
    expect(status).toBe(200);
    const { timings, ...rest } = json as {
      timings?: { pluginName: string; pluginType: string; extensionPoint: string; durationMs?: number }[];
    };
    expect(rest).toEqual(want);
    expect((timings ?? []).map((t) => `${t.pluginName}:${t.extensionPoint}`)).toEqual(steps);
    for (const t of timings ?? []) expect(t.durationMs ?? 0).toBeGreaterThanOrEqual(0);
  });

  it("reports Connect errors for unknown methods and malformed requests", async () => {
    const unknown = await fetch(`http://127.0.0.1:${port}/bbr.admin.v1.AdminService/Nope`, {
      method: "POST",
      body: "{}",
    });
    expect(unknown.status).toBe(404);
    const malformed = await post(port, "Evaluate", { headers: "not-a-map" });
    expect(malformed.status).toBe(400);
    expect(malformed.json["code"]).toBe("invalid_argument");
  });

  it("leaves the other ops routes alone", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("bbr_config_reloads_total");
  });

  it("evaluates on the config that serves after a reload", async () => {
    writeFileSync(bbr.server.options.configPath!, CONFIG.replace("gpt-4o: llama-3-70b", "gpt-4o: llama-3-8b"));
    expect(await bbr.server.reloadConfig()).toEqual({ result: "success", generation: 2 });
    const { json } = await post(port, "Evaluate", {
      headers: { "x-tenant-id": "team-a" },
      bodyJson: { model: "gpt-4o" },
    });
    expect(json).toMatchObject({ model: "llama-3-8b", configGeneration: "2" });
  });
});

describe("admin API exposure", () => {
  // A real HTTP server on loopback whose requests claim a remote peer address, standing in
  // for a caller from another pod (tests may only bind loopback).
  let server: Server;
  let port: number;
  let bbr: RunningBbr;
  let expose = false;
  beforeAll(async () => {
    bbr = await startBbr();
    server = createServer((req, res) => {
      Object.defineProperty(req.socket, "remoteAddress", {
        value: req.headers["x-test-peer"] ?? "127.0.0.1",
        configurable: true,
      });
      const route = adminRoute(
        { snapshots: bbr.server.snapshots, logger: silentLogger() },
        { expose, readMaxBytes: 1 << 20 },
      );
      if (!route(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await bbr.stop();
  });

  const call = (peer: string) =>
    fetch(`http://127.0.0.1:${port}/bbr.admin.v1.AdminService/ListPlugins`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-test-peer": peer },
      body: "{}",
    });

  it.each([
    { peer: "127.0.0.1", expose: false, want: 200 },
    { peer: "::1", expose: false, want: 200 },
    { peer: "::ffff:127.0.0.1", expose: false, want: 200 },
    { peer: "192.0.2.2", expose: false, want: 403 },
    { peer: "::ffff:10.0.0.7", expose: false, want: 403 },
    { peer: "192.0.2.2", expose: true, want: 200 },
  ])("peer $peer with expose=$expose → $want", async ({ peer, expose: e, want }) => {
    expose = e;
    const res = await call(peer);
    expect(res.status).toBe(want);
    if (want === 403) {
      expect(await res.json()).toEqual({
        code: "permission_denied",
        message: "the admin API answers loopback callers only; start bbr with --expose-admin-api to allow others",
      });
    }
  });

  it.each([
    { address: "127.0.0.1", want: true },
    { address: "127.255.0.9", want: true },
    { address: "::1", want: true },
    { address: "::ffff:127.0.0.1", want: true },
    { address: "10.0.0.1", want: false },
    { address: "::ffff:192.0.2.2", want: false },
    { address: "fe80::1", want: false },
    { address: undefined, want: false },
  ])("isLoopback($address) is $want", ({ address, want }) => {
    expect(isLoopback(address)).toBe(want);
  });
});
