import { afterEach, describe, expect, it } from "vitest";
import type { TestStream } from "../support/ext-proc-client.js";
import { requestBody, requestHeaders, responseBody, responseHeaders, summarize } from "../support/messages.js";
import { endpointsYaml, type RunningEpp, startEpp, waitForMetrics } from "./support/epp-harness.js";
import { type RunningModelServer, startModelServer } from "./support/model-server.js";

// Flow control end to end through the real EPP: one endpoint that takes one request at a time
// (maxConcurrency 1), so every request after the first waits in the queue.
const OBJECTIVES = `objectives:
  - {name: critical, priority: 10}
  - {name: sheddable-batch, priority: -1}
`;
const config = (extra = "") => `featureGates: [flowControl]
plugins: [{type: queue-scorer}]
flowControl:
  maxConcurrency: 1
  pollInterval: 5ms
  priorityBands:
    - {priority: -1, maxRequests: 2}
${extra}`;

const CHAT = { ":method": "POST", ":path": "/v1/chat/completions", "content-type": "application/json" };
const body = (id: string) => `{"model":"m1","messages":[{"role":"user","content":"${id}"}]}`;

describe("EPP flow control", () => {
  let epp: RunningEpp | undefined;
  let server: RunningModelServer | undefined;
  afterEach(async () => {
    await epp?.stop();
    await server?.stop();
    epp = undefined;
    server = undefined;
  });

  async function start(extra = "") {
    server = await startModelServer();
    epp = await startEpp({ config: config(extra), endpoints: endpointsYaml([{ port: server.port }]), objectives: OBJECTIVES });
    await waitForMetrics(epp, [server.key]);
    return epp;
  }

  function send(e: RunningEpp, id: string, objective?: string, extraHeaders: Record<string, string> = {}): TestStream {
    const stream = e.client.open();
    const headers = { ...CHAT, "x-request-id": id, ...extraHeaders, ...(objective ? { "x-gateway-inference-objective": objective } : {}) };
    stream.send(requestHeaders(headers)).send(requestBody(body(id), true));
    return stream;
  }

  async function finishResponse(stream: TestStream, answered: number): Promise<void> {
    stream.send(responseHeaders({ ":status": "200", "content-type": "application/json" }));
    stream.send(responseBody(`{"usage":{"prompt_tokens":1,"completion_tokens":1}}`, true));
    await stream.waitFor(answered + 2);
    await stream.finish();
  }

  it("sheds sheddable requests past their band's capacity with 429 while critical ones wait and go first", async () => {
    const e = await start();
    const first = send(e, "first");
    await first.waitFor(2); // dispatched: the endpoint is now full
    const sheddable = ["s1", "s2", "s3", "s4"].map((id) => send(e, id, "sheddable-batch"));
    const critical = ["c1", "c2"].map((id) => send(e, id, "critical"));
    // The sheddable band holds 2; the rest are refused at once.
    const refused = await Promise.all(sheddable.slice(2).map(async (s) => summarize((await s.waitFor(1))[0]!)));
    for (const r of refused) expect(r).toMatchObject({ kind: "immediate", status: 429, details: expect.stringContaining("queue_full") });
    expect(await critical[0]!.settle(50)).toEqual([]); // still waiting

    // Each time a request finishes, the next one goes: critical before sheddable (strict priority).
    const waiting = new Map<string, TestStream>([
      ["c1", critical[0]!],
      ["c2", critical[1]!],
      ["s1", sheddable[0]!],
      ["s2", sheddable[1]!],
    ]);
    const order: string[] = [];
    for (const [id, s] of waiting) void s.waitFor(2, 10_000).then(() => order.push(id), () => undefined);
    let current = first;
    for (let n = 1; n <= waiting.size; n++) {
      await finishResponse(current, 2);
      await expect.poll(() => order.length, { timeout: 3000 }).toBe(n);
      await new Promise((r) => setTimeout(r, 30)); // nothing else may slip through meanwhile
      expect(order.length).toBe(n);
      current = waiting.get(order[n - 1]!)!;
    }
    expect(order).toEqual(["c1", "c2", "s1", "s2"]);
    await finishResponse(current, 2);

    const text = await e.metricsText();
    expect(text).toMatch(/inference_extension_flow_control_requests_total\{priority="-1",outcome="rejected",reason="band-full"\} 2/);
    expect(text).toMatch(/inference_extension_flow_control_requests_total\{priority="10",outcome="dispatched",reason=""\} 2/);
    expect(text).toMatch(/inference_extension_flow_control_request_queue_duration_seconds_count\{priority="10",outcome="dispatched"\} 2/);
    expect(text).toContain('inference_extension_flow_control_queue_size{priority="-1"} 0');
  });

  it("expires a request that waits past its TTL with 503", async () => {
    const e = await start("  defaultRequestTTL: 100ms\n");
    const first = send(e, "first");
    await first.waitFor(2);
    const waiting = send(e, "late");
    const [answer] = (await waiting.waitFor(1, 3000)).map(summarize);
    expect(answer).toMatchObject({ kind: "immediate", status: 503, details: expect.stringContaining("queue_ttl_expired") });
    first.cancel();
  });

  it("removes a cancelled request from the queue and frees its place", async () => {
    const e = await start();
    const first = send(e, "first");
    await first.waitFor(2);
    const gone = send(e, "gone");
    await new Promise((r) => setTimeout(r, 50));
    gone.cancel();
    const next = send(e, "next");
    first.cancel(); // the endpoint frees up; only "next" is still queued
    expect((await next.waitFor(2)).map((r) => summarize(r).kind)).toEqual(["requestHeaders", "requestBody"]);
    await new Promise((r) => setTimeout(r, 50));
    expect(await e.metricsText()).toMatch(/inference_extension_flow_control_requests_total\{priority="0",outcome="cancelled",reason=""\} 1/);
    next.cancel();
  });

  it("orders by the client's SLO with the EDF ordering policy", async () => {
    const e = await start("  orderingPolicy: edf-ordering-policy\n");
    const first = send(e, "first");
    await first.waitFor(2);
    const relaxed = send(e, "relaxed", undefined, { "x-slo-ttft-ms": "10000" });
    await new Promise((r) => setTimeout(r, 20));
    const urgent = send(e, "urgent", undefined, { "x-slo-ttft-ms": "200" });
    await new Promise((r) => setTimeout(r, 20));
    first.cancel();
    await urgent.waitFor(2);
    expect(relaxed.responses).toEqual([]);
    urgent.cancel();
    await relaxed.waitFor(2);
    relaxed.cancel();
  });
});
