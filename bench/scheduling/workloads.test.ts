import { describe, expect, it } from "vitest";
import { parseObjectivesFile } from "../../src/epp/requestcontrol/objectives.js";
import {
  mixed,
  OBJECTIVE_HEADER,
  objectivesYaml,
  PRIORITY_OBJECTIVES,
  priorityMix,
  sharedPrefix,
} from "./workloads.js";

interface Body {
  model: string;
  messages: { role: string; content: string }[];
  max_tokens: number;
  stream: boolean;
}
const parse = (b: string) => JSON.parse(b) as Body;

const SHARED = sharedPrefix({ groups: 4, systemPromptTokens: 500, questionTokens: [10, 20], outputTokens: 8 });
const MIXED = mixed([
  { name: "short", share: 0.5, promptTokens: [10, 20], outputTokens: [1, 4] },
  { name: "long", share: 0.5, promptTokens: [300, 400], outputTokens: [5, 9] },
]);
const PRIORITY = priorityMix({ promptTokens: [50, 60], outputTokens: 4 });

describe("workloads", () => {
  it.each([SHARED, MIXED, PRIORITY])("$name is deterministic per seed and rate, Poisson over the duration", (w) => {
    const a = w.build(20, 30, 7);
    expect(w.build(20, 30, 7)).toEqual(a);
    expect(w.build(20, 30, 8)).not.toEqual(a);
    // About rate × duration arrivals, in order, inside [0, duration).
    expect(a.length).toBeGreaterThan(450);
    expect(a.length).toBeLessThan(750);
    for (let i = 1; i < a.length; i++) expect(a[i]!.atS).toBeGreaterThan(a[i - 1]!.atS);
    expect(a.at(-1)!.atS).toBeLessThan(30);
    for (const r of a) {
      const body = parse(r.body);
      expect(body.model).toBe("llama-3-8b");
      expect(body.stream).toBe(true);
      expect(body.max_tokens).toBe(r.maxTokens);
      expect(r.headers["content-type"]).toBe("application/json");
      // 4 characters per token, as both the simulator and the EPP count.
      const chars = body.messages.reduce((n, m) => n + m.content.length, 0);
      expect(chars).toBe(r.promptTokens * 4);
    }
  });

  it("shared-prefix: a group's requests share the system prompt exactly; questions are unique", () => {
    const reqs = SHARED.build(10, 20, 1);
    const systems = new Map<string, Set<string>>();
    const questions = new Set<string>();
    for (const r of reqs) {
      const [system, user] = parse(r.body).messages;
      expect(system!.role).toBe("system");
      expect(system!.content).toHaveLength(2000);
      expect(system!.content.startsWith(`[tenant ${r.cls.slice("group-".length)}]`)).toBe(true);
      systems.set(r.cls, (systems.get(r.cls) ?? new Set()).add(system!.content));
      questions.add(user!.content);
    }
    expect([...systems.keys()].sort()).toEqual(["group-0", "group-1", "group-2", "group-3"]);
    for (const s of systems.values()) expect(s.size).toBe(1);
    expect(new Set([...systems.values()].map((s) => [...s][0])).size).toBe(4);
    expect(questions.size).toBe(reqs.length);
    // The prompts depend on the seed only: every rate of a sweep uses the same groups.
    expect(parse(SHARED.build(5, 20, 1)[0]!.body).messages[0]!.content).toBe(
      systems
        .get(SHARED.build(5, 20, 1)[0]!.cls)!
        .values()
        .next().value,
    );
  });

  it("mixed: unique prompts in the configured ranges", () => {
    const reqs = MIXED.build(10, 20, 3);
    expect(new Set(reqs.map((r) => r.body)).size).toBe(reqs.length);
    for (const r of reqs) {
      const [lo, hi] = r.cls === "short" ? [10, 20] : [300, 400];
      expect(r.promptTokens).toBeGreaterThanOrEqual(lo);
      expect(r.promptTokens).toBeLessThanOrEqual(hi);
    }
    expect(new Set(reqs.map((r) => r.cls))).toEqual(new Set(["short", "long"]));
  });

  it("priority: every request names an objective of the objectives file, which the EPP accepts", () => {
    const reqs = PRIORITY.build(20, 20, 5);
    const names = new Set(PRIORITY_OBJECTIVES.map((o) => o.objective));
    for (const r of reqs) {
      expect(names.has(r.headers[OBJECTIVE_HEADER]!)).toBe(true);
      expect(r.cls).toBe(r.headers[OBJECTIVE_HEADER]);
    }
    const parsed = parseObjectivesFile(objectivesYaml(), "objectives.yaml");
    expect(parsed.ok && Object.fromEntries(parsed.value)).toEqual({ critical: 10, standard: 0, "sheddable-batch": -1 });
  });
});
