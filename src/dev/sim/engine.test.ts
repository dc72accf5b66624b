import { describe, expect, it } from "vitest";
import { type EngineParams, type SequenceSpec, SimEngine } from "./engine.js";

// timeScale 0 makes every simulated delay a setImmediate, so the tests follow the scheduler's
// decisions without depending on wall-clock time.
const params: EngineParams = {
  prefillOverheadMs: 20,
  prefillMsPerToken: 0.25,
  interTokenMs: 12,
  loadFactorAtMax: 2,
  maxNumSeqs: 2,
  blockSize: 16,
  kvBlocks: 64,
  maxLoras: 1,
  timeScale: 0,
};

function spec(overrides: Partial<SequenceSpec> = {}): SequenceSpec {
  return { adapter: undefined, promptTokens: 40, blockHashes: ["b1", "b2"], outputTokens: 3, ...overrides };
}

interface Run {
  readonly started: Promise<number>;
  readonly done: Promise<{ cachedTokens: number; tokens: number[] }>;
  cancel(): void;
}

function run(engine: SimEngine, s: SequenceSpec): Run {
  let onStart!: (n: number) => void;
  let onDone!: (r: { cachedTokens: number; tokens: number[] }) => void;
  const started = new Promise<number>((r) => (onStart = r));
  const done = new Promise<{ cachedTokens: number; tokens: number[] }>((r) => (onDone = r));
  const tokens: number[] = [];
  const handle = engine.submit(s, {
    onStart,
    onToken: (i) => tokens.push(i),
    onDone: ({ cachedTokens }) => onDone({ cachedTokens, tokens }),
  });
  return { started, done, cancel: () => handle.cancel() };
}

describe("SimEngine", () => {
  it("runs at most maxNumSeqs sequences; the rest wait in order", async () => {
    const engine = new SimEngine(params);
    const runs = [run(engine, spec()), run(engine, spec()), run(engine, spec())];
    expect(engine.snapshot()).toMatchObject({ running: 2, waiting: 1 });
    const first = await runs[0]!.done;
    expect(first.tokens).toEqual([0, 1, 2]);
    await runs[2]!.done;
    expect(engine.snapshot()).toMatchObject({ running: 0, waiting: 0, kvUsage: 0 });
  });

  it("reports a prefix cache hit for a repeated prompt", async () => {
    const engine = new SimEngine(params);
    expect((await run(engine, spec()).done).cachedTokens).toBe(0);
    expect((await run(engine, spec()).done).cachedTokens).toBe(32); // two full 16-token blocks
    expect(engine.totals).toEqual({ prefixQueriedTokens: 80, prefixHitTokens: 32 });
  });

  it("holds KV blocks while running: prompt and output", () => {
    const engine = new SimEngine(params);
    run(engine, spec({ promptTokens: 40, outputTokens: 24 })); // 64 tokens = 4 blocks
    expect(engine.kv.usedBlocks).toBe(4);
    expect(engine.snapshot().kvUsage).toBeCloseTo(4 / 64, 9);
  });

  it("waits for KV room, without overtaking", async () => {
    const engine = new SimEngine({ ...params, kvBlocks: 4, maxNumSeqs: 5 });
    const big = run(engine, spec({ blockHashes: [], promptTokens: 48, outputTokens: 16 })); // all 4 blocks
    const next = run(engine, spec({ blockHashes: [], promptTokens: 8, outputTokens: 8 }));
    const small = run(engine, spec({ blockHashes: [], promptTokens: 1, outputTokens: 1 }));
    expect(engine.snapshot()).toMatchObject({ running: 1, waiting: 2 });
    await big.done;
    await Promise.all([next.done, small.done]);
  });

  it("skips a sequence waiting for a LoRA slot so others can run", () => {
    const engine = new SimEngine({ ...params, maxNumSeqs: 5 });
    run(engine, spec({ adapter: "a" }));
    run(engine, spec({ adapter: "b" })); // max_loras 1: waits
    run(engine, spec({ adapter: undefined }));
    run(engine, spec({ adapter: "a" }));
    expect(engine.snapshot()).toEqual({
      running: 3,
      waiting: 1,
      kvUsage: expect.any(Number),
      runningAdapters: ["a"],
      waitingAdapters: ["b"],
    });
  });

  it("cancel frees the slot and blocks and admits the next", async () => {
    const engine = new SimEngine({ ...params, maxNumSeqs: 1 });
    const a = run(engine, spec({ outputTokens: 500 }));
    const b = run(engine, spec());
    expect(engine.snapshot()).toMatchObject({ running: 1, waiting: 1 });
    a.cancel();
    expect(await b.started).toBe(32);
    await b.done;
    expect(engine.kv.usedBlocks).toBe(0);
  });

  it("close cancels everything", () => {
    const engine = new SimEngine(params);
    for (let i = 0; i < 4; i++) run(engine, spec());
    engine.close();
    expect(engine.snapshot()).toMatchObject({ running: 0, waiting: 0, kvUsage: 0 });
  });
});
