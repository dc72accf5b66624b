import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:http2";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChildService } from "../../src/dev/demo/processes.js";
import {
  adapterMappingYaml,
  bbrConfigWithMappingFile,
  devgwConfigYaml,
  type SimPoolSpec,
  type StartedPool,
  startBbr,
  startDevgw,
  startSimPool,
} from "../../src/dev/demo/stack.js";
import { chatBody, JSON_HEADERS, send } from "./http-client.js";

// The real flow on loopback: two simulator pools, the real BBR over gRPC, and devgw in front,
// each a separate process, as `npm run demo` runs them (dist/ must be built).

const POOLS: readonly SimPoolSpec[] = [
  { name: "llama", model: "llama-3-8b", loraModules: ["sql-lora", "chat-lora"], replicas: 2 },
  { name: "qwen", model: "qwen-2.5-7b", loraModules: [], replicas: 1 },
];
const BBR_MAX_BODY = 8 * 1024 * 1024;

let dir: string;
const services: ChildService[] = [];
let port: number;
let llama: StartedPool;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "bbr-e2e-"));
  const pools = await Promise.all(POOLS.map((spec) => startSimPool(spec, { timeScale: 0.2 })));
  services.push(...pools.map((p) => p.service));
  llama = pools[0]!;
  writeFileSync(join(dir, "adapters.yaml"), adapterMappingYaml(POOLS));
  writeFileSync(join(dir, "bbr.yaml"), bbrConfigWithMappingFile("adapters.yaml"));
  const bbr = await startBbr({
    configPath: join(dir, "bbr.yaml"),
    extraArgs: ["--max-body-bytes", String(BBR_MAX_BODY)],
  });
  services.push(bbr.service);
  writeFileSync(
    join(dir, "devgw.yaml"),
    devgwConfigYaml({
      listeners: [{ name: "http", port: 0 }],
      processors: [{ name: "bbr", grpcPort: bbr.grpcPort, messageTimeout: "10s" }],
      pools,
    }),
  );
  const gw = await startDevgw({ configPath: join(dir, "devgw.yaml") });
  services.push(gw.service);
  port = gw.listeners["http"]!;
});

