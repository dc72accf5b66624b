import { describe, expect, it } from "vitest";
import { createTestPlugin, testHandle, testRequest } from "../../api/testing.js";
import { BbrMetrics } from "../../metrics.js";
import { type BodyFieldToHeader, bodyFieldToHeaderParameters, bodyFieldToHeaderType } from "./body-field-to-header.js";

const MODEL_HEADER = { fieldName: "model", headerName: "X-Gateway-Model-Name" };

async function counted(counter: BbrMetrics["bodyFieldNotFound"]): Promise<Record<string, number>> {
  return Object.fromEntries((await counter.get()).values.map((v) => [String(v.labels["field"]), v.value]));
}

async function run(body: unknown, params: unknown = MODEL_HEADER) {
  const metrics = new BbrMetrics({ defaultMetrics: false });
  const created = createTestPlugin<BodyFieldToHeader>(bodyFieldToHeaderType, params, testHandle(undefined, metrics));
  if (!created.ok) throw new Error(JSON.stringify(created.error));
  const request = testRequest({ headers: { "content-type": "application/json" }, body });
  created.value.extractMetadata(request);
  return {
    sets: request.headers.mutatedHeaders(),
    notFound: await counted(metrics.bodyFieldNotFound),
    empty: await counted(metrics.bodyFieldEmpty),
  };
}

const set = (value: string) => [{ key: "X-Gateway-Model-Name", value }];

describe("body-field-to-header", () => {
  it.each([
    { name: "a string, as is", body: { model: "qwen3" }, want: set("qwen3") },
    { name: "a string with spaces, untrimmed", body: { model: " qwen3 " }, want: set(" qwen3 ") },
    { name: "an integer", body: { model: 42 }, want: set("42") },
    { name: "a float", body: { model: 0.7 }, want: set("0.7") },
    { name: "a large number, as Go's %v prints it", body: { model: 1_000_000 }, want: set("1e+06") },
    { name: "true", body: { model: true }, want: set("true") },
    { name: "false", body: { model: false }, want: set("false") },
  ])("copies $name", async ({ body, want }) => {
    expect(await run(body)).toEqual({ sets: want, notFound: {}, empty: {} });
  });

  it.each([
    { name: "an absent field", body: { prompt: "hi" } },
    { name: "null", body: { model: null } },
    { name: "a nested object", body: { model: { name: "qwen3" } } },
    { name: "an array", body: { model: ["qwen3"] } },
    { name: "a field of another case", body: { Model: "qwen3" } },
  ])("sets nothing for $name and counts it not found", async ({ body }) => {
    expect(await run(body)).toEqual({ sets: [], notFound: { model: 1 }, empty: {} });
  });

  it("sets nothing for an empty string and counts it empty", async () => {
    expect(await run({ model: "" })).toEqual({ sets: [], notFound: {}, empty: { model: 1 } });
  });

  it("reads top-level fields only: a dotted name is not a path", async () => {
    const params = { fieldName: "metadata.tier", headerName: "X-Tier" };
    expect(await run({ metadata: { tier: "gold" } }, params)).toEqual({
      sets: [],
      notFound: { "metadata.tier": 1 },
      empty: {},
    });
    expect((await run({ "metadata.tier": "gold" }, params)).sets).toEqual([{ key: "X-Tier", value: "gold" }]);
  });

  it("names its instance and type", () => {
    const created = createTestPlugin<BodyFieldToHeader>(
      bodyFieldToHeaderType,
      MODEL_HEADER,
      testHandle(),
      "model-to-header",
    );
    expect(created.ok && created.value.typedName).toEqual({ type: "body-field-to-header", name: "model-to-header" });
  });
});

describe("body-field-to-header parameters", () => {
  it.each(["X-Gateway-Model-Name", "x-model", "X_Model", "x.model~1", "!#$%&'*+-.^_`|~"])(
    "accepts the header name %s",
    (headerName) => {
      expect(bodyFieldToHeaderParameters.safeParse({ fieldName: "model", headerName }).success).toBe(true);
    },
  );

  it.each(["", "X Model", "X:Model", "X-Model\n", "X-Modèle", "(model)"])(
    "refuses the header name %j",
    (headerName) => {
      const parsed = bodyFieldToHeaderParameters.safeParse({ fieldName: "model", headerName });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues.map((i) => i.path.join("."))).toEqual(["headerName"]);
    },
  );

  it.each([
    { name: "no parameters", params: undefined },
    { name: "null", params: null },
    { name: "an empty object", params: {} },
    { name: "no headerName", params: { fieldName: "model" } },
    { name: "no fieldName", params: { headerName: "X-Model" } },
    { name: "an empty fieldName", params: { fieldName: "", headerName: "X-Model" } },
    { name: "snake_case keys", params: { field_name: "model", header_name: "X-Model" } },
    { name: "an unknown key", params: { ...MODEL_HEADER, overwrite: true } },
    { name: "a non-string fieldName", params: { fieldName: 1, headerName: "X-Model" } },
  ])("refuses $name", ({ params }) => {
    expect(createTestPlugin(bodyFieldToHeaderType, params).ok).toBe(false);
  });
});
