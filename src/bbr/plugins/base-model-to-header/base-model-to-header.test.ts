import { mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../common/logger.js";
import { watchFile } from "../../../common/file-watch.js";
import { CycleState } from "../../../plugin/cycle-state.js";
import { TrackedHeaders } from "../../api/headers.js";
import { InferenceRequest } from "../../api/inference-message.js";
import { MessageBody } from "../../api/message-body.js";
import type { BbrPluginHandle } from "../../api/plugin-handle.js";
import { BbrMetrics } from "../../metrics.js";
import { AdaptersStore } from "./adapters-store.js";
import { type BaseModelToHeader, baseModelToHeaderParameters, baseModelToHeaderType } from "./base-model-to-header.js";
import { parseMappings } from "./mapping-file.js";

const handle: BbrPluginHandle = {
  logger: silentLogger(),
  metrics: new BbrMetrics({ defaultMetrics: false }),
  resolvePath: (p) => p,
  watchFile: (p, f) => watchFile(p, f, 20),
};

function requestWith(body: string): InferenceRequest {
  const b = new MessageBody("json");
  b.append(new TextEncoder().encode(body));
  return new InferenceRequest(new TrackedHeaders(new Map()), b, new CycleState(), silentLogger());
}

function create(params: unknown): BaseModelToHeader {
  const parsed = baseModelToHeaderParameters.parse(params);
  const made = baseModelToHeaderType.create("b", parsed, handle);
  if (!made.ok) throw new Error(JSON.stringify(made.error));
  return made.value as BaseModelToHeader;
}

describe("base-model-to-header", () => {
  const plugin = create({ mappings: [{ baseModel: "qwen3-8b", adapters: ["finance-adapter"] }] });

  it.each([
    { body: `{"model":"qwen3-8b"}`, want: "qwen3-8b" },
    { body: `{"model":"finance-adapter"}`, want: "qwen3-8b" },
    { body: `{"model":"  finance-adapter  "}`, want: "qwen3-8b" },
    { body: `{"model":"unknown-model"}`, want: "" },
    { body: `{"model":""}`, want: "" },
    { body: `{"model":123}`, want: "" },
    { body: `{"model":true}`, want: "" },
    { body: `{"model":null}`, want: "" },
    { body: `{"prompt":"no model"}`, want: undefined },
  ])("$body → $want", ({ body, want }) => {
    const request = requestWith(body);
    plugin.extractMetadata(request);
    const sets = request.headers.mutatedHeaders();
    expect(sets).toEqual(want === undefined ? [] : [{ key: "X-Gateway-Base-Model-Name", value: want }]);
  });

  it.each([undefined, {}, { mappings: [] }])("accepts parameters %j", (params) => {
    expect(baseModelToHeaderParameters.safeParse(params).success).toBe(true);
  });

  it.each([
    { params: { mappings: [{ baseModel: "  " }] }, why: "blank baseModel" },
    { params: { mappings: [{ adapters: ["a"] }] }, why: "missing baseModel" },
    { params: { mapping: [] }, why: "unknown key" },
  ])("refuses parameters with $why", ({ params }) => {
    expect(baseModelToHeaderParameters.safeParse(params).success).toBe(false);
  });
});

describe("AdaptersStore and mapping files", () => {
  it("trims names, skips empty adapters, coerces scalars, maps bases to themselves", () => {
    const parsed = parseMappings('baseModel: "  base-model-1  "\nadapters: ["  a1  ", "", 1]\n', "m.yaml");
    expect(parsed.ok).toBe(true);
    const store = new AdaptersStore();
    store.replace(parsed.ok ? parsed.value : []);
    expect(["a1", "1", "base-model-1", "a2"].map((m) => store.baseModelOf(m))).toEqual(["base-model-1", "base-model-1", "base-model-1", ""]);
  });

  it("replaces adapters whole on update", () => {
    const store = new AdaptersStore();
    store.replace([{ baseModel: "b", adapters: ["a1", "a2"] }]);
    store.replace([{ baseModel: "b", adapters: ["a2", "a3"] }]);
    expect(["a1", "a2", "a3"].map((m) => store.baseModelOf(m))).toEqual(["", "b", "b"]);
  });

  it("reports adapters claimed by two base models (the last wins)", () => {
    const store = new AdaptersStore();
    expect(store.replace([{ baseModel: "x", adapters: ["shared"] }, { baseModel: "y", adapters: ["shared"] }])).toEqual(["shared"]);
    expect(store.baseModelOf("shared")).toBe("y");
  });

  it.each([
    { text: "adapters: [a]", want: "m.yaml: document 1.baseModel" },
    { text: "baseModel: '   '", want: "m.yaml: document 1.baseModel: baseModel must not be empty" },
    { text: "[", want: "m.yaml: document 1:" },
    { text: "baseModel: ok\n---\nbaseModel: b\nextra: 1", want: "m.yaml: document 2" },
  ])("names the document and field of an error: $want", ({ text, want }) => {
    const parsed = parseMappings(text, "m.yaml");
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? "" : parsed.error).toContain(want);
  });

  it("reloads a mapping file swapped like a Kubernetes ConfigMap volume, and keeps the last good one on a bad edit", async () => {
    // ConfigMap volumes: file -> ..data/file, ..data -> ..<timestamp>; updates swap ..data.
    const dir = mkdtempSync(join(tmpdir(), "bbr-cm-"));
    const version = (n: number, text: string) => {
      const d = join(dir, `..v${n}`);
      mkdirSync(d);
      writeFileSync(join(d, "mappings.yaml"), text);
      return d;
    };
    symlinkSync(version(1, "baseModel: llama\nadapters: [sql-lora]\n"), join(dir, "..data"));
    symlinkSync("..data/mappings.yaml", join(dir, "mappings.yaml"));
    const plugin = create({ mappingFile: join(dir, "mappings.yaml") });
    expect(plugin.store.baseModelOf("sql-lora")).toBe("llama");

    const swap = (target: string) => {
      symlinkSync(target, join(dir, "..data_tmp"));
      renameSync(join(dir, "..data_tmp"), join(dir, "..data"));
    };
    swap(version(2, "baseModel: llama\nadapters: [chat-lora]\n"));
    await expect.poll(() => plugin.store.baseModelOf("chat-lora"), { timeout: 3000 }).toBe("llama");
    expect(plugin.store.baseModelOf("sql-lora")).toBe("");

    swap(version(3, "baseModel: [not, a, string]\n"));
    await new Promise((r) => setTimeout(r, 300));
    expect(plugin.store.baseModelOf("chat-lora")).toBe("llama");
    plugin.close();
  });
});
