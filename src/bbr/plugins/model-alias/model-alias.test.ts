import { describe, expect, it } from "vitest";
import { SELECTED_MODEL } from "../../api/model-selection.js";
import { createTestPlugin, testRequest } from "../../api/testing.js";
import { type ModelAlias, modelAliasType } from "./model-alias.js";

const decoder = new TextDecoder();

describe("model-alias selectModel", () => {
  const params = { aliases: { "gpt-4o": "llama-3-70b", auto: "llama-3-8b" }, defaultModel: "llama-3-8b" };
  it.each([
    {
      name: "alias rewritten",
      body: { model: "gpt-4o", n: 1 },
      want: "llama-3-70b",
      wantBody: '{"model":"llama-3-70b","n":1}',
    },
    { name: "auto maps to default", body: { model: "auto" }, want: "llama-3-8b", wantBody: '{"model":"llama-3-8b"}' },
    { name: "unknown name passes through", body: { model: "mistral" }, want: "mistral", wantBody: undefined },
    {
      name: "missing model gets defaultModel",
      body: { messages: [] },
      want: "llama-3-8b",
      wantBody: '{"messages":[],"model":"llama-3-8b"}',
    },
    {
      name: "empty model gets defaultModel",
      body: { model: "" },
      want: "llama-3-8b",
      wantBody: '{"model":"llama-3-8b"}',
    },
  ])("$name", ({ body, want, wantBody }) => {
    const plugin = createTestPlugin<ModelAlias>(modelAliasType, params);
    if (!plugin.ok) throw new Error(JSON.stringify(plugin.error));
    const request = testRequest({ body });
    plugin.value.selectModel(request);
    expect(request.headers.mutatedHeaders()).toEqual([{ key: "X-Gateway-Model-Name", value: want }]);
    expect(request.cycleState.read(SELECTED_MODEL)).toBe(want);
    expect(request.body.mutated).toBe(wantBody !== undefined);
    expect(decoder.decode(request.body.finalBytes())).toBe(wantBody ?? JSON.stringify(body));
  });

  it("follows one hop only", () => {
    const plugin = createTestPlugin<ModelAlias>(modelAliasType, { aliases: { a: "b", b: "c" } });
    if (!plugin.ok) throw new Error("create failed");
    const request = testRequest({ body: { model: "a" } });
    plugin.value.selectModel(request);
    expect(request.headers.get("x-gateway-model-name")).toBe("b");
  });

  it("without rewriteBody only sets the header", () => {
    const plugin = createTestPlugin<ModelAlias>(modelAliasType, { aliases: { a: "b" }, rewriteBody: false });
    if (!plugin.ok) throw new Error("create failed");
    const request = testRequest({ body: { model: "a" } });
    plugin.value.selectModel(request);
    expect(request.headers.get("x-gateway-model-name")).toBe("b");
    expect(request.body.mutated).toBe(false);
  });

  it("starts from an earlier selection", () => {
    const plugin = createTestPlugin<ModelAlias>(modelAliasType, { aliases: { picked: "served" } });
    if (!plugin.ok) throw new Error("create failed");
    const request = testRequest({ body: { model: "client" } });
    request.cycleState.write(SELECTED_MODEL, "picked");
    plugin.value.selectModel(request);
    expect(request.headers.get("x-gateway-model-name")).toBe("served");
  });

  it("leaves a request without model alone when there is no default", () => {
    const plugin = createTestPlugin<ModelAlias>(modelAliasType, { aliases: { a: "b" } });
    if (!plugin.ok) throw new Error("create failed");
    const request = testRequest({ body: { prompt: "x" } });
    plugin.value.selectModel(request);
    expect(request.headers.mutatedHeaders()).toEqual([]);
    expect(request.body.mutated).toBe(false);
  });
});

describe("model-alias parameters", () => {
  it.each([
    { name: "nothing to do", params: {}, path: ["parameters"] },
    { name: "missing parameters", params: undefined, path: ["parameters"] },
    { name: "empty target", params: { aliases: { a: "" } }, path: ["parameters", "aliases", "a"] },
    { name: "non-string target", params: { aliases: { a: 1 } }, path: ["parameters", "aliases", "a"] },
    { name: "unknown key", params: { alias: { a: "b" } }, path: ["parameters", "alias"] },
    {
      name: "bad rewriteBody",
      params: { aliases: { a: "b" }, rewriteBody: "yes" },
      path: ["parameters", "rewriteBody"],
    },
  ])("$name is refused at $path", ({ params, path }) => {
    const plugin = createTestPlugin(modelAliasType, params);
    expect(plugin.ok).toBe(false);
    if (!plugin.ok) expect(plugin.error[0]!.path).toEqual(path);
  });
});
