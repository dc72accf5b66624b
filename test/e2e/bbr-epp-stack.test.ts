import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChildService } from "../../src/dev/demo/processes.js";
import {
  adapterMappingYaml,
  bbrConfigWithMappingFile,
  devgwConfigYaml,
  eppEndpointsYaml,
  type SimPoolSpec,
  startBbr,
  startDevgw,
  startEpp,
  startSimPool,
} from "../../src/dev/demo/stack.js";
import { JSON_HEADERS, send } from "./http-client.js";

// `npm run demo`'s flow with the EPP: devgw calls BBR (model headers, route) then the EPP (the
// replica), all real processes on loopback, simulators with prefix caching and batching.

const POOLS: readonly SimPoolSpec[] = [
  { name: "llama", model: "llama-3-8b", loraModules: ["sql-lora"], replicas: 3 },
  { name: "qwen", model: "qwen-2.5-7b", loraModules: [], replicas: 1 },
];

let dir: string;
const services: ChildService[] = [];
let port: number;
let eppMetricsPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "bbr-epp-e2e-"));
  const pools = await Promise.all(POOLS.map((spec) => startSimPool(spec, { timeScale: 0.2 })));
  services.push(...pools.map((p) => p.service));
  writeFileSync(join(dir, "adapters.yaml"), adapterMappingYaml(POOLS));
  writeFileSync(join(dir, "bbr.yaml"), bbrConfigWithMappingFile("adapters.yaml"));
  const bbr = await startBbr({ configPath: join(dir, "bbr.yaml") });
  services.push(bbr.service);
  writeFileSync(join(dir, "endpoints.yaml"), eppEndpointsYaml(pools));
  const epp = await startEpp({ endpointsPath: join(dir, "endpoints.yaml") });
  services.push(epp.service);
  eppMetricsPort = epp.metricsPort;
  writeFileSync(
    join(dir, "devgw.yaml"),
    devgwConfigYaml({
      listeners: [{ name: "http", port: 0 }],
      processors: [
        { name: "bbr", grpcPort: bbr.grpcPort, messageTimeout: "10s" },
        { name: "epp", grpcPort: epp.grpcPort, messageTimeout: "10s" },
      ],
      pools,
    }),
  );
  const gw = await startDevgw({ configPath: join(dir, "devgw.yaml") });
  services.push(gw.service);
  port = gw.listeners["http"]!;
  // Let the EPP scrape every replica once.
  await new Promise((r) => setTimeout(r, 300));
});

afterAll(async () => {
  for (const s of services.reverse()) await s.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const chat = (model: string, system: string, user: string, maxTokens = 4) =>
  JSON.stringify({ model, messages: [{ role: "system", content: system }, { role: "user", content: user }], max_tokens: maxTokens });

describe("devgw -> BBR -> EPP -> simulator", () => {
  it("keeps requests sharing a long system prompt on one replica (prefix affinity)", async () => {
    const system = "You are a meticulous assistant who answers in French. ".repeat(80);
    const pods = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const r = await send(port, "/v1/chat/completions", chat("llama-3-8b", system, `question ${i}`), JSON_HEADERS);
      expect(r.status).toBe(200);
      pods.add(String(r.headers["x-inference-pod"]));
    }
    expect(pods.size).toBe(1);
    expect([...pods][0]).toMatch(/^llama-[012]$/);
  });

  it("spreads concurrent requests with unrelated prompts across replicas by load", async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        send(port, "/v1/chat/completions", chat("llama-3-8b", `Topic ${i}: ${"z".repeat(i * 7)}`, `unrelated ${i}`, 64), JSON_HEADERS),
      ),
    );
    for (const r of results) expect(r.status).toBe(200);
    expect(new Set(results.map((r) => r.headers["x-inference-pod"])).size).toBeGreaterThan(1);
  });

  it("sends a LoRA adapter to a replica of its base pool, picked by the EPP", async () => {
    const r = await send(port, "/v1/chat/completions", chat("sql-lora", "sys", "q"), JSON_HEADERS);
    expect(r.status).toBe(200);
    expect(r.headers["x-devgw-route"]).toBe("llama");
    expect(r.headers["x-inference-pod"]).toMatch(/^llama-[012]$/);
  });

  it("records the EPP's decisions in its metrics", async () => {
    const text = await (await fetch(`http://127.0.0.1:${eppMetricsPort}/metrics`)).text();
    expect(text).toMatch(/inference_objective_request_total\{model_name="llama-3-8b",target_model_name="llama-3-8b"\} \d+/);
  });
});
