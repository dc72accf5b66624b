import { silentLogger } from "../../../src/common/logger.js";
import { CycleState } from "../../../src/plugin/cycle-state.js";
import { EndpointState } from "../../../src/epp/datalayer/datastore.js";
import type { Endpoint, EndpointMetadata, EndpointMetrics } from "../../../src/epp/api/endpoint.js";
import type { EppPluginHandle, Hasher64 } from "../../../src/epp/api/handle.js";
import type { LlmRequest } from "../../../src/epp/api/request.js";
import type { ScoredEndpoint, Scorer, SchedulingResult } from "../../../src/epp/api/scheduling.js";
import { OpenAiParser } from "../../../src/epp/plugins/parser/openai-parser/openai-parser.js";
import { loadHasher } from "../../../src/epp/plugins/prefix/hashing.js";
import { seededRandom } from "./random.js";

/** NOW is the scheduling clock used by unit tests (metrics scraped at NOW are fresh). */
export const NOW = 10_000;

/** MetricsInit is EndpointMetrics with plain arrays for the LoRA sets, every field optional. */
export type MetricsInit = Partial<Omit<EndpointMetrics, "activeModels" | "waitingModels">> & {
  activeModels?: string[];
  waitingModels?: string[];
};

/**
 * endpoint builds a real data-layer endpoint at 10.0.0.<n>:8000 (or `key`), with metrics as if
 * scraped at NOW unless `metrics` is null (never scraped).
 */
export function endpoint(
  id: number | string,
  metrics: MetricsInit | null = {},
  metadata: Partial<EndpointMetadata> = {},
  stalenessMs = 2000,
): EndpointState {
  const key = typeof id === "number" ? `10.0.0.${id}:8000` : id;
  const [address, port] = key.split(":") as [string, string];
  const state = new EndpointState(
    {
      key,
      name: `ep-${key}`,
      namespace: "default",
      podName: `pod-${key}`,
      address,
      port: Number(port),
      metricsPort: Number(port),
      labels: {},
      models: [],
      loraAdapters: [],
      maxLoras: undefined,
      ...metadata,
    },
    stalenessMs,
  );
  if (metrics) {
    state.lastMetrics = {
      waitingQueueSize: 0,
      runningRequestsSize: 0,
      kvCacheUsagePercent: 0,
      maxActiveModels: 0,
      cacheBlockSize: 0,
      cacheNumBlocks: 0,
      updatedAt: NOW,
      ...metrics,
      activeModels: new Set(metrics.activeModels ?? []),
      waitingModels: new Set(metrics.waitingModels ?? []),
    };
  }
  return state;
}

/** RequestInit describes a test request; body defaults to a chat completion for model m1. */
export interface TestRequestInit {
  readonly body?: Record<string, unknown>;
  readonly path?: string;
  readonly targetModel?: string;
  readonly priority?: number;
  readonly now?: number;
}

const parser = new OpenAiParser("openai-parser");
const encoder = new TextEncoder();

/** inferenceRequest builds an LlmRequest through the real openai-parser. */
export function inferenceRequest(init: TestRequestInit = {}): LlmRequest {
  const body = init.body ?? { model: "m1", messages: [{ role: "user", content: "hello" }] };
  const parsed = parser.parse(init.path ?? "/v1/chat/completions", encoder.encode(JSON.stringify(body)));
  if (!parsed.ok) throw new Error(parsed.error.message);
  return {
    ...parsed.value,
    requestId: "test",
    targetModel: init.targetModel ?? parsed.value.model,
    objective: undefined,
    priority: init.priority ?? 0,
    fairnessId: "default-flow",
    headers: new Map(),
    bodyBytes: 0,
    state: new CycleState(),
    now: init.now ?? NOW,
  };
}

let hasher: Promise<Hasher64> | undefined;

/** testHandle is a plugin handle with the real xxhash, a seeded random source and a fixed endpoint list. */
export async function testHandle(endpoints: readonly Endpoint[] = [], seed = 7): Promise<EppPluginHandle> {
  hasher ??= loadHasher();
  return { logger: silentLogger(), hasher: await hasher, random: seededRandom(seed), endpoints: () => endpoints };
}

/** keys lists endpoint keys (for readable assertions). */
export function keys(endpoints: readonly Endpoint[]): string[] {
  return endpoints.map((e) => e.metadata.key);
}

/** UNKNOWN_METRICS marks an endpoint that was never scraped (for `endpoint` and `scoresFor`). */
export const UNKNOWN_METRICS = null;

/** scoresFor scores endpoints 10.0.0.1, 10.0.0.2, … built with `metrics` (null: never scraped) at `now`. */
export function scoresFor(scorer: Scorer, metrics: readonly (MetricsInit | null)[], now = NOW): number[] {
  const endpoints = metrics.map((m, i) => endpoint(i + 1, m));
  return Array.from(scorer.score(inferenceRequest({ now }), endpoints));
}

/** scoredEndpoints pairs endpoints 10.0.0.1, 10.0.0.2, … with the given scores (picker input). */
export function scoredEndpoints(values: readonly number[]): ScoredEndpoint[] {
  return values.map((score, i) => ({ endpoint: endpoint(i + 1), score }));
}

/** tallyFirstPicks runs `pick` `runs` times and counts how often each key came first. */
export function tallyFirstPicks(pick: () => string[], runs: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < runs; i++) {
    const first = pick()[0]!;
    counts.set(first, (counts.get(first) ?? 0) + 1);
  }
  return counts;
}

/** singleProfileResult is the scheduling result of one "default" profile that chose `target`. */
export function singleProfileResult(target: Endpoint): SchedulingResult {
  return { primaryProfileName: "default", profileResults: new Map([["default", { targetEndpoints: [target] }]]) };
}
