import { describe, expect, it } from "vitest";
import { apiErrorBody, parseGenerationRequest, streamChunk, usageOf } from "./openai.js";

describe("parseGenerationRequest", () => {
  it.each([
    {
      name: "chat with string and part contents",
      kind: "chat" as const,
      body: {
        model: "m",
        messages: [
          { role: "user", content: "hi" },
          { role: "user", content: [{ type: "text", text: "yo" }] },
        ],
        max_tokens: 3,
      },
      want: { model: "m", prompt: "user: hi\nuser: yo\n", maxTokens: 3, stream: false },
    },
    {
      name: "completions with a prompt list and max_completion_tokens",
      kind: "completions" as const,
      body: { model: "m", prompt: ["a", "b"], max_completion_tokens: 2, stream: true },
      want: { model: "m", prompt: "ab", maxTokens: 2, stream: true },
    },
    {
      name: "no max_tokens",
      kind: "completions" as const,
      body: { model: "m", prompt: "x" },
      want: { model: "m", prompt: "x", maxTokens: undefined, stream: false },
    },
  ])("$name", ({ kind, body, want }) => {
    expect(parseGenerationRequest(kind, body)).toEqual({ ok: true, value: want });
  });

  it.each([
    { name: "not an object", kind: "chat" as const, body: [1], param: undefined },
    { name: "missing model", kind: "chat" as const, body: { messages: [{}] }, param: "model" },
    { name: "empty messages", kind: "chat" as const, body: { model: "m", messages: [] }, param: "messages" },
    { name: "bad prompt", kind: "completions" as const, body: { model: "m", prompt: 5 }, param: "prompt" },
    {
      name: "zero max_tokens",
      kind: "completions" as const,
      body: { model: "m", prompt: "x", max_tokens: 0 },
      param: "max_tokens",
    },
    {
      name: "non-boolean stream",
      kind: "completions" as const,
      body: { model: "m", prompt: "x", stream: "yes" },
      param: "stream",
    },
  ])("rejects $name with 400", ({ kind, body, param }) => {
    const r = parseGenerationRequest(kind, body);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ status: 400, type: "BadRequestError", ...(param ? { param } : {}) });
  });
});

describe("wire format", () => {
  it("renders errors as vLLM does", () => {
    expect(
      apiErrorBody({ status: 404, type: "NotFoundError", message: "The model `x` does not exist.", param: "model" }),
    ).toBe('{"error":{"message":"The model `x` does not exist.","type":"NotFoundError","param":"model","code":404}}');
  });

  it("renders the last chat chunk with finish_reason and usage", () => {
    const ids = { id: "chatcmpl-1", created: 7, model: "sql-lora" };
    expect(streamChunk("chat", ids, "hi", { finishReason: "length", usage: usageOf(3, 1, 0) })).toBe(
      'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":7,"model":"sql-lora","choices":[{"index":0,"delta":{"content":"hi"},"logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4,"prompt_tokens_details":{"cached_tokens":0}}}\n\n',
    );
  });
});
