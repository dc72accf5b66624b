import { describe, expect, it } from "vitest";
import { isRequestError } from "../../../common/request-error.js";
import { SELECTED_MODEL } from "../../api/model-selection.js";
import { createTestPlugin, testRequest } from "../../api/testing.js";
import { type CelRules, celRulesType } from "./cel-rules.js";
import { splitShorthand } from "./compile.js";

const rules = [
  'size(body.messages) > 50 || body.max_tokens > 8192 => "long-context-model"',
  {
    when: 'headers["x-tier"] == "free" && model == "gpt-4"',
    reject: { status: 403, message: "gpt-4 needs a paid tier" },
  },
  { when: 'path.startsWith("/v1/embeddings")', model: "embedder" },
  { when: 'body.messages.exists(m, m.role == "system" && m.content.contains("code"))', model: "coder" },
  'has(body.tools) => model + "-tools"',
];

function plugin(params: unknown = { rules }): CelRules {
  const created = createTestPlugin<CelRules>(celRulesType, params);
  if (!created.ok) throw new Error(JSON.stringify(created.error));
  return created.value;
}

const chat = (n: number, extra: Record<string, unknown> = {}) => ({
  model: "gpt-4",
  messages: Array.from({ length: n }, () => ({ role: "user", content: "hi" })),
  ...extra,
});

describe("cel-rules selectModel", () => {
  it.each([
    { name: "many messages", headers: {}, body: chat(51), want: "long-context-model" },
    { name: "large max_tokens", headers: {}, body: chat(1, { max_tokens: 9000 }), want: "long-context-model" },
    {
      name: "embeddings path (first rules error on the missing fields)",
      headers: { ":path": "/v1/embeddings" },
      body: { model: "e", input: "x" },
      want: "embedder",
    },
    {
      name: "macro over messages",
      headers: {},
      body: { model: "m", messages: [{ role: "system", content: "write code" }] },
      want: "coder",
    },
    { name: "model expression", headers: {}, body: { model: "m", messages: [], tools: [] }, want: "m-tools" },
    { name: "no match", headers: { ":path": "/v1/chat/completions" }, body: chat(2), want: undefined },
  ])("$name", ({ headers, body, want }) => {
    const request = testRequest({ headers, body });
    plugin().selectModel(request);
    expect(request.headers.get("x-gateway-model-name")).toBe(want);
    expect(request.cycleState.read(SELECTED_MODEL)).toBe(want);
    if (want) expect(request.body.field("model")).toBe(want);
    else expect(request.body.mutated).toBe(false);
  });

  it("rejects with the configured status and an OpenAI error", () => {
    const request = testRequest({ headers: { "x-tier": "free" }, body: chat(1) });
    let thrown: unknown;
    try {
      plugin().selectModel(request);
    } catch (e) {
      thrown = e;
    }
    expect(isRequestError(thrown)).toBe(true);
    if (isRequestError(thrown)) {
      expect(thrown.httpStatus).toBe(403);
      expect(thrown.message).toBe("gpt-4 needs a paid tier");
      expect(thrown.reason).toBe("forbidden");
    }
  });

  it("sees the model chosen earlier in the chain", () => {
    const request = testRequest({ headers: { "x-tier": "free" }, body: { model: "alias" } });
    request.cycleState.write(SELECTED_MODEL, "gpt-4");
    expect(() => plugin().selectModel(request)).toThrow("gpt-4 needs a paid tier");
  });

  it("treats non-JSON bodies as an empty object", () => {
    const request = testRequest({
      headers: { "content-type": "multipart/form-data; boundary=x", ":path": "/v1/embeddings" },
      body: "--x--",
    });
    plugin().selectModel(request);
    expect(request.headers.get("x-gateway-model-name")).toBe("embedder");
    expect(request.body.mutated).toBe(false);
  });

  it("answers 500 when a matching rule's model expression yields no string", () => {
    const p = plugin({ rules: ["true => body.n"] });
    expect(() => p.selectModel(testRequest({ body: { n: 1 } }))).toThrow(/routing rule 0 produced no model/);
  });

  it("does not read inherited properties", () => {
    const p = plugin({ rules: ['has(body.constructor) || has(headers.toString) => "leak"'] });
    const request = testRequest({ body: { model: "m" } });
    p.selectModel(request);
    expect(request.headers.get("x-gateway-model-name")).toBeUndefined();
  });
});

describe("cel-rules compile errors carry the rule's path", () => {
  it.each([
    {
      name: "syntax error",
      rules: ['size(body.messages) > => "m"'],
      path: ["parameters", "rules", 0],
      msg: /condition: invalid CEL/,
    },
    {
      name: "object rule syntax",
      rules: [{ when: "1 +", model: "m" }],
      path: ["parameters", "rules", 0, "when"],
      msg: /invalid CEL/,
    },
    {
      name: "unknown variable",
      rules: [
        { when: "true", model: "m" },
        { when: "bodyy.x > 1", model: "m" },
      ],
      path: ["parameters", "rules", 1, "when"],
      msg: /unknown variable "bodyy"/,
    },
    {
      name: "unknown function",
      rules: ['foo(body) => "m"'],
      path: ["parameters", "rules", 0],
      msg: /unknown function "foo"/,
    },
    {
      name: "no arrow",
      rules: ["size(body.messages) > 3"],
      path: ["parameters", "rules", 0],
      msg: /CONDITION => "model"/,
    },
    { name: "int model", rules: ["true => 3"], path: ["parameters", "rules", 0], msg: /non-empty string/ },
    {
      name: "model and reject",
      rules: [{ when: "true", model: "m", reject: { status: 403, message: "x" } }],
      path: ["parameters", "rules", 0],
      msg: /exactly one/,
    },
    {
      name: "unmapped status",
      rules: [{ when: "true", reject: { status: 418, message: "x" } }],
      path: ["parameters", "rules", 0, "reject", "status"],
      msg: /status must be one of/,
    },
    { name: "no rules", rules: [], path: ["parameters", "rules"], msg: /at least one rule/ },
  ])("$name", ({ rules: r, path, msg }) => {
    const created = createTestPlugin(celRulesType, { rules: r });
    expect(created.ok).toBe(false);
    if (!created.ok) {
      expect(created.error[0]!.path).toEqual(path);
      expect(created.error[0]!.message).toMatch(msg);
    }
  });

  it("reports every bad rule at once", () => {
    const created = createTestPlugin(celRulesType, { rules: ['x => "a"', 'true => "ok"', { when: "(", model: "b" }] });
    expect(created.ok).toBe(false);
    if (!created.ok)
      expect(created.error.map((e) => e.path)).toEqual([
        ["parameters", "rules", 0],
        ["parameters", "rules", 2, "when"],
      ]);
  });

  it("comprehension variables are in scope only inside the macro", () => {
    expect(createTestPlugin(celRulesType, { rules: ['body.messages.all(m, m.role != "") => "m"'] }).ok).toBe(true);
    expect(createTestPlugin(celRulesType, { rules: ['body.messages.all(m, true) && m.role == "x" => "m"'] }).ok).toBe(
      false,
    );
  });
});

describe("splitShorthand", () => {
  it.each([
    { rule: 'a > 1 => "m"', want: { when: "a > 1", result: '"m"' } },
    { rule: 'body.x == "=>" => "m"', want: { when: 'body.x == "=>"', result: '"m"' } },
    { rule: "x >= 2 => 'm'", want: { when: "x >= 2", result: "'m'" } },
    { rule: "no arrow", want: undefined },
  ])("$rule", ({ rule, want }) => {
    expect(splitShorthand(rule)).toEqual(want);
  });
});
