// Soak test for BBR (issue: reliability). Phase 1 opens 10,000 concurrent streams; phase 2 sends
// mixed traffic at a fixed rate (sizes, SSE responses, cancels, invalid and oversized bodies,
// spoofed headers) and checks every answer. It samples the server's memory and event loop, and
// ends by comparing post-GC heap and RSS to the warm baseline.
//
//   npm run soak                      # 10 minutes at 200 requests/s
//   npm run soak -- --duration 60 --rate 100 --concurrent 2000
import { type ChildProcess, fork } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ExtProcTestClient, type TestStream } from "../../test/support/ext-proc-client.js";
import { mutationOf, requestBody, requestHeaders, responseBody, responseHeaders, summarize } from "../../test/support/messages.js";
import type { SoakServerReport } from "./soak-server.js";

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "600" },
    rate: { type: "string", default: "200" },
    concurrent: { type: "string", default: "10000" },
    channels: { type: "string", default: "8" },
  },
});
const DURATION_S = Number(args.duration);
const RATE = Number(args.rate);
const CONCURRENT = Number(args.concurrent);
const MAX_BODY = 2 * 1024 * 1024;
const SAMPLE_MS = 5000;

type Kind = "small" | "medium" | "large" | "sse" | "cancel" | "invalid" | "oversize" | "spoof";
const MIX: [Kind, number][] = [
  ["small", 0.5],
  ["medium", 0.15],
  ["large", 0.03],
  ["sse", 0.12],
  ["cancel", 0.08],
  ["invalid", 0.07],
  ["oversize", 0.02],
  ["spoof", 0.03],
];

function pick(): Kind {
  let r = Math.random();
  for (const [kind, weight] of MIX) {
    r -= weight;
    if (r <= 0) return kind;
  }
  return "small";
}

const JSON_POST = { ":method": "POST", ":path": "/v1/chat/completions", "content-type": "application/json" };
const filler = (n: number) => "x".repeat(Math.max(0, n));

class Server {
  private waiters = new Map<string, (r: SoakServerReport) => void>();
  ports!: { grpc: number; metrics: number };
  constructor(private readonly child: ChildProcess) {
    child.on("message", (m: { kind: string; report?: SoakServerReport; ports?: { grpc: number; metrics: number } }) => {
      if (m.kind === "ready" && m.ports) this.ports = m.ports;
      const w = this.waiters.get(m.kind);
      if (w && m.report) {
        this.waiters.delete(m.kind);
        w(m.report);
      }
    });
  }
  static async start(): Promise<Server> {
    const child = fork(join(import.meta.dirname, "soak-server.js"), [String(MAX_BODY)], { execArgv: ["--expose-gc"], stdio: "inherit" });
    const server = new Server(child);
    await new Promise<void>((resolve) => child.on("message", (m: { kind: string }) => m.kind === "ready" && resolve()));
    return server;
  }
  ask(kind: "report" | "gc"): Promise<SoakServerReport> {
    return new Promise((resolve) => {
      this.waiters.set(kind, resolve);
      this.child.send({ kind });
    });
  }
  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.send({ kind: "stop" });
    await exited;
  }
}

