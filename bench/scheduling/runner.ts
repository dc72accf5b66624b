import { type RequestOutcome, StreamingClient } from "./client.js";
import { valuesBy, histogramsBy, scrape, total } from "./prom.js";
import type { Stack } from "./stack.js";
import { histogramQuantile, histogramQuantileBucket, percentile } from "./stats.js";
import type { PlannedRequest } from "./workloads.js";

/** EPP flow-control metric names (GIE's). */
export const FC_QUEUE_DURATION = "inference_extension_flow_control_request_queue_duration_seconds";
export const FC_QUEUE_SIZE = "inference_extension_flow_control_queue_size";

/** LoadPlan is one run's traffic and its time bounds, in simulated seconds. */
export interface LoadPlan {
  readonly requests: readonly PlannedRequest[];
  readonly durationS: number;
  /** Requests sent before warmupS are sent but not measured (cold caches, empty queues). */
  readonly warmupS: number;
  /** After the last send, in-flight requests get drainS to finish; the rest are cancelled. */
  readonly drainS: number;
  readonly timeScale: number;
}

/** Distribution is a latency summary in simulated seconds. */
export interface Distribution {
  readonly n: number;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly mean: number | null;
}

/** QueueWait is the EPP's flow-control queue wait of one priority, from its histogram. */
export interface QueueWait {
  readonly count: number;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly mean: number | null;
  /** The histogram bucket holding p90, [lower, upper] (upper null for +Inf): p90 is interpolated inside it. */
  readonly p90Bucket: readonly [number, number | null] | null;
  /** Observations by outcome label (dispatched, rejected, evicted, ...). */
  readonly outcomes: Readonly<Record<string, number>>;
}