afterAll(async () => {
  for (const s of services.reverse()) await s.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
  send(port, "/v1/chat/completions", body, { ...JSON_HEADERS, ...headers });

describe("routing through BBR", () => {
  it.each([
    { model: "qwen-2.5-7b", route: "qwen", pod: /^qwen$/ },
    { model: "llama-3-8b", route: "llama", pod: /^llama-[01]$/ },
    { model: "sql-lora", route: "llama", pod: /^llama-[01]$/ },
    { model: "chat-lora", route: "llama", pod: /^llama-[01]$/ },
  ])("$model lands on the $route pool and the answer echoes the model", async ({ model, route, pod }) => {
    const r = await post(chatBody(model));
    expect(r.status).toBe(200);
    expect(r.headers["x-devgw-route"]).toBe(route);
    expect(r.headers["x-inference-pod"]).toMatch(pod);
    expect(JSON.parse(r.body)).toMatchObject({ object: "chat.completion", model, usage: { completion_tokens: 4 } });
  });

  it("round-robins over the replicas of a pool", async () => {
    const pods = new Set<unknown>();
    for (let i = 0; i < 2; i++) pods.add((await post(chatBody("sql-lora"))).headers["x-inference-pod"]);
    expect([...pods].sort()).toEqual(["llama-0", "llama-1"]);
  });

  it("answers an unknown model from the route table with 404", async () => {
    const r = await post(chatBody("no-such-model"));
    expect(r.status).toBe(404);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.body).toBe(
      '{"error":{"message":"no route matches this request (model \\"no-such-model\\")","type":"not_found_error","code":"route_not_found"}}',
    );
  });

  it.each([
    {
      name: "a spoofed X-Gateway-Model-Name is overwritten",
      body: chatBody("chat-lora"),
      headers: { "X-Gateway-Model-Name": "qwen-2.5-7b" },
      status: 200,
      route: "llama",
    },
    {
      name: "a spoofed X-Gateway-Base-Model-Name is overwritten",
      body: chatBody("llama-3-8b"),
      headers: { "X-Gateway-Base-Model-Name": "qwen-2.5-7b" },
      status: 200,
      route: "llama",
    },
    {
      name: "spoofed headers without a model in the body are removed",
      body: JSON.stringify({ messages: [{ role: "user", content: "hi" }] }),
      headers: { "X-Gateway-Model-Name": "qwen-2.5-7b", "X-Gateway-Base-Model-Name": "qwen-2.5-7b" },
      status: 404,
      route: undefined,
    },
  ])("$name: the client cannot pick its route", async ({ body, headers, status, route }) => {
    const r = await post(body, headers);
    expect(r.status).toBe(status);
    expect(r.headers["x-devgw-route"]).toBe(route);
  });

  it("serves h2c (prior knowledge) on the same port", async () => {
    const session = connect(`http://127.0.0.1:${port}`);
    try {
      const { status, route, body } = await new Promise<{ status: unknown; route: unknown; body: string }>(
        (resolve, reject) => {
          const stream = session.request({ ":method": "POST", ":path": "/v1/chat/completions", ...JSON_HEADERS });
          let headers: Record<string, unknown> = {};
          let text = "";
          stream.on("response", (h) => (headers = h));
          stream.on("data", (c: Buffer) => (text += c.toString()));
          stream.on("end", () => resolve({ status: headers[":status"], route: headers["x-devgw-route"], body: text }));
          stream.on("error", reject);
          stream.end(chatBody("qwen-2.5-7b"));
        },
      );
      expect(status).toBe(200);
      expect(route).toBe("qwen");
      expect(JSON.parse(body).model).toBe("qwen-2.5-7b");
    } finally {
      session.close();
    }
  });
});

describe("bodies", () => {
  it("streams SSE incrementally: the first event arrives while the model is still generating", async () => {
    const outputTokens = 600;
    const body = chatBody("llama-3-8b", { stream: true, max_tokens: outputTokens });
    const events: string[] = [];
    let runningAtFirstEvent: string | undefined;
    await new Promise<void>((resolve, reject) => {
      const req = request({
        host: "127.0.0.1",
        port,
        path: "/v1/chat/completions",
        method: "POST",
        headers: JSON_HEADERS,
        agent: false,
      });
      req.on("response", (res) => {
        expect(res.statusCode).toBe(200);
        expect(res.headers["content-type"]).toBe("text/event-stream");
        const simPort = Number(res.headers["x-inference-port"]);
        let buffered = "";
        let asked = false;
        res.on("data", (c: Buffer) => {
          buffered += c.toString();
          const parts = buffered.split("\n\n");
          buffered = parts.pop()!;
          events.push(...parts);
          if (!asked && events.length > 0) {
            asked = true;
            res.pause();
            // Ask the simulator itself, not the gateway: is the sequence still running?
            send(simPort, "/metrics", undefined, {}, "GET").then((m) => {
              runningAtFirstEvent = /^vllm:num_requests_running\{[^}]*\} (\d+)$/m.exec(m.body)?.[1];
              res.resume();
            }, reject);
          }
        });
        res.on("end", () => resolve());
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(body);
    });
    expect(runningAtFirstEvent).toBe("1");
    expect(events).toHaveLength(outputTokens + 1);
    expect(events.at(-1)).toBe("data: [DONE]");
    const last = JSON.parse(events.at(-2)!.slice("data: ".length));
    expect(last).toMatchObject({
      model: "llama-3-8b",
      choices: [{ finish_reason: "length" }],
      usage: { completion_tokens: outputTokens },
    });
  });

  it("a client that goes away mid-stream stops the generation on the simulator", async () => {
    const body = chatBody("qwen-2.5-7b", { stream: true, max_tokens: 2000 });
    const simPort = await new Promise<number>((resolve) => {
      const req = request({
        host: "127.0.0.1",
        port,
        path: "/v1/chat/completions",
        method: "POST",
        headers: JSON_HEADERS,
        agent: false,
      });
      req.on("response", (res) => {
        res.once("data", () => {
          resolve(Number(res.headers["x-inference-port"]));
          req.destroy();
        });
      });
      req.on("error", () => {});
      req.end(body);
    });
    const running = async () =>
      /^vllm:num_requests_running\{[^}]*\} (\d+)$/m.exec(
        (await send(simPort, "/metrics", undefined, {}, "GET")).body,
      )?.[1];
    // Bounded wait for the abort to travel client → devgw → simulator (2000 tokens take ~5 s).
    let value = await running();
    for (let i = 0; i < 40 && value !== "0"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      value = await running();
    }
    expect(value).toBe("0");
  });

  it("ends a chunked request body with trailers: BBR flushes it and the trailers follow", async () => {
    const body = chatBody("qwen-2.5-7b");
    const r = await new Promise<{ status: number; sha: unknown; route: unknown }>((resolve, reject) => {
      const req = request({
        host: "127.0.0.1",
        port,
        path: "/v1/chat/completions",
        method: "POST",
        headers: { ...JSON_HEADERS, trailer: "x-checksum" },
        agent: false,
      });
      req.on("response", (res) => {
        res.resume();
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            sha: res.headers["x-sim-request-sha256"],
            route: res.headers["x-devgw-route"],
          }),
        );
      });
      req.on("error", reject);
      req.write(body.slice(0, 10));
      req.write(body.slice(10));
      req.addTrailers({ "x-checksum": "abc" });
      req.end();
    });
    expect(r).toEqual({ status: 200, sha: createHash("sha256").update(body).digest("hex"), route: "qwen" });
  });

  it("carries a 5 MiB request body through BBR byte for byte", async () => {
    const pad = "x".repeat(5 * 1024 * 1024);
    const body = Buffer.from(
      JSON.stringify({
        model: "qwen-2.5-7b",
        messages: [{ role: "user", content: "hi" }],
        max_tokens: 2,
        metadata: { pad },
      }),
    );
    expect(body.length).toBeGreaterThan(5 * 1024 * 1024);
    const r = await post(body);
    expect(r.status).toBe(200);
    expect(r.headers["x-inference-pod"]).toBe("qwen");
    expect(r.headers["x-sim-request-bytes"]).toBe(String(body.length));
    expect(r.headers["x-sim-request-sha256"]).toBe(createHash("sha256").update(body).digest("hex"));
  });

  it("passes BBR's 400 for a malformed body to the client", async () => {
    const r = await post('{"model":');
    expect(r.status).toBe(400);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.body).toBe(
      '{"error":{"message":"failed to parse request body: Unexpected end of JSON input","type":"invalid_request_error","code":"invalid_json"}}',
    );
  });

  it("passes BBR's 413 for a body over --max-body-bytes to the client", async () => {
    const body = Buffer.from(JSON.stringify({ model: "qwen-2.5-7b", pad: "x".repeat(BBR_MAX_BODY) }));
    const r = await post(body);
    expect(r.status).toBe(413);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.body).toBe(
      `{"error":{"message":"request body exceeds the limit of ${BBR_MAX_BODY} bytes","type":"invalid_request_error","code":"request_body_too_large"}}`,
    );
  });
});

describe("the simulator behind the gateway", () => {
  it("reports vLLM metrics for each instance", async () => {
    const m = await send(Number(llama.instances[0]!.port), "/metrics", undefined, {}, "GET");
    expect(m.status).toBe(200);
    for (const name of [
      "vllm:num_requests_waiting",
      "vllm:num_requests_running",
      "vllm:kv_cache_usage_perc",
      "vllm:lora_requests_info",
      "vllm:cache_config_info",
    ]) {
      expect(m.body).toContain(`\n${name}{`);
    }
    expect(m.body).toContain('vllm:cache_config_info{block_size="16",num_gpu_blocks="1024"} 1');
  });
});
