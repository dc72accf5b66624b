import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestBody, requestHeaders } from "../support/messages.js";
import { endpointsYaml, type RunningEpp, startEpp, waitForMetrics } from "./support/epp-harness.js";
import { type RunningModelServer, startModelServer } from "./support/model-server.js";

const CHAT = { ":method": "POST", ":path": "/v1/chat/completions" };
const SYSTEM = "You are a meticulous assistant for a bank's internal tooling team. ".repeat(30);

async function destination(epp: RunningEpp, body: unknown): Promise<string> {
  const stream = epp.client.open();
  stream.send(requestHeaders(CHAT)).send(requestBody(JSON.stringify(body), true));
  const [first] = await stream.waitFor(1);
  stream.cancel();
  const lb = first!.dynamicMetadata?.["envoy.lb"] as Record<string, string> | undefined;
  return lb?.["x-gateway-destination-endpoint"] ?? "none";
}

const chat = (system: string, question: string) => ({
  model: "llama",
  messages: [
    { role: "system", content: system },
    { role: "user", content: question },
  ],
});

describe("default scheduling against live model servers", () => {
  let servers: RunningModelServer[];
  let epp: RunningEpp;

  beforeAll(async () => {
    servers = await Promise.all([0, 0, 0].map(() => startModelServer()));
    epp = await startEpp({
      endpoints: endpointsYaml(servers.map((s) => ({ port: s.port, models: ["llama"] }))),
      seed: 42,
    });
    await waitForMetrics(
      epp,
      servers.map((s) => s.key),
    );
  });
  afterAll(async () => {
    await epp.stop();
    await Promise.all(servers.map((s) => s.stop()));
  });

  async function settle(loads: { waiting: number; kv: number }[]) {
    for (const [i, l] of loads.entries()) servers[i]!.set(l);
    for (const [i, l] of loads.entries()) {
      await waitForMetrics(
        epp,
        [servers[i]!.key],
        (m) => m.waitingQueueSize === l.waiting && m.kvCacheUsagePercent === l.kv,
      );
    }
  }

  it("queue-scorer steers short, unrelated prompts to the shortest queue, and follows load changes", async () => {
    await settle([
      { waiting: 6, kv: 0.2 },
      { waiting: 0, kv: 0.2 },
      { waiting: 3, kv: 0.2 },
    ]);
    const first = new Set<string>();
    for (let i = 0; i < 20; i++) first.add(await destination(epp, { model: "llama", prompt: `q${i}` }));
    expect([...first]).toEqual([servers[1]!.key]);

    await settle([
      { waiting: 6, kv: 0.2 },
      { waiting: 9, kv: 0.2 },
      { waiting: 3, kv: 0.2 },
    ]);
    const second = new Set<string>();
    for (let i = 0; i < 20; i++) second.add(await destination(epp, { model: "llama", prompt: `r${i}` }));
    expect([...second]).toEqual([servers[2]!.key]);
  });

  it("prefix-cache-scorer keeps a shared system prompt on one replica while loads are equal", async () => {
    await settle([
      { waiting: 1, kv: 0.3 },
      { waiting: 1, kv: 0.3 },
      { waiting: 1, kv: 0.3 },
    ]);
    const sticky = await destination(epp, chat(SYSTEM, "first question"));
    const followers = new Set<string>();
    for (let i = 0; i < 15; i++) followers.add(await destination(epp, chat(SYSTEM, `follow-up question number ${i}`)));
    expect([...followers]).toEqual([sticky]);

    // Unrelated prompts are spread by the random tie-break (no prefix, equal load).
    const spread = new Set<string>();
    for (let i = 0; i < 30; i++)
      spread.add(await destination(epp, chat(`unrelated system prompt ${i} `.repeat(20), "q")));
    expect(spread.size).toBeGreaterThan(1);
  });

  it("load outweighs prefix affinity once the cached replica is saturated", async () => {
    await settle([
      { waiting: 1, kv: 0.3 },
      { waiting: 1, kv: 0.3 },
      { waiting: 1, kv: 0.3 },
    ]);
    const system = "A second long shared system prompt for the saturation case. ".repeat(30);
    const sticky = await destination(epp, chat(system, "warm the cache"));
    const index = servers.findIndex((s) => s.key === sticky);
    const loads = servers.map((_, i) => (i === index ? { waiting: 12, kv: 0.95 } : { waiting: 1, kv: 0.3 }));
    await settle(loads);
    const after = new Set<string>();
    for (let i = 0; i < 10; i++) after.add(await destination(epp, chat(system, `question ${i}`)));
    expect(after.has(sticky)).toBe(false);
  });
});
