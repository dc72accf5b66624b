import { describe, expect, it } from "vitest";
import { z } from "zod";
import * as sdk from "./index.js";
import {
  applyModelChoice,
  createTestPlugin,
  definePluginType,
  type ModelSelector,
  ok,
  SELECTED_MODEL,
  testRequest,
} from "./index.js";

describe("package entry point (plugin SDK)", () => {
  it("exports runtime helpers and nothing with side effects", () => {
    expect(Object.keys(sdk).sort()).toEqual([
      "API_KIND",
      "CycleState",
      "ESTIMATED_TOKENS",
      "IN_TREE_TOMBSTONES",
      "IN_TREE_TYPES",
      "MODEL_HEADER",
      "PIPELINE_SCORES",
      "REQUESTED_MODEL",
      "RequestError",
      "SELECTED_MODEL",
      "StateKey",
      "TENANT",
      "applyModelChoice",
      "createTestPlugin",
      "currentModel",
      "definePluginType",
      "err",
      "isRequestError",
      "newInTreeRegistry",
      "ok",
      "testHandle",
      "testRequest",
    ]);
  });

  it("definePluginType infers parameters from the schema", () => {
    const fixed = definePluginType({
      type: "fixed-model",
      description: "test",
      stability: "beta",
      extensionPoints: ["ModelSelector"],
      parameters: z.strictObject({ model: z.string() }),
      create: (name, params) =>
        ok<ModelSelector>({
          typedName: { type: "fixed-model", name },
          selectModel: (request) => applyModelChoice(request, params.model, { rewriteBody: false }),
        }),
    });
    const created = createTestPlugin<ModelSelector>(fixed, { model: "m1" });
    if (!created.ok) throw new Error(JSON.stringify(created.error));
    const request = testRequest({ body: { model: "x" } });
    created.value.selectModel(request);
    expect(request.cycleState.read(SELECTED_MODEL)).toBe("m1");
    expect(createTestPlugin(fixed, { model: 1 }).ok).toBe(false);
  });
});
