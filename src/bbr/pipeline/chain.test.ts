import { describe, expect, it } from "vitest";
import { isRequestError, RequestError } from "../../common/request-error.js";
import { StateKey } from "../../plugin/cycle-state.js";
import type { Plugin } from "../../plugin/plugin.js";
import { runChain } from "../../plugin/runner.js";
import type { MetadataExtractor, ModelSelector, ResponseChunkProcessor } from "../api/extension-points.js";
import { testRequest } from "../api/testing.js";
import { compileChains, DEFAULT_PLUGIN_TIMEOUT_MS, recordedAnd } from "./chain.js";

const SEEN = new StateKey<string[]>("test/seen");

const both: MetadataExtractor & ModelSelector = {
  typedName: { type: "both", name: "both" },
  extractMetadata: (r) => r.cycleState.write(SEEN, [...(r.cycleState.read(SEEN) ?? []), "extract"]),
  selectModel: (r) => r.cycleState.write(SEEN, [...(r.cycleState.read(SEEN) ?? []), "select"]),
};
function failing(error: unknown): MetadataExtractor {
  return {
    typedName: { type: "failing", name: "failing" },
    extractMetadata: () => {
      throw error;
    },
  };
}

const chunks: ResponseChunkProcessor = {
  typedName: { type: "chunks", name: "chunks" },
  processResponseChunk: () => {},
};

async function outcome(plugin: Plugin, failurePolicy: "Fail" | "Ignore"): Promise<string> {
  const chains = compileChains([plugin], [], {
    policyOf: () => ({ failurePolicy, timeoutMs: 20 }),
    reportFailure: () => {},
  });
  try {
    await runChain(chains.request, [testRequest({ body: { model: "m" } })]);
    return "passed";
  } catch (e) {
    return isRequestError(e) ? `${e.httpStatus} ${e.reason}` : `stream error: ${(e as Error).message}`;
  }
}

describe("compileChains", () => {
  it("runs extractMetadata, then selectModel, of a plugin implementing both", () => {
    const chains = compileChains([both], [chunks]);
    expect(chains.request.map((s) => `${s.chain}:${s.extensionPoint}`)).toEqual([
      "request:MetadataExtractor",
      "request:ModelSelector",
    ]);
    expect(chains.responseChunks.map((s) => `${s.chain}:${s.extensionPoint}`)).toEqual([
      "response:ResponseChunkProcessor",
    ]);
    const request = testRequest({ body: { model: "m" } });
    expect(runChain(chains.request, [request])).toBeUndefined();
    expect(request.cycleState.read(SEEN)).toEqual(["extract", "select"]);
  });

  it("defaults to Fail with a bounded wait", () => {
    const [step] = compileChains([both], []).request;
    expect(step?.policy).toEqual({ failurePolicy: "Fail", timeoutMs: DEFAULT_PLUGIN_TIMEOUT_MS });
  });

  it.each([
    {
      name: "a RequestError is the plugin's answer",
      error: new RequestError("BadRequest", "no", { reason: "bad_request" }),
      policy: "Ignore",
      want: "400 bad_request",
    },
    { name: "a failure under Fail answers 500", error: new Error("bug"), policy: "Fail", want: "500 plugin_failed" },
    { name: "a failure under Ignore is skipped", error: new Error("bug"), policy: "Ignore", want: "passed" },
  ] as const)("$name", async ({ error, policy, want }) => {
    expect(await outcome(failing(error), policy)).toBe(want);
  });

  it("answers 500 plugin_timeout when an asynchronous plugin does not settle in time", async () => {
    const hanging: MetadataExtractor = {
      typedName: { type: "hanging", name: "hanging" },
      extractMetadata: () => new Promise(() => {}),
    };
    expect(await outcome(hanging, "Fail")).toBe("500 plugin_timeout");
  });

  it("observes each step in the series of its chain", () => {
    const series: string[] = [];
    const observed: string[] = [];
    const chains = compileChains([both], [chunks], {
      durations: (plugin, label) => {
        series.push(`${plugin.typedName.name}/${label}`);
        return { observe: () => observed.push(`${plugin.typedName.name}/${label}`) };
      },
    });
    expect(series).toEqual(["both/request", "both/request", "chunks/response"]);
    runChain(chains.request, [testRequest({ body: { model: "m" } })]);
    expect(observed).toEqual(["both/request", "both/request"]);
  });
});

describe("recordedAnd", () => {
  it("observes each step's series, then tells the observer the chain", () => {
    const observed: string[] = [];
    const chains = compileChains([both], [], { durations: () => ({ observe: () => observed.push("series") }) });
    runChain(
      chains.request,
      [testRequest({ body: { model: "m" } })],
      recordedAnd((p, chain) => observed.push(`${p.typedName.name}:${chain}`)),
    );
    expect(observed).toEqual(["series", "both:request", "series", "both:request"]);
  });
});
