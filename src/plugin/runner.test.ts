import { describe, expect, it } from "vitest";
import type { Plugin } from "./plugin.js";
import {
  type DurationObserver,
  type FailureKind,
  histogramDurations,
  PluginStep,
  type PluginPolicy,
  recordDuration,
  runChain,
  type StepListener,
} from "./runner.js";

const plugin = (name: string): Plugin => ({ typedName: { type: "test", name } });

class Answer extends Error {}

interface Recorder {
  readonly log: string[];
  readonly failures: { name: string; kind: FailureKind; message: string; subject: unknown }[];
  readonly observed: Map<string, number>;
}

function recorder(): Recorder {
  return { log: [], failures: [], observed: new Map() };
}

type Behaviour = "ok" | "throw" | "answer" | "async" | "reject" | "hang";

/** step builds a step whose plugin behaves as told, recording calls, failures and durations in rec. */
function step(rec: Recorder, name: string, behaviour: Behaviour, policy?: PluginPolicy) {
  const duration: DurationObserver = { observe: () => rec.observed.set(name, (rec.observed.get(name) ?? 0) + 1) };
  return new PluginStep(
    plugin(name),
    "TestPoint",
    (subject: string): void | Promise<void> => {
      rec.log.push(`${name}(${subject})`);
      switch (behaviour) {
        case "ok":
          return;
        case "throw":
          throw new Error(`${name} broke`);
        case "answer":
          throw new Answer(`${name} answers`);
        case "async":
          return Promise.resolve();
        case "reject":
          return Promise.reject(new Error(`${name} rejected`));
        case "hang":
          return new Promise<void>(() => {});
      }
    },
    {
      duration,
      ...(policy ? { policy } : {}),
      reportFailure: (p, kind, e, subject) =>
        rec.failures.push({ name: p.typedName.name, kind, message: (e as Error).message, subject }),
      isAnswer: (e) => e instanceof Answer,
      failWith: (kind, e) => new Error(`failed (${kind}): ${(e as Error).message}`),
    },
  );
}

const IGNORE: PluginPolicy = { failurePolicy: "Ignore", timeoutMs: 20 };
const FAIL: PluginPolicy = { failurePolicy: "Fail", timeoutMs: 20 };

async function settle(run: () => void | Promise<void>): Promise<string> {
  try {
    await run();
    return "ok";
  } catch (e) {
    return (e as Error).message;
  }
}

