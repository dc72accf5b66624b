import { describe, expect, it } from "vitest";
import { BENCH_MODEL, chunked, chunkSizes, makeBody } from "../../bench/corpus.js";
import { MessageBody } from "../../src/bbr/api/message-body.js";

// The benchmark's bodies must be what they claim (valid JSON of about the asked size, the model
// where asked), chunked as Envoy would, and read by the scanner exactly as JSON.parse reads them.

describe("bench corpus", () => {
  const cases = (["chat", "code", "image"] as const).flatMap((content) =>
    [1024, 100 * 1024, 1024 * 1024].flatMap((size) =>
      (["first", "last"] as const).map((modelPosition) => ({ content, size, modelPosition })),
    ),
  );

  it.each(cases)("$content $size model $modelPosition", (spec) => {
    const body = makeBody(spec);
    expect(body.length).toBeGreaterThan(spec.size * 0.9);
    expect(body.length).toBeLessThan(spec.size * 1.1);
    const parsed = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
    expect(parsed["model"]).toBe(BENCH_MODEL);
    const keys = Object.keys(parsed);
    expect(spec.modelPosition === "first" ? keys[0] : keys[keys.length - 1]).toBe("model");
    expect(makeBody(spec).equals(body)).toBe(true);

    const scanned = new MessageBody("json");
    for (const c of chunked(body)) scanned.append(c);
    expect(() => scanned.validate()).not.toThrow();
    for (const k of keys) expect(scanned.field(k)).toEqual(parsed[k]);
  });

  it("chunks bodies in 16–64 KiB pieces", () => {
    const sizes = chunkSizes(10 * 1024 * 1024);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10 * 1024 * 1024);
    for (const s of sizes.slice(0, -1)) {
      expect(s).toBeGreaterThanOrEqual(16 * 1024);
      expect(s).toBeLessThanOrEqual(64 * 1024);
    }
    expect(chunkSizes(1000)).toEqual([1000]);
  });
});
