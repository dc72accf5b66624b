import { describe, expect, it } from "vitest";
import { createTestPlugin, testRequest } from "../../api/testing.js";
import { type ContextWindowFilter, contextWindowFilterType, ESTIMATED_TOKENS } from "./context-window-filter.js";

const models = [
  { name: "small", attributes: { contextWindow: 100 } },
  { name: "large", attributes: { contextWindow: 10_000 } },
  { name: "unknown", attributes: {} },
  { name: "not-a-number", attributes: { contextWindow: "big" } },
];

function filter(params: unknown = undefined): ContextWindowFilter {
  const created = createTestPlugin<ContextWindowFilter>(contextWindowFilterType, params);
  if (!created.ok) throw new Error(JSON.stringify(created.error));
  return created.value;
}

describe("context-window-filter", () => {
  it.each([
    {
      name: "small prompt fits everywhere",
      body: { model: "a", prompt: "x" },
      params: undefined,
      want: ["small", "large", "unknown", "not-a-number"],
    },
    {
      name: "400-byte body is 100 tokens plus 1",
      body: { model: "a", prompt: "x".repeat(380), max_tokens: 1 },
      params: undefined,
      want: ["large", "unknown", "not-a-number"],
    },
    {
      name: "max_tokens counts",
      body: { model: "a", max_tokens: 200 },
      params: undefined,
      want: ["large", "unknown", "not-a-number"],
    },
    {
      name: "max_completion_tokens counts",
      body: { model: "a", max_completion_tokens: 200 },
      params: undefined,
      want: ["large", "unknown", "not-a-number"],
    },
    {
      name: "non-numeric max_tokens ignored",
      body: { model: "a", max_tokens: "200" },
      params: undefined,
      want: ["small", "large", "unknown", "not-a-number"],
    },
    {
      name: "custom attribute",
      body: { model: "a", max_tokens: 50 },
      params: { attribute: "ctx" },
      want: ["small", "large", "unknown", "not-a-number"],
    },
  ])("$name", ({ body, params, want }) => {
    const request = testRequest({ body });
    expect(
      filter(params)
        .filterModels(request, models)
        .map((m) => m.name),
    ).toEqual(want);
    expect(request.cycleState.read(ESTIMATED_TOKENS)).toBeGreaterThan(0);
  });

  it("estimates from the byte length", () => {
    const request = testRequest({ body: "x".repeat(10) });
    // An opaque body (text) still has a length; 10 bytes at 4 per token is 3 tokens.
    expect(
      filter().estimateTokens(testRequest({ headers: { "content-type": "text/plain" }, body: "x".repeat(10) })),
    ).toBe(3);
    expect(request.body.receivedBytes).toBe(10);
  });

  it.each([{ bytesPerToken: 0 }, { attribute: "" }, { outputTokenFields: "max_tokens" }])("refuses %j", (p) => {
    expect(createTestPlugin(contextWindowFilterType, p).ok).toBe(false);
  });
});
