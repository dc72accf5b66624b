import { describe, expect, it } from "vitest";
import { DEFAULT_BAND_LIMITS, type EnqueueRequest, FlowController, type FlowControlSettings } from "./controller.js";
import { MinHeap } from "./heap.js";
import { EdfOrdering, FcfsOrdering, GlobalStrictFairness, RoundRobinFairness } from "./policies.js";
import type { DispatchOutcome } from "./types.js";

function settings(overrides: Partial<FlowControlSettings> = {}): FlowControlSettings {
  return {
    fairness: new GlobalStrictFairness(),
    ordering: new FcfsOrdering(),
    bands: new Map(),
    defaultBand: DEFAULT_BAND_LIMITS,
    maxBytes: 0,
    maxRequests: 0,
    defaultTtlMs: 60_000,
    pollIntervalMs: 5,
    ...overrides,
  };
}

/** gate is a saturation signal the test opens one dispatch at a time. */
function gate() {
  let room = 0;
  return {
    saturation: () => (room > 0 ? 0 : 1),
    open(n: number) {
      room = n;
    },
    consume() {
      room--;
    },
  };
}

function req(id: string, flow: string, priority = 0, extra: Partial<EnqueueRequest> = {}): EnqueueRequest {
  return { requestId: id, flow: { id: flow, priority }, byteSize: 100, ...extra };
}

