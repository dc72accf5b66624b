import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChunkList } from "./chunk-list.js";

function listOf(...pieces: string[]): ChunkList {
  const list = new ChunkList();
  for (const p of pieces) list.push(Buffer.from(p));
  return list;
}

describe("ChunkList", () => {
  it.each([
    { name: "inside one chunk", pieces: ["abc", "defg", "hi"], start: 4, end: 6, want: "ef" },
    { name: "whole chunk", pieces: ["abc", "defg", "hi"], start: 3, end: 7, want: "defg" },
    { name: "across two chunks", pieces: ["abc", "defg", "hi"], start: 2, end: 5, want: "cde" },
    { name: "across three chunks", pieces: ["abc", "defg", "hi"], start: 1, end: 9, want: "bcdefghi" },
    { name: "empty range", pieces: ["abc"], start: 2, end: 2, want: "" },
  ])("bytes: $name", ({ pieces, start, end, want }) => {
    expect(Buffer.from(listOf(...pieces).bytes(start, end)).toString()).toBe(want);
  });

  it("returns a view, not a copy, for a range inside one chunk", () => {
    const chunk = Buffer.from("hello world");
    const list = new ChunkList();
    list.push(chunk);
    expect(list.bytes(6, 11).buffer).toBe(chunk.buffer);
  });

  it("drops empty chunks and joins once", () => {
    const list = listOf("ab", "", "cd");
    expect(list.count).toBe(2);
    expect(list.length).toBe(4);
    const joined = list.join();
    expect(Buffer.from(joined).toString()).toBe("abcd");
    expect(list.join()).toBe(joined);
    list.push(Buffer.from("e"));
    expect(Buffer.from(list.join()).toString()).toBe("abcde");
  });

  it("joins nothing and one chunk without copying", () => {
    expect(new ChunkList().join().length).toBe(0);
    const chunk = Buffer.from("x");
    const list = new ChunkList();
    list.push(chunk);
    expect(list.join()).toBe(chunk);
  });

  it.each([
    { name: "equal, one chunk", pieces: ["xmodelx"], start: 1, end: 6, text: "model", want: true },
    { name: "equal across chunks", pieces: ["xmo", "d", "elx"], start: 1, end: 6, text: "model", want: true },
    { name: "different", pieces: ["xmodalx"], start: 1, end: 6, text: "model", want: false },
    { name: "longer text", pieces: ["xmodelx"], start: 1, end: 6, text: "models", want: false },
    { name: "shorter text", pieces: ["xmodelx"], start: 1, end: 6, text: "mode", want: false },
    { name: "empty", pieces: ['""'], start: 1, end: 1, text: "", want: true },
    { name: "non-ASCII byte: undecided", pieces: ["xmodél"], start: 1, end: 7, text: "modél", want: undefined },
  ])("asciiEquals: $name", ({ pieces, start, end, text, want }) => {
    expect(listOf(...pieces).asciiEquals(start, end, text)).toBe(want);
  });

  it("clear forgets everything", () => {
    const list = listOf("ab", "cd");
    list.clear();
    expect([list.length, list.count, list.join().length]).toEqual([0, 0, 0]);
  });

  it("any range of any split equals the same range of the whole", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.array(fc.nat()),
        fc.nat(),
        fc.nat(),
        (bytes, cuts, a, b) => {
          const list = new ChunkList();
          let from = 0;
          for (const cut of [...new Set(cuts.map((c) => c % bytes.length))]
            .sort((x, y) => x - y)
            .concat(bytes.length)) {
            list.push(bytes.subarray(from, cut));
            from = Math.max(from, cut);
          }
          const [start, end] = [a % (bytes.length + 1), b % (bytes.length + 1)].sort((x, y) => x - y) as [
            number,
            number,
          ];
          expect(Array.from(list.bytes(start, end))).toEqual(Array.from(bytes.subarray(start, end)));
        },
      ),
    );
  });
});
