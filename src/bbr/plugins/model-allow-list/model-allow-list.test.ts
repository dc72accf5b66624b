import { describe, expect, it } from "vitest";
import { isRequestError, openAiErrorBody } from "../../../common/request-error.js";
import { SELECTED_MODEL } from "../../api/model-selection.js";
import { createTestPlugin, testRequest } from "../../api/testing.js";
import { compilePatterns, type ModelAllowList, modelAllowListType, TENANT } from "./model-allow-list.js";

const params = {
  tenantHeader: "x-tenant-id",
  tenants: { "team-a": ["llama-3-8b", "llama-3-70b*"], "team-b": ["*"], "team-c": [] },
  defaultAllowed: ["llama-3-8b"],
};

function plugin(p: unknown = params): ModelAllowList {
  const created = createTestPlugin<ModelAllowList>(modelAllowListType, p);
  if (!created.ok) throw new Error(JSON.stringify(created.error));
  return created.value;
}

function outcome(headers: Record<string, string>, body: unknown, selected?: string): string {
  const request = testRequest({ headers, body });
  if (selected) request.cycleState.write(SELECTED_MODEL, selected);
  try {
    plugin().selectModel(request);
  } catch (e) {
    if (isRequestError(e)) return `${e.httpStatus} ${openAiErrorBody(e)}`;
    throw e;
  }
  expect(request.headers.mutatedHeaders()).toEqual([]);
  expect(request.body.mutated).toBe(false);
  return `allowed as ${JSON.stringify(request.cycleState.read(TENANT))}`;
}

describe("model-allow-list selectModel", () => {
  it.each([
    {
      name: "listed model",
      headers: { "x-tenant-id": "team-a" },
      body: { model: "llama-3-8b" },
      want: 'allowed as "team-a"',
    },
    {
      name: "wildcard suffix",
      headers: { "x-tenant-id": "team-a" },
      body: { model: "llama-3-70b-instruct" },
      want: 'allowed as "team-a"',
    },
    {
      name: "star allows all",
      headers: { "x-tenant-id": "team-b" },
      body: { model: "anything" },
      want: 'allowed as "team-b"',
    },
    {
      name: "tenant header trimmed",
      headers: { "x-tenant-id": " team-a " },
      body: { model: "llama-3-8b" },
      want: 'allowed as "team-a"',
    },
    { name: "no tenant uses defaultAllowed", headers: {}, body: { model: "llama-3-8b" }, want: 'allowed as ""' },
    {
      name: "no model has nothing to check",
      headers: { "x-tenant-id": "team-c" },
      body: { prompt: "x" },
      want: "allowed as undefined",
    },
    {
      name: "unlisted model",
      headers: { "x-tenant-id": "team-a" },
      body: { model: "gpt-4" },
      want: '403 {"error":{"message":"model \\"gpt-4\\" is not allowed for this tenant","type":"permission_error","code":"model_not_allowed"}}',
    },
    {
      name: "empty list allows nothing",
      headers: { "x-tenant-id": "team-c" },
      body: { model: "llama-3-8b" },
      want: '403 {"error":{"message":"model \\"llama-3-8b\\" is not allowed for this tenant","type":"permission_error","code":"model_not_allowed"}}',
    },
    {
      name: "unknown tenant falls back to default",
      headers: { "x-tenant-id": "team-z" },
      body: { model: "llama-3-70b" },
      want: '403 {"error":{"message":"model \\"llama-3-70b\\" is not allowed for this tenant","type":"permission_error","code":"model_not_allowed"}}',
    },
    {
      name: "regex characters are literal",
      headers: { "x-tenant-id": "team-a" },
      body: { model: "llama-3-8bX" },
      want: '403 {"error":{"message":"model \\"llama-3-8bX\\" is not allowed for this tenant","type":"permission_error","code":"model_not_allowed"}}',
    },
  ])("$name", ({ headers, body, want }) => {
    expect(outcome(headers, body)).toBe(want);
  });

  it("checks the model chosen earlier, not the body's", () => {
    expect(outcome({ "x-tenant-id": "team-a" }, { model: "llama-3-8b" }, "gpt-4")).toMatch(/^403 /);
  });
});

describe("model-allow-list filterModels", () => {
  it("keeps only allowed candidates", () => {
    const candidates = ["llama-3-8b", "llama-3-70b", "gpt-4"].map((name) => ({ name, attributes: {} }));
    const kept = plugin().filterModels(testRequest({ headers: { "x-tenant-id": "team-a" } }), candidates);
    expect(kept.map((m) => m.name)).toEqual(["llama-3-8b", "llama-3-70b"]);
  });
});

describe("compilePatterns", () => {
  it.each([
    { patterns: ["a.b"], yes: ["a.b"], no: ["aXb"] },
    { patterns: ["openai/*"], yes: ["openai/gpt-4", "openai/"], no: ["openai", "x/openai/gpt"] },
    { patterns: ["*-lora"], yes: ["x-lora"], no: ["x-lora2"] },
    { patterns: [], yes: [], no: ["", "a"] },
  ])("$patterns", ({ patterns, yes, no }) => {
    const re = compilePatterns(patterns);
    for (const s of yes) expect(re.test(s)).toBe(true);
    for (const s of no) expect(re.test(s)).toBe(false);
  });
});

describe("model-allow-list parameters", () => {
  it.each([
    { name: "missing tenantHeader", p: { tenants: {} }, path: ["parameters", "tenantHeader"] },
    { name: "bad tenantHeader", p: { tenantHeader: "x tenant", tenants: {} }, path: ["parameters", "tenantHeader"] },
    {
      name: "tenant list not an array",
      p: { tenantHeader: "x", tenants: { a: "m" } },
      path: ["parameters", "tenants", "a"],
    },
    { name: "empty pattern", p: { tenantHeader: "x", tenants: { a: [""] } }, path: ["parameters", "tenants", "a", 0] },
  ])("$name", ({ p, path }) => {
    const created = createTestPlugin(modelAllowListType, p);
    expect(created.ok).toBe(false);
    if (!created.ok) expect(created.error[0]!.path).toEqual(path);
  });
});