/** drain opens the gate one request at a time and returns the dispatch order. */
async function dispatchOrder(controller: FlowController, g: ReturnType<typeof gate>, waits: Map<string, Promise<DispatchOutcome>>) {
  const order: string[] = [];
  for (const [id, p] of waits) {
    p.then((o) => {
      if (o.kind !== "dispatched") return;
      order.push(id);
      g.consume();
    });
  }
  for (let i = 0; i < waits.size; i++) {
    g.open(1);
    controller.notify();
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(waits.values());
  return order;
}

describe("FlowController", () => {
  it("serves higher priority bands first, whatever the arrival order", async () => {
    const g = gate();
    const c = new FlowController(settings(), g.saturation);
    const waits = new Map<string, Promise<DispatchOutcome>>();
    for (const [id, p] of [["low-1", -1], ["mid-1", 0], ["high-1", 10], ["low-2", -1], ["high-2", 10]] as const) {
      waits.set(id, c.enqueue(req(id, "f", p)));
    }
    expect(await dispatchOrder(c, g, waits)).toEqual(["high-1", "high-2", "mid-1", "low-1", "low-2"]);
  });

  it.each([
    { name: "global-strict: one FCFS queue across flows", fairness: new GlobalStrictFairness(), want: ["a1", "a2", "a3", "b1"] },
    { name: "round-robin: flows take turns", fairness: new RoundRobinFairness(), want: ["a1", "b1", "a2", "a3"] },
  ])("$name", async ({ fairness, want }) => {
    const g = gate();
    const c = new FlowController(settings({ fairness }), g.saturation);
    const waits = new Map<string, Promise<DispatchOutcome>>();
    for (const [id, flow] of [["a1", "a"], ["a2", "a"], ["a3", "a"], ["b1", "b"]]) waits.set(id!, c.enqueue(req(id!, flow!)));
    expect(await dispatchOrder(c, g, waits)).toEqual(want);
  });

  it("orders by deadline with EDF (the client's SLO first, then TTL), FCFS on ties", async () => {
    const g = gate();
    const c = new FlowController(settings({ ordering: new EdfOrdering() }), g.saturation);
    const waits = new Map<string, Promise<DispatchOutcome>>();
    waits.set("relaxed", c.enqueue(req("relaxed", "f", 0, { sloMs: 5000 })));
    waits.set("no-slo", c.enqueue(req("no-slo", "f")));
    waits.set("urgent", c.enqueue(req("urgent", "f", 0, { sloMs: 100 })));
    waits.set("urgent-2", c.enqueue(req("urgent-2", "f", 0, { sloMs: 100 })));
    expect(await dispatchOrder(c, g, waits)).toEqual(["urgent", "urgent-2", "relaxed", "no-slo"]);
  });

  it("dispatches at once while there is room", async () => {
    const c = new FlowController(settings(), () => 0.2);
    expect(await c.enqueue(req("r", "f"))).toMatchObject({ kind: "dispatched" });
    expect(c.queued).toBe(0);
  });

  it("expires a request past its TTL (503 upstream)", async () => {
    const c = new FlowController(settings({ defaultTtlMs: 30 }), () => 1);
    const outcome = await c.enqueue(req("r", "f"));
    expect(outcome.kind).toBe("expired");
    expect((outcome as { waitedMs: number }).waitedMs).toBeGreaterThanOrEqual(30);
    expect(c.queued).toBe(0);
  });

  it("honours a per-request TTL shorter than the default", async () => {
    const c = new FlowController(settings(), () => 1);
    expect((await c.enqueue(req("r", "f", 0, { ttlMs: 20 }))).kind).toBe("expired");
  });

  it.each([
    { name: "band request cap", s: { bands: new Map([[0, { maxBytes: 0, maxRequests: 2 }]]) }, reason: "band-full" },
    { name: "band byte cap", s: { bands: new Map([[0, { maxBytes: 250, maxRequests: 0 }]]) }, reason: "band-full" },
    { name: "global request cap", s: { maxRequests: 2 }, reason: "queue-full" },
  ])("rejects past the $name (429 upstream)", async ({ s, reason }) => {
    const c = new FlowController(settings(s), () => 1);
    void c.enqueue(req("1", "f"));
    void c.enqueue(req("2", "f"));
    expect(await c.enqueue(req("3", "f"))).toEqual({ kind: "rejected", reason });
    // Another band is not affected by a band cap.
    if (reason === "band-full") expect(c.enqueue(req("4", "f", 5))).toBeInstanceOf(Promise);
    c.close();
  });

  it("removes a cancelled request and frees its capacity", async () => {
    const c = new FlowController(settings({ bands: new Map([[0, { maxBytes: 0, maxRequests: 1 }]]) }), () => 1);
    const abort = new AbortController();
    const waiting = c.enqueue(req("1", "f", 0, { signal: abort.signal }));
    expect(await c.enqueue(req("2", "f"))).toEqual({ kind: "rejected", reason: "band-full" });
    abort.abort();
    expect((await waiting).kind).toBe("cancelled");
    expect(c.queued).toBe(0);
    const next = c.enqueue(req("3", "f"));
    expect(c.queued).toBe(1);
    c.close();
    expect(await next).toEqual({ kind: "rejected", reason: "shutting-down" });
  });

  it("keeps per-band fairness state apart while sharing one policy instance (flyweight)", async () => {
    const fairness = new RoundRobinFairness();
    const g = gate();
    const c = new FlowController(settings({ fairness }), g.saturation);
    const waits = new Map<string, Promise<DispatchOutcome>>();
    for (const [id, flow, p] of [["h-a1", "a", 1], ["h-a2", "a", 1], ["h-b1", "b", 1], ["l-a1", "a", 0], ["l-b1", "b", 0], ["l-b2", "b", 0]] as const) {
      waits.set(id, c.enqueue(req(id, flow, p)));
    }
    expect(await dispatchOrder(c, g, waits)).toEqual(["h-a1", "h-b1", "h-a2", "l-a1", "l-b1", "l-b2"]);
  });

  it("reports queue changes and outcomes to its observer", async () => {
    const events: string[] = [];
    const c = new FlowController(settings({ defaultTtlMs: 20 }), () => 1, {
      queueChanged: (flow, n, bytes) => events.push(`${flow.id}:${n}:${bytes}`),
      finished: (flow, o) => events.push(`${flow.id}:${o.kind}`),
    });
    await c.enqueue(req("1", "f"));
    expect(events).toEqual(["f:1:100", "f:-1:-100", "f:expired"]);
  });
});

describe("MinHeap", () => {
  it("pops in order and removes from the middle", () => {
    const h = new MinHeap<number>((a, b) => a < b);
    for (const n of [5, 3, 9, 1, 7, 4]) h.push(n);
    expect(h.remove(9)).toBe(true);
    expect(h.remove(42)).toBe(false);
    const out: number[] = [];
    while (h.size) out.push(h.pop()!);
    expect(out).toEqual([1, 3, 4, 5, 7]);
  });
});
