import { Rng, text } from "./random.js";

/** MODEL is the base model the simulator pool serves. */
export const MODEL = "llama-3-8b";

/** OBJECTIVE_HEADER carries the InferenceObjective name the EPP resolves to a priority. */
export const OBJECTIVE_HEADER = "x-gateway-inference-objective";

/** PlannedRequest is one request of a run: when to send it (simulated seconds from start) and what. */
export interface PlannedRequest {
  readonly atS: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  /** cls groups requests in the report: the prefix group, size class or objective. */
  readonly cls: string;
  readonly promptTokens: number;
  readonly maxTokens: number;
}

/** Workload builds the same request sequence for every policy at a given rate. */
export interface Workload {
  readonly name: WorkloadName;
  readonly description: string;
  /** Classes worth a TTFT column of their own in the report (size classes); empty for none. */
  readonly classes: readonly string[];
  build(rate: number, durationS: number, seed: number): PlannedRequest[];
}

export type WorkloadName = "shared-prefix" | "mixed" | "priority";

/** SharedPrefixParams mirror inference-perf's shared_prefix dataset (lengths in tokens). */
export interface SharedPrefixParams {
  readonly groups: number;
  readonly systemPromptTokens: number;
  readonly questionTokens: readonly [number, number];
  readonly outputTokens: number;
}

/** ObjectiveShare is one priority class of the priority mix. */
export interface ObjectiveShare {
  readonly objective: string;
  readonly priority: number;
  readonly share: number;
}

/** PRIORITY_OBJECTIVES are the classes of the priority mix and the objectives file. */
export const PRIORITY_OBJECTIVES: readonly ObjectiveShare[] = [
  { objective: "critical", priority: 10, share: 0.2 },
  { objective: "standard", priority: 0, share: 0.4 },
  { objective: "sheddable-batch", priority: -1, share: 0.4 },
];

/** objectivesYaml is the EPP objectives file for the priority mix. */
export function objectivesYaml(): string {
  return `objectives:\n${PRIORITY_OBJECTIVES.map((o) => `- {name: ${o.objective}, priority: ${o.priority}}`).join("\n")}\n`;
}

function chatBody(system: string | undefined, user: string, maxTokens: number): string {
  const messages = system === undefined ? [] : [{ role: "system", content: system }];
  messages.push({ role: "user", content: user });
  return JSON.stringify({ model: MODEL, messages, max_tokens: maxTokens, stream: true });
}

/** arrivals are Poisson arrival offsets (simulated seconds) over [0, durationS). */
function arrivals(rng: Rng, rate: number, durationS: number): number[] {
  const out: number[] = [];
  for (let t = rng.exponential(rate); t < durationS; t += rng.exponential(rate)) out.push(t);
  return out;
}

const JSON_HEADERS = { "content-type": "application/json" } as const;

/**
 * sharedPrefix: `groups` long system prompts, each shared by its group's requests, followed by
 * a short question unique to the request. Groups are drawn uniformly per request.
 */
export function sharedPrefix(p: SharedPrefixParams): Workload {
  return {
    name: "shared-prefix",
    classes: [],
    description:
      `${p.groups} groups × ${p.systemPromptTokens}-token system prompt + ${p.questionTokens[0]}-` +
      `${p.questionTokens[1]}-token unique question, ${p.outputTokens} output tokens`,
    build(rate, durationS, seed) {
      // System prompts depend on the seed only, so every rate of a run shares them.
      const prompts = Array.from({ length: p.groups }, (_, g) =>
        text(new Rng(seed * 1000 + g), p.systemPromptTokens, `[tenant ${g}] You are the assistant of tenant ${g}.`),
      );
      const rng = new Rng(seed ^ Math.round(rate * 1000));
      return arrivals(rng, rate, durationS).map((atS, i) => {
        const g = rng.int(0, p.groups - 1);
        const qTokens = rng.int(p.questionTokens[0], p.questionTokens[1]);
        const question = text(rng, qTokens, `Question ${i}:`);
        return {
          atS,
          body: chatBody(prompts[g]!, question, p.outputTokens),
          headers: JSON_HEADERS,
          cls: `group-${g}`,
          promptTokens: p.systemPromptTokens + qTokens,
          maxTokens: p.outputTokens,
        };
      });
    },
  };
}

/** SizeClass is one class of the mixed-size workload (token ranges, inclusive). */
export interface SizeClass {
  readonly name: string;
  readonly share: number;
  readonly promptTokens: readonly [number, number];
  readonly outputTokens: readonly [number, number];
}

/** mixed: unique prompts (nothing shared) of very different sizes, so load awareness matters. */
export function mixed(classes: readonly SizeClass[]): Workload {
  return {
    name: "mixed",
    classes: classes.map((c) => c.name),
    description: classes
      .map(
        (c) =>
          `${Math.round(c.share * 100)}% ${c.name} (${c.promptTokens[0]}-${c.promptTokens[1]} in, ` +
          `${c.outputTokens[0]}-${c.outputTokens[1]} out)`,
      )
      .join(", "),
    build(rate, durationS, seed) {
      const rng = new Rng(seed ^ Math.round(rate * 1000) ^ 0x5eed);
      return arrivals(rng, rate, durationS).map((atS, i) => {
        const c = rng.pick(classes.map((k) => [k, k.share] as const));
        const promptTokens = rng.int(c.promptTokens[0], c.promptTokens[1]);
        const maxTokens = rng.int(c.outputTokens[0], c.outputTokens[1]);
        return {
          atS,
          body: chatBody(undefined, text(rng, promptTokens, `Request ${i} (${c.name}):`), maxTokens),
          headers: JSON_HEADERS,
          cls: c.name,
          promptTokens,
          maxTokens,
        };
      });
    },
  };
}

/** PriorityParams size the priority mix's requests (unique prompts). */
export interface PriorityParams {
  readonly promptTokens: readonly [number, number];
  readonly outputTokens: number;
}

/** priorityMix: unique prompts tagged with an objective (critical / standard / sheddable-batch). */
export function priorityMix(p: PriorityParams): Workload {
  return {
    name: "priority",
    classes: PRIORITY_OBJECTIVES.map((o) => o.objective),
    description:
      PRIORITY_OBJECTIVES.map((o) => `${Math.round(o.share * 100)}% ${o.objective} (priority ${o.priority})`).join(
        ", ",
      ) + `; ${p.promptTokens[0]}-${p.promptTokens[1]} prompt tokens, ${p.outputTokens} output tokens`,
    build(rate, durationS, seed) {
      const rng = new Rng(seed ^ Math.round(rate * 1000) ^ 0x9e37);
      return arrivals(rng, rate, durationS).map((atS, i) => {
        const o = rng.pick(PRIORITY_OBJECTIVES.map((k) => [k, k.share] as const));
        const promptTokens = rng.int(p.promptTokens[0], p.promptTokens[1]);
        return {
          atS,
          body: chatBody(undefined, text(rng, promptTokens, `Request ${i} (${o.objective}):`), p.outputTokens),
          headers: { ...JSON_HEADERS, [OBJECTIVE_HEADER]: o.objective },
          cls: o.objective,
          promptTokens,
          maxTokens: p.outputTokens,
        };
      });
    },
  };
}
