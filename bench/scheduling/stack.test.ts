import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { POOL } from "./plan.js";
import { configYaml, POLICIES, type PolicyName } from "./policies.js";
import { runLoad } from "./runner.js";
import { startStack } from "./stack.js";
import { objectivesYaml, sharedPrefix } from "./workloads.js";

// The benchmark's own plumbing against the real binaries in dist/ (run `npm run build` first):
// every policy's stack starts, serves a short shared-prefix load and stops.
const workDir = mkdtempSync(join(tmpdir(), "bench-scheduling-test-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const SMALL = sharedPrefix({ groups: 2, systemPromptTokens: 300, questionTokens: [5, 10], outputTokens: 4 });
const TIME_SCALE = 0.05;

describe("bench stack", () => {
  it.each<PolicyName>(["round-robin", "random", "load-aware", "default", "flow-control"])(
    "%s serves every request of a short run",
    async (name) => {
      const policy = POLICIES[name];
      const stack = await startStack({
        pool: { ...POOL, timeScale: TIME_SCALE },
        epp: policy.useEpp ? { configYaml: configYaml(policy), refreshMetricsInterval: "50ms" } : undefined,
        withBbr: name === "default",
        objectivesYaml: objectivesYaml(),
        workDir,
        runId: name,
      });
      try {
        const requests = SMALL.build(20, 2, 1);
        const m = await runLoad(stack, { requests, durationS: 2, warmupS: 0, drainS: 20, timeScale: TIME_SCALE });
        expect(m.sent).toBe(requests.length);
        expect(m.statuses).toEqual({ "200": requests.length });
        expect(m.unfinished).toBe(0);
        expect(m.ttft.n).toBe(requests.length);
        expect(m.sim.requestsSucceeded).toBe(requests.length);
        const endpoints = stack.simPorts.map((p) => `127.0.0.1:${p}`);
        for (const e of Object.keys(m.perEndpoint)) expect(endpoints).toContain(e);
        expect(Object.values(m.perEndpoint).reduce((a, b) => a + b, 0)).toBe(requests.length);
        if (name === "round-robin") expect(Object.keys(m.perEndpoint)).toHaveLength(POOL.replicas);
        if (name === "flow-control") {
          // No objective header: everything is priority 0 and leaves the queue dispatched.
          expect(Object.keys(m.queueWait)).toEqual(["0"]);
          expect(m.queueWait["0"]?.outcomes).toEqual({ dispatched: requests.length });
        } else {
          expect(m.queueWait).toEqual({});
        }
      } finally {
        await stack.stop();
      }
    },
  );
});