describe("runChain", () => {
  it("runs an all-synchronous chain without a promise, observing each step once", () => {
    const rec = recorder();
    const steps = [step(rec, "a", "ok"), step(rec, "b", "ok")];
    expect(runChain(steps, ["r"])).toBeUndefined();
    expect(rec.log).toEqual(["a(r)", "b(r)"]);
    expect([...rec.observed]).toEqual([
      ["a", 1],
      ["b", 1],
    ]);
  });

  it("continues asynchronously from the first plugin that returns a promise", async () => {
    const rec = recorder();
    const steps = [step(rec, "a", "ok"), step(rec, "b", "async"), step(rec, "c", "ok")];
    const pending = runChain(steps, ["r"]);
    expect(pending).toBeInstanceOf(Promise);
    expect(rec.log).toEqual(["a(r)", "b(r)"]);
    await pending;
    expect(rec.log).toEqual(["a(r)", "b(r)", "c(r)"]);
    expect([...rec.observed.keys()]).toEqual(["a", "b", "c"]);
  });

  it.each([
    { name: "sync error, Ignore", behaviour: "throw", policy: IGNORE, want: "ok", kind: "error" },
    { name: "sync error, Fail", behaviour: "throw", policy: FAIL, want: "failed (error): a broke", kind: "error" },
    { name: "rejection, Ignore", behaviour: "reject", policy: IGNORE, want: "ok", kind: "error" },
    { name: "rejection, Fail", behaviour: "reject", policy: FAIL, want: "failed (error): a rejected", kind: "error" },
    { name: "timeout, Ignore", behaviour: "hang", policy: IGNORE, want: "ok", kind: "timeout" },
    {
      name: "timeout, Fail",
      behaviour: "hang",
      policy: FAIL,
      want: "failed (timeout): no answer within 20 ms",
      kind: "timeout",
    },
    { name: "an answer under Ignore", behaviour: "answer", policy: IGNORE, want: "a answers", kind: undefined },
    { name: "an answer under Fail", behaviour: "answer", policy: FAIL, want: "a answers", kind: undefined },
  ] as const)("$name", async ({ behaviour, policy, want, kind }) => {
    const rec = recorder();
    const steps = [step(rec, "a", behaviour, policy), step(rec, "b", "ok")];
    expect(await settle(() => runChain(steps, ["r"]))).toBe(want);
    // A failure is reported (with the call's subject) whatever the policy; an answer never is.
    expect(rec.failures.map((f) => [f.name, f.kind, f.subject])).toEqual(kind ? [["a", kind, "r"]] : []);
    // The next plugin runs only when the failure was ignored.
    expect(rec.log.includes("b(r)")).toBe(want === "ok");
    // The failing call was observed too.
    expect(rec.observed.get("a")).toBe(1);
  });

  it("hands every finished call to the listener instead of the step's series", async () => {
    const rec = recorder();
    const steps = [step(rec, "a", "ok"), step(rec, "b", "async")];
    const heard: string[] = [];
    const listener: StepListener<(typeof steps)[number]> = (s, seconds) => {
      expect(seconds).toBeGreaterThanOrEqual(0);
      heard.push(`${s.plugin.typedName.name}@${s.extensionPoint}`);
    };
    await runChain(steps, ["r"], listener);
    expect(heard).toEqual(["a@TestPoint", "b@TestPoint"]);
    expect(rec.observed.size).toBe(0);
    await runChain(steps, ["r"], (s, seconds) => recordDuration(s, seconds));
    expect(rec.observed.size).toBe(2);
  });
});

describe("PluginStep.call", () => {
  const sum = (rec: Recorder) =>
    new PluginStep(
      plugin("sum"),
      "Adder",
      (a: number, b: number, c: number) => {
        if (a < 0) throw new Error("negative");
        return a + b + c;
      },
      {
        duration: { observe: () => rec.log.push("observed") },
        reportFailure: (p, kind, _e, subject) =>
          rec.failures.push({ name: p.typedName.name, kind, message: "", subject }),
      },
    );

  it("returns the plugin's result and observes the call", () => {
    const rec = recorder();
    expect(sum(rec).call(1, 2, 3)).toBe(6);
    expect(rec.log).toEqual(["observed"]);
  });

  it("rethrows a failure as it is by default, after observing and reporting it", () => {
    const rec = recorder();
    expect(() => sum(rec).call(-1, 0, 0)).toThrow("negative");
    expect(rec.log).toEqual(["observed"]);
    expect(rec.failures).toEqual([{ name: "sum", kind: "error", message: "", subject: -1 }]);
  });

  it("returns undefined for an ignored failure", () => {
    const rec = recorder();
    const ignoring = new PluginStep(
      plugin("observer"),
      "Observer",
      (_: string): void => {
        throw new Error("broken observer");
      },
      {
        policy: IGNORE,
        reportFailure: (p, kind) => rec.failures.push({ name: p.typedName.name, kind, message: "", subject: "" }),
      },
    );
    expect(ignoring.call("x")).toBeUndefined();
    expect(rec.failures.map((f) => f.name)).toEqual(["observer"]);
  });
});

describe("histogramDurations", () => {
  it("resolves one labelled child per step, never per call", () => {
    const resolved: Record<string, string>[] = [];
    let observed = 0;
    const histogram = {
      labels(labels: Record<string, string>) {
        resolved.push(labels);
        return { observe: () => observed++ };
      },
    };
    const p: Plugin = { typedName: { type: "queue-scorer", name: "q" } };
    const scorer = new PluginStep(p, "Scorer", () => 1, { duration: histogramDurations(histogram)(p, "Scorer") });
    for (let i = 0; i < 3; i++) scorer.call();
    expect(resolved).toEqual([{ extension_point: "Scorer", plugin_type: "queue-scorer", plugin_name: "q" }]);
    expect(observed).toBe(3);
  });
});
