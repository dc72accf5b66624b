import { describe, expect, it } from "vitest";
import { apiKindOfPath, cappedJsonArray, OpenAiParser } from "./openai-parser.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const parser = new OpenAiParser("openai-parser");

function parse(body: string | Uint8Array, path = "/v1/chat/completions") {
  return parser.parse(path, typeof body === "string" ? encoder.encode(body) : body);
}

describe("openai-parser", () => {
  it.each([
    { name: "an empty body", body: "", reason: "missing_body" },
    { name: "invalid JSON", body: "{nope", reason: "invalid_json" },
    { name: "invalid UTF-8", body: new Uint8Array([0x7b, 0xff, 0x7d]), reason: "invalid_json" },
    { name: "a JSON array", body: "[]", reason: "invalid_body" },
    { name: "JSON null", body: "null", reason: "invalid_body" },
    { name: "a JSON string", body: '"m"', reason: "invalid_body" },
    { name: "no model", body: '{"prompt":"hi"}', reason: "missing_model" },
    { name: "an empty model", body: '{"model":""}', reason: "missing_model" },
    { name: "a numeric model", body: '{"model":1}', reason: "missing_model" },
  ])("answers $name with 400 $reason", ({ body, reason }) => {
    const got = parse(body);
    expect(got.ok).toBe(false);
    if (!got.ok)
      expect({ code: got.error.code, status: got.error.httpStatus, reason: got.error.reason }).toEqual({
        code: "BadRequest",
        status: 400,
        reason,
      });
  });

  it("reads the model, the API from the path, the body and the cache salt", () => {
    const got = parse('{"model":"m1","prompt":"hi","cache_salt":"tenant-a"}', "/v1/completions");
    expect(got.ok && { apiKind: got.value.apiKind, model: got.value.model, salt: got.value.cacheSalt }).toEqual({
      apiKind: "completions",
      model: "m1",
      salt: "tenant-a",
    });
    expect(got.ok && got.value.body).toEqual({ model: "m1", prompt: "hi", cache_salt: "tenant-a" });
  });

  it.each([
    { name: "a leading byte-order mark", bytes: [0xef, 0xbb, 0xbf], model: "m1" },
    { name: "a two-byte character in the model", bytes: [], model: "mod\u00e8le" },
    { name: "a four-byte character in the model", bytes: [], model: "m\u{1f600}" },
  ])("decodes UTF-8 as TextDecoder does: $name", ({ bytes, model }) => {
    const body = new Uint8Array([...bytes, ...encoder.encode(JSON.stringify({ model }))]);
    const got = parse(body);
    expect(got.ok && got.value.model).toBe(model);
  });

  it.each([
    { name: "a lone surrogate", bytes: [0x7b, 0xed, 0xa0, 0x80, 0x7d] },
    { name: "a truncated sequence", bytes: [0x7b, 0x22, 0xe2, 0x82, 0x22, 0x7d] },
    { name: "an overlong encoding", bytes: [0x7b, 0xc0, 0xaf, 0x7d] },
  ])("refuses invalid UTF-8 ($name) with 400 invalid_json", ({ bytes }) => {
    const got = parse(new Uint8Array(bytes));
    expect(!got.ok && got.error.reason).toBe("invalid_json");
  });

  it.each([
    { name: "accented text and an emoji", prompt: "d\u00e9j\u00e0 \u{1f600}" },
    { name: "a lone surrogate", prompt: "a\ud800b" },
  ])("encodes prompt bytes as TextEncoder does: $name", ({ prompt }) => {
    const got = parse(JSON.stringify({ model: "m", prompt }), "/v1/completions");
    expect(got.ok && Array.from(got.value.promptBytes(1000))).toEqual(Array.from(encoder.encode(prompt)));
  });

  it.each([{ salt: '""' }, { salt: "7" }])("ignores a cache_salt of $salt", ({ salt }) => {
    const got = parse(`{"model":"m1","cache_salt":${salt}}`);
    expect(got.ok && got.value.cacheSalt).toBeUndefined();
  });

  it.each([
    {
      name: "chat: the messages JSON",
      path: "/v1/chat/completions",
      body: { messages: [{ role: "user", content: "hi" }] },
      want: '[{"role":"user","content":"hi"}]',
    },
    { name: "chat without messages", path: "/v1/chat/completions", body: {}, want: "" },
    { name: "completions: the prompt text", path: "/v1/completions", body: { prompt: "tell me" }, want: "tell me" },
    {
      name: "completions: a prompt array as JSON",
      path: "/v1/completions",
      body: { prompt: ["a", "b"] },
      want: '["a","b"]',
    },
    { name: "completions: a numeric prompt", path: "/v1/completions", body: { prompt: 3 }, want: "" },
    {
      name: "responses: instructions, tools and input",
      path: "/v1/responses",
      body: { instructions: "be brief", input: "hi" },
      want: '[{"instructions":"be brief"},{},{"input":"hi"}]',
    },
    {
      name: "conversations: the items JSON",
      path: "/v1/conversations",
      body: { items: [{ type: "message" }] },
      want: '[{"type":"message"}]',
    },
    { name: "embeddings: the input text", path: "/v1/embeddings", body: { input: "vector me" }, want: "vector me" },
    { name: "embeddings: an input array as JSON", path: "/v1/embeddings", body: { input: [1, 2] }, want: "[1,2]" },
  ])("prompt bytes for $name", ({ path, body, want }) => {
    const got = parse(JSON.stringify({ model: "m", ...body }), path);
    if (!got.ok) throw new Error(got.error.message);
    expect(decoder.decode(got.value.promptBytes(1000))).toBe(want);
  });

  it("caps the prompt bytes at the limit and serialises once per limit", () => {
    const got = parse(JSON.stringify({ model: "m", prompt: "é".repeat(10) }), "/v1/completions");
    if (!got.ok) throw new Error(got.error.message);
    expect(got.value.promptBytes(5)).toHaveLength(5);
    expect(got.value.promptBytes(5)).toBe(got.value.promptBytes(5));
    expect(got.value.promptBytes(100)).toHaveLength(20);
  });
});

describe("apiKindOfPath", () => {
  it.each([
    ["/v1/chat/completions", "chat-completions"],
    ["/v1/chat/completions?stream=true", "chat-completions"],
    ["/v1/chat/completions/", "chat-completions"],
    ["/v1/completions", "completions"],
    ["/v1/embeddings", "embeddings"],
    ["/v1/responses", "responses"],
    ["/v1/conversations", "conversations"],
    ["/v1/models", "completions"],
    ["", "completions"],
  ])("%s → %s", (path, want) => {
    expect(apiKindOfPath(path)).toBe(want);
  });
});

describe("cappedJsonArray", () => {
  const values = [{ a: 1 }, "two", [3], null, undefined];

  it("is JSON.stringify when the limit is not reached", () => {
    expect(decoder.decode(cappedJsonArray(values, 1000))).toBe(JSON.stringify(values));
  });

  it.each([1, 7, 12, 20])("is the first %i bytes of JSON.stringify under a limit", (limit) => {
    expect(decoder.decode(cappedJsonArray(values, limit))).toBe(JSON.stringify(values).slice(0, limit));
  });
});
