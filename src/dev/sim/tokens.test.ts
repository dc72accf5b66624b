import { describe, expect, it } from "vitest";
import { outputText, outputToken, promptBlockHashes, tokenCount } from "./tokens.js";

describe("tokenCount", () => {
  it.each([
    { text: "", want: 0 },
    { text: "abc", want: 1 },
    { text: "abcd", want: 1 },
    { text: "abcde", want: 2 },
    { text: "x".repeat(1024), want: 256 },
  ])("$want tokens for $text.length chars", ({ text, want }) => {
    expect(tokenCount(text)).toBe(want);
  });
});

describe("promptBlockHashes", () => {
  const block = (c: string) => c.repeat(16 * 4); // one 16-token block

  it("hashes full blocks only", () => {
    expect(promptBlockHashes(block("a") + block("b") + "tail", 16)).toHaveLength(2);
    expect(promptBlockHashes("short", 16)).toEqual([]);
  });

  it("chains: a shared prefix shares hashes, a divergence changes every later block", () => {
    const x = promptBlockHashes(block("a") + block("b") + block("c"), 16);
    const y = promptBlockHashes(block("a") + block("z") + block("c"), 16);
    expect(y[0]).toBe(x[0]);
    expect(y[1]).not.toBe(x[1]);
    expect(y[2]).not.toBe(x[2]); // same text, different prefix
  });
});

describe("output text", () => {
  it("is 4-character tokens that join into the sentence", () => {
    expect(outputToken(0)).toBe("This");
    expect(outputText(5)).toBe("This is a simulated ");
    for (let i = 0; i < 40; i++) expect(outputToken(i)).toHaveLength(4);
  });
});