/** RunMetrics is everything measured for one (policy, workload, rate). */
export interface RunMetrics {
  readonly sent: number;
  readonly measured: number;
  readonly ok: number;
  /** Answers by HTTP status or failure kind ("200", "429", "503", "timeout", ...), measured requests only. */
  readonly statuses: Readonly<Record<string, number>>;
  /** Error codes of non-200 answers ("route_not_found", ...), measured requests only. */
  readonly errorCodes: Readonly<Record<string, number>>;
  /** Requests cancelled at the end of the drain before their first token (their TTFT is a lower bound). */
  readonly unfinished: number;
  /** Output tokens per simulated second, counted as they arrive within the measurement window. */
  readonly throughput: number;
  /** Completed requests per simulated second within the window. */
  readonly goodput: number;
  readonly ttft: Distribution;
  readonly e2e: Distribution;
  readonly ttftByClass: Readonly<Record<string, Distribution>>;
  readonly statusesByClass: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Share of prompt tokens served from the simulator's prefix cache (from usage.cached_tokens). */
  readonly cacheHitRatio: number | null;
  /** Measured requests per replica (x-devgw-endpoint). */
  readonly perEndpoint: Readonly<Record<string, number>>;
  /** Simulator-side totals over the whole run (warm-up included). */
  readonly sim: { readonly prefixHitRatio: number | null; readonly requestsSucceeded: number };
  /** Flow control (EPP metrics), keyed by priority; empty when it is off. */
  readonly queueWait: Readonly<Record<string, QueueWait>>;
  readonly maxQueueSize: Readonly<Record<string, number>>;
  readonly wallSeconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function distribution(valuesS: readonly number[]): Distribution {
  const r = (v: number | undefined) => (v === undefined ? null : Math.round(v * 10000) / 10000);
  return {
    n: valuesS.length,
    p50: r(percentile(valuesS, 50)),
    p90: r(percentile(valuesS, 90)),
    p99: r(percentile(valuesS, 99)),
    mean: r(valuesS.length ? valuesS.reduce((a, b) => a + b, 0) / valuesS.length : undefined),
  };
}

function increment(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

/**
 * runLoad sends the plan open-loop (each request at its own offset, whatever the answers do),
 * waits for the answers, and measures. It ends by itself: the plan is finite, each request has
 * a deadline, and whatever is still open after the drain is cancelled.
 */
export async function runLoad(stack: Stack, plan: LoadPlan): Promise<RunMetrics> {
  const scale = plan.timeScale;
  const realMs = (simS: number) => simS * 1000 * scale;
  const start = performance.now();
  const clock = () => performance.now() - start;
  const windowStart = realMs(plan.warmupS);
  const windowEnd = realMs(plan.durationS);
  let windowTokens = 0;
  const client = new StreamingClient(
    { host: "127.0.0.1", port: stack.gatewayPort, path: "/v1/chat/completions" },
    clock,
    (at) => {
      if (at >= windowStart && at < windowEnd) windowTokens++;
    },
  );

  // Sample the flow-control queue sizes while the load runs (bounded by the run's end).
  const maxQueueSize: Record<string, number> = {};
  let sampling = stack.eppMetricsPort !== undefined;
  const sampler = (async () => {
    while (sampling && stack.eppMetricsPort !== undefined) {
      const samples = await scrape(stack.eppMetricsPort);
      for (const [priority, size] of samples ? valuesBy(samples, FC_QUEUE_SIZE, "priority") : []) {
        maxQueueSize[priority] = Math.max(maxQueueSize[priority] ?? 0, size);
      }
      await sleep(250);
    }
  })();

  const deadlineMs = realMs(plan.durationS + plan.drainS) + 1000;
  const pending: Promise<RequestOutcome>[] = [];
  const measuredFlags: boolean[] = [];
  for (const r of plan.requests) {
    const due = realMs(r.atS);
    const wait = due - clock();
    if (wait > 1) await sleep(wait);
    measuredFlags.push(r.atS >= plan.warmupS);
    pending.push(client.send(r.cls, r.body, r.headers, Math.max(1000, deadlineMs - clock())));
  }
  const outcomes = await Promise.all(pending);
  sampling = false;
  await sampler;
  client.close();
  const wallSeconds = clock() / 1000;

  const measured = outcomes.filter((_, i) => measuredFlags[i]);
  const statuses: Record<string, number> = {};
  const errorCodes: Record<string, number> = {};
  const perEndpoint: Record<string, number> = {};
  const statusesByClass: Record<string, Record<string, number>> = {};
  const ttfts: number[] = [];
  const e2es: number[] = [];
  const ttftsByClass = new Map<string, number[]>();
  let unfinished = 0;
  let promptTokens = 0;
  let cachedTokens = 0;
  // Completions inside the window, whoever sent them (like the token count).
  const completedInWindow = outcomes.filter((o) => {
    const end = o.sentMs + (o.endMs ?? 0);
    return o.kind === "ok" && end >= windowStart && end < windowEnd;
  }).length;
  for (const o of measured) {
    const status = o.kind === "timeout" ? "timeout" : o.status === 0 ? "network-error" : String(o.status);
    increment(statuses, status);
    statusesByClass[o.cls] ??= {};
    increment(statusesByClass[o.cls]!, status);
    if (o.kind !== "ok" && o.errorCode) increment(errorCodes, o.errorCode);
    if (o.endpoint) increment(perEndpoint, o.endpoint);
    let ttft = o.ttftMs;
    if (ttft === undefined && o.kind === "timeout") {
      unfinished++;
      ttft = o.endMs; // still waiting when cancelled: a lower bound
    }
    if (ttft !== undefined && (o.kind === "ok" || o.kind === "timeout")) {
      const s = ttft / 1000 / scale;
      ttfts.push(s);
      const list = ttftsByClass.get(o.cls) ?? [];
      list.push(s);
      ttftsByClass.set(o.cls, list);
    }
    if (o.kind === "ok") {
      e2es.push((o.endMs ?? 0) / 1000 / scale);
      if (o.cachedTokens !== undefined && o.promptTokens !== undefined) {
        promptTokens += o.promptTokens;
        cachedTokens += o.cachedTokens;
      }
    }
  }

  const windowSimS = plan.durationS - plan.warmupS || 1;
  const sim = await simTotals(stack.simPorts);
  const queue = stack.eppMetricsPort === undefined ? {} : await queueWaits(stack.eppMetricsPort, scale);
  return {
    sent: outcomes.length,
    measured: measured.length,
    ok: measured.filter((o) => o.kind === "ok").length,
    statuses,
    errorCodes,
    unfinished,
    throughput: Math.round((windowTokens / windowSimS) * 10) / 10,
    goodput: Math.round((completedInWindow / windowSimS) * 100) / 100,
    ttft: distribution(ttfts),
    e2e: distribution(e2es),
    ttftByClass: Object.fromEntries([...ttftsByClass].map(([k, v]) => [k, distribution(v)])),
    statusesByClass,
    cacheHitRatio: promptTokens > 0 ? Math.round((cachedTokens / promptTokens) * 1000) / 1000 : null,
    perEndpoint,
    sim,
    queueWait: queue,
    maxQueueSize,
    wallSeconds: Math.round(wallSeconds * 10) / 10,
  };
}

async function simTotals(ports: readonly number[]): Promise<RunMetrics["sim"]> {
  let hits = 0;
  let queries = 0;
  let succeeded = 0;
  for (const port of ports) {
    const samples = await scrape(port);
    if (!samples) continue;
    hits += total(samples, "vllm:prefix_cache_hits_total");
    queries += total(samples, "vllm:prefix_cache_queries_total");
    succeeded += total(samples, "vllm:request_success_total");
  }
  return {
    prefixHitRatio: queries > 0 ? Math.round((hits / queries) * 1000) / 1000 : null,
    requestsSucceeded: succeeded,
  };
}

/** queueWaits reads the flow-control queue-wait histogram per priority (simulated seconds). */
async function queueWaits(port: number, scale: number): Promise<Record<string, QueueWait>> {
  const samples = await scrape(port);
  if (!samples) return {};
  const all = histogramsBy(samples, FC_QUEUE_DURATION, "priority");
  const out: Record<string, QueueWait> = {};
  const r = (v: number | undefined) => (v === undefined ? null : Math.round((v / scale) * 10000) / 10000);
  for (const [priority, h] of all) {
    const outcomes: Record<string, number> = {};
    for (const [outcome, series] of histogramsBy(
      samples,
      FC_QUEUE_DURATION,
      "outcome",
      (l) => l["priority"] === priority,
    ))
      outcomes[outcome] = series.count;
    const bucket = histogramQuantileBucket(0.9, h.buckets);
    out[priority] = {
      count: h.count,
      p50: r(histogramQuantile(0.5, h.buckets)),
      p90: r(histogramQuantile(0.9, h.buckets)),
      mean: r(h.count > 0 ? h.sum / h.count : undefined),
      p90Bucket: bucket ? [r(bucket.lower) ?? 0, Number.isFinite(bucket.upper) ? r(bucket.upper) : null] : null,
      outcomes,
    };
  }
  return out;
}
