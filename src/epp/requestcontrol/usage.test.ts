import { describe, expect, it } from "vitest";
import { UsageTracker, usageOf } from "./usage.js";

const enc = new TextEncoder();

function track(chunks: string[], streaming: boolean | undefined, max = 1 << 20) {
  const t = new UsageTracker(streaming, max);
  for (const c of chunks) t.push(enc.encode(c));
  return t.finish();
}

describe("usageOf", () => {
  it.each([
    {
      name: "chat/completions",
      u: { prompt_tokens: 5, completion_tokens: 7 },
      want: { promptTokens: 5, completionTokens: 7, cachedTokens: undefined },
    },
    {
      name: "cached prompt tokens",
      u: { prompt_tokens: 5, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 4 } },
      want: { promptTokens: 5, completionTokens: 7, cachedTokens: 4 },
    },
    {
      name: "responses API",
      u: { input_tokens: 3, output_tokens: 9 },
      want: { promptTokens: 3, completionTokens: 9, cachedTokens: undefined },
    },
    {
      name: "embeddings (no completion)",
      u: { prompt_tokens: 8, total_tokens: 8 },
      want: { promptTokens: 8, completionTokens: 0, cachedTokens: undefined },
    },
    { name: "null", u: null, want: undefined },
    { name: "strings", u: { prompt_tokens: "5" }, want: undefined },
  ])("$name", ({ u, want }) => expect(usageOf(u)).toEqual(want));
});

describe("UsageTracker", () => {
  it.each([
    {
      name: "JSON in one chunk",
      chunks: ['{"usage":{"prompt_tokens":1,"completion_tokens":2}}'],
      streaming: false,
      want: [1, 2],
    },
    {
      name: "JSON split mid-number",
      chunks: ['{"usage":{"prompt_tokens":1', '2,"completion_tokens":2}}'],
      streaming: false,
      want: [12, 2],
    },
    { name: "JSON without usage", chunks: ['{"id":"x"}'], streaming: false, want: undefined },
    { name: "invalid JSON", chunks: ["{nope"], streaming: false, want: undefined },
    {
      name: "SSE: usage in the last data event, null before",
      chunks: [
        'data: {"usage":null}\n\n',
        'data: {"usage":{"prompt_tokens":4,"completion_tokens":6}}\n\n',
        "data: [DONE]\n\n",
      ],
      streaming: true,
      want: [4, 6],
    },
    {
      name: "SSE with CRLF line ends",
      chunks: ['data: {"usage":{"prompt_tokens":4,"completion_tokens":6}}\r\n\r\n'],
      streaming: true,
      want: [4, 6],
    },
    {
      name: "SSE event split across chunks",
      chunks: ['data: {"usage":{"prompt_', 'tokens":4,"completion_tokens":6}}\n'],
      streaming: true,
      want: [4, 6],
    },
    {
      name: "SSE last line without newline",
      chunks: ['data: {"usage":{"prompt_tokens":4,"completion_tokens":6}}'],
      streaming: true,
      want: [4, 6],
    },
    {
      name: "responses API SSE (usage inside response)",
      chunks: [
        'event: response.completed\ndata: {"type":"response.completed","response":{"usage":{"input_tokens":2,"output_tokens":3}}}\n\n',
      ],
      streaming: true,
      want: [2, 3],
    },
    {
      name: "SSE detected without content-type",
      chunks: ['data: {"usage":{"prompt_tokens":1,"completion_tokens":1}}\n\n'],
      streaming: undefined,
      want: [1, 1],
    },
    {
      name: "JSON detected without content-type",
      chunks: ['{"usage":{"prompt_tokens":1,"completion_tokens":1}}'],
      streaming: undefined,
      want: [1, 1],
    },
    {
      name: "multi-byte UTF-8 split across chunks",
      chunks: ['data: {"x":"\u00e9', '","usage":{"prompt_tokens":1,"completion_tokens":1}}\n'],
      streaming: true,
      want: [1, 1],
    },
  ])("$name", ({ chunks, streaming, want }) => {
    const got = track(chunks, streaming);
    expect(got === undefined ? undefined : [got.promptTokens, got.completionTokens]).toEqual(want);
  });

  it("gives up on a JSON body larger than its buffer limit", () => {
    expect(track(['{"usage":{"prompt_tokens":1,"completion_tokens":2}}'], false, 10)).toBeUndefined();
  });

  it("skips an SSE line longer than the line limit without buffering it", () => {
    const huge = `data: ${"x".repeat(1024 * 1024 + 10)}`;
    expect(track([huge, "\n", 'data: {"usage":{"prompt_tokens":9,"completion_tokens":1}}\n'], true)).toMatchObject({
      promptTokens: 9,
    });
  });
});