const counts: Record<string, number> = {};
const wrong: string[] = [];
function count(key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
function fail(kind: Kind, why: string): void {
  count("wrong");
  if (wrong.length < 20) wrong.push(`${kind}: ${why}`);
}

async function exchange(stream: TestStream, kind: Kind, id: number): Promise<void> {
  const model = `model-${id % 64}`;
  switch (kind) {
    case "cancel": {
      stream.send(requestHeaders(JSON_POST)).send(requestBody(`{"model":"${model}","prompt":"${filler(10_000)}`, false));
      await new Promise((r) => setTimeout(r, 5));
      stream.cancel();
      count("cancel");
      return;
    }
    case "invalid":
    case "oversize": {
      stream.send(requestHeaders(JSON_POST));
      if (kind === "invalid") stream.send(requestBody(`{"model":"${model}",`, true));
      else for (let sent = 0; sent <= MAX_BODY; sent += 65_536) stream.send(requestBody(filler(65_536), false));
      const [answer] = (await stream.waitFor(1, 30_000)).map(summarize);
      const status = answer?.kind === "immediate" ? answer.status : 0;
      if (status !== (kind === "invalid" ? 400 : 413)) fail(kind, `status ${status}`);
      else count(kind);
      await stream.end(30_000);
      return;
    }
    default: {
      const size = kind === "medium" ? 100_000 : kind === "large" ? 1_000_000 : 1_000;
      const body = `{"messages":[{"role":"user","content":"${filler(size - 80)}"}],"model":"${model}"}`;
      stream.send(requestHeaders(kind === "spoof" ? { ...JSON_POST, "x-gateway-model-name": "evil" } : JSON_POST));
      const bytes = Buffer.from(kind === "spoof" ? `{"prompt":"${filler(size)}"}` : body);
      for (let off = 0; off < bytes.length; off += 32_768) stream.send(requestBody(bytes.subarray(off, off + 32_768), off + 32_768 >= bytes.length));
      const expected = 1 + Math.ceil(bytes.length / 62_000);
      const got = (await stream.waitFor(expected, 30_000)).map(summarize);
      const mutation = mutationOf(got[0]);
      const routed = mutation?.set.find(([k]) => k === "X-Gateway-Model-Name")?.[1];
      if (kind === "spoof" ? !mutation?.remove.includes("X-Gateway-Model-Name") || routed !== undefined : routed !== model) {
        fail(kind, `model header ${routed}`);
        stream.cancel();
        return;
      }
      if (kind === "sse") {
        stream.send(responseHeaders({ ":status": "200", "content-type": "text/event-stream" }));
        for (let i = 0; i < 3; i++) stream.send(responseBody(`data: {"i":${i}}\n\n`, i === 2));
        await stream.waitFor(expected + 4, 30_000);
      }
      await stream.finish(30_000);
      count(kind);
    }
  }
}

const server = await Server.start();
const clients = Array.from({ length: Number(args.channels) }, () => new ExtProcTestClient(server.ports.grpc));
let nextId = 0;
const open = () => clients[nextId++ % clients.length]!.open();
const samples: (SoakServerReport & { t: number; phase: string; done: number })[] = [];
const t0 = Date.now();
let phase = "concurrent";
const sampler = setInterval(async () => {
  const r = await server.ask("report");
  samples.push({ ...r, t: (Date.now() - t0) / 1000, phase, done: Object.values(counts).reduce((a, b) => a + b, 0) });
}, SAMPLE_MS);

// Phase 1: many concurrent streams, all open at once before any finishes.
const idle = await server.ask("gc");
const phase1Start = Date.now();
const held = Array.from({ length: CONCURRENT }, (_, i) => {
  const s = open();
  s.send(requestHeaders(JSON_POST)).send(requestBody(`{"model":"c-${i % 64}","prompt":"${filler(i % 500)}`, false));
  return s;
});
let peakActive = 0;
for (;;) {
  const r = await server.ask("report");
  peakActive = Math.max(peakActive, r.activeStreams);
  if (r.activeStreams >= CONCURRENT || Date.now() - phase1Start > 60_000) break;
  await new Promise((res) => setTimeout(res, 200));
}
const atPeak = await server.ask("report");
await Promise.all(
  held.map(async (s, i) => {
    s.send(requestBody(`"}`, true));
    const [h] = (await s.waitFor(2, 60_000)).map(summarize);
    if (mutationOf(h)?.set.find(([k]) => k === "X-Gateway-Model-Name")?.[1] !== `c-${i % 64}`) fail("small", "phase-1 model");
    else count("concurrent");
    await s.finish(60_000);
  }),
);
const phase1Seconds = (Date.now() - phase1Start) / 1000;
await new Promise((r) => setTimeout(r, 2000));
const warm = await server.ask("gc");

// Phase 2: fixed-rate mixed traffic.
phase = "mixed";
const inflight = new Set<Promise<void>>();
const phase2Start = Date.now();
let launched = 0;
while (Date.now() - phase2Start < DURATION_S * 1000) {
  const due = Math.floor(((Date.now() - phase2Start) / 1000) * RATE);
  while (launched < due) {
    const kind = pick();
    const p = exchange(open(), kind, launched).catch((e: unknown) => fail(kind, (e as Error).message));
    inflight.add(p);
    p.finally(() => inflight.delete(p));
    launched++;
  }
  await new Promise((r) => setTimeout(r, 10));
}
await Promise.all(inflight);
phase = "drained";
await new Promise((r) => setTimeout(r, 5000));
const end = await server.ask("gc");
clearInterval(sampler);
for (const c of clients) c.close();
await server.stop();

const mib = (n: number) => (n / 1048576).toFixed(1);
const heapGrowth = (end.heapUsed - warm.heapUsed) / warm.heapUsed;
const rssGrowth = (end.rss - warm.rss) / warm.rss;
const result = {
  config: { durationS: DURATION_S, rate: RATE, concurrent: CONCURRENT, maxBodyBytes: MAX_BODY, mix: Object.fromEntries(MIX) },
  phase1: { seconds: phase1Seconds, peakActiveStreams: peakActive, rssAtPeakMiB: Number(mib(atPeak.rss)), heapAtPeakMiB: Number(mib(atPeak.heapUsed)) },
  idle: { rssMiB: Number(mib(idle.rss)), heapMiB: Number(mib(idle.heapUsed)) },
  warm: { rssMiB: Number(mib(warm.rss)), heapMiB: Number(mib(warm.heapUsed)) },
  end: { rssMiB: Number(mib(end.rss)), heapMiB: Number(mib(end.heapUsed)), activeStreams: end.activeStreams },
  growth: { heap: heapGrowth, rss: rssGrowth },
  requests: { launched, counts },
  wrongAnswers: counts["wrong"] ?? 0,
  wrongExamples: wrong,
  loopDelayP99MsMax: Math.max(...samples.filter((s) => s.phase === "mixed").map((s) => s.loopDelayP99Ms), 0),
  samples,
  pass: (counts["wrong"] ?? 0) === 0 && heapGrowth <= 0.1 && end.activeStreams === 0,
};
mkdirSync(join(import.meta.dirname, "../../../bench/results"), { recursive: true });
const out = join(import.meta.dirname, `../../../bench/results/soak-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(out, JSON.stringify(result, null, 2));

console.log(`\nsoak: ${CONCURRENT} concurrent streams, then ${DURATION_S}s at ${RATE}/s (${launched} requests)`);
console.log("t(s)    phase       rss MiB  heap MiB  loop p99 ms  active  done");
for (const s of samples) {
  console.log(`${s.t.toFixed(0).padStart(5)}   ${s.phase.padEnd(10)} ${mib(s.rss).padStart(8)} ${mib(s.heapUsed).padStart(9)} ${s.loopDelayP99Ms.toFixed(1).padStart(12)} ${String(s.activeStreams).padStart(7)} ${String(s.done).padStart(6)}`);
}
console.log(`\nphase 1: ${peakActive} streams open at once; RSS ${result.phase1.rssAtPeakMiB} MiB, heap ${result.phase1.heapAtPeakMiB} MiB; all answered in ${phase1Seconds.toFixed(1)} s`);
console.log(`memory after GC: idle heap ${result.idle.heapMiB} MiB, warm ${result.warm.heapMiB} MiB, end ${result.end.heapMiB} MiB (${(heapGrowth * 100).toFixed(1)}%); RSS warm ${result.warm.rssMiB}, end ${result.end.rssMiB} MiB (${(rssGrowth * 100).toFixed(1)}%)`);
console.log(`answers: ${JSON.stringify(counts)}; wrong: ${result.wrongAnswers}${wrong.length ? ` e.g. ${wrong.slice(0, 3).join("; ")}` : ""}`);
console.log(`event-loop delay p99 (max over samples): ${result.loopDelayP99MsMax.toFixed(1)} ms`);
console.log(`${result.pass ? "PASS" : "FAIL"}: zero wrong answers and heap within 10% of warm baseline; results in ${out}`);
process.exit(result.pass ? 0 : 1);
