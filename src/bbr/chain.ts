import type { Plugin } from "../framework/plugin.js";
import {
  type ExtensionPoint,
  isMetadataExtractor,
  isModelSelector,
  isResponseBodyProcessor,
  isResponseChunkProcessor,
  isResponseHeadersProcessor,
} from "./framework/extension-points.js";
import type { InferenceRequest, InferenceResponse } from "./framework/inference-message.js";

/** Step is one plugin call in a chain, bound to its extension point. */
export interface Step<A extends unknown[]> {
  readonly plugin: Plugin;
  readonly extensionPoint: ExtensionPoint;
  run(...args: A): void | Promise<void>;
}

/** StepTimer records how long each step took (the plugin-duration metric). */
export type StepTimer = (plugin: Plugin, chain: "request" | "response", seconds: number) => void;

/** Chains are the compiled request and response chains of one config. */
export interface Chains {
  readonly request: readonly Step<[InferenceRequest]>[];
  readonly responseHeaders: readonly Step<[InferenceResponse]>[];
  readonly responseChunks: readonly Step<[InferenceResponse, Uint8Array, boolean]>[];
  readonly responseBody: readonly Step<[InferenceResponse]>[];
}

/**
 * compileChains turns ordered plugin lists into steps. A request plugin implementing both
 * MetadataExtractor and ModelSelector runs extractMetadata, then selectModel.
 */
export function compileChains(requestPlugins: readonly Plugin[], responsePlugins: readonly Plugin[]): Chains {
  const request: Step<[InferenceRequest]>[] = [];
  for (const p of requestPlugins) {
    if (isMetadataExtractor(p)) request.push({ plugin: p, extensionPoint: "MetadataExtractor", run: (r) => p.extractMetadata(r) });
    if (isModelSelector(p)) request.push({ plugin: p, extensionPoint: "ModelSelector", run: (r) => p.selectModel(r) });
  }
  const responseHeaders: Step<[InferenceResponse]>[] = [];
  const responseChunks: Step<[InferenceResponse, Uint8Array, boolean]>[] = [];
  const responseBody: Step<[InferenceResponse]>[] = [];
  for (const p of responsePlugins) {
    if (isResponseHeadersProcessor(p)) {
      responseHeaders.push({ plugin: p, extensionPoint: "ResponseHeadersProcessor", run: (r) => p.processResponseHeaders(r) });
    }
    if (isResponseChunkProcessor(p)) {
      responseChunks.push({
        plugin: p,
        extensionPoint: "ResponseChunkProcessor",
        run: (r, chunk, eos) => p.processResponseChunk(r, chunk, eos),
      });
    }
    if (isResponseBodyProcessor(p)) {
      responseBody.push({ plugin: p, extensionPoint: "ResponseBodyProcessor", run: (r) => p.processResponseBody(r) });
    }
  }
  return { request, responseHeaders, responseChunks, responseBody };
}

function isPromise(v: unknown): v is Promise<void> {
  return typeof (v as Promise<void> | undefined)?.then === "function";
}

/**
 * runSteps runs steps in order. It stays synchronous while every plugin is, and continues
 * asynchronously from the first plugin that returns a promise, so the common all-sync chain
 * costs no microtask hops.
 */
export function runSteps<A extends unknown[]>(
  steps: readonly Step<A>[],
  args: A,
  chain: "request" | "response",
  timer: StepTimer,
  from = 0,
): void | Promise<void> {
  for (let i = from; i < steps.length; i++) {
    const step = steps[i]!;
    const start = performance.now();
    const pending = step.run(...args);
    if (isPromise(pending)) {
      return pending.then(() => {
        timer(step.plugin, chain, (performance.now() - start) / 1000);
        return runSteps(steps, args, chain, timer, i + 1);
      });
    }
    timer(step.plugin, chain, (performance.now() - start) / 1000);
  }
}
