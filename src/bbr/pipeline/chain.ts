import { isRequestError, RequestError } from "../../common/request-error.js";
import type { Plugin } from "../../plugin/plugin.js";
import {
  type ExtensionPoint,
  isMetadataExtractor,
  isModelSelector,
  isResponseBodyProcessor,
  isResponseChunkProcessor,
  isResponseHeadersProcessor,
} from "../api/extension-points.js";
import type { InferenceRequest, InferenceResponse } from "../api/inference-message.js";

/** DEFAULT_PLUGIN_TIMEOUT_MS bounds an asynchronous plugin call unless the config says otherwise. */
export const DEFAULT_PLUGIN_TIMEOUT_MS = 5000;

/** PluginPolicy is how the chain treats one plugin's failures. */
export interface PluginPolicy {
  readonly timeoutMs: number;
  /** Fail answers the request 500; Ignore skips the plugin (fail open). */
  readonly failurePolicy: "Fail" | "Ignore";
}

const DEFAULT_POLICY: PluginPolicy = { timeoutMs: DEFAULT_PLUGIN_TIMEOUT_MS, failurePolicy: "Fail" };

/** FailureKind says how a plugin failed. */
export type FailureKind = "error" | "timeout";

/** FailureReporter hears every plugin failure (metrics, logs), whatever the policy. */
export type FailureReporter = (plugin: Plugin, kind: FailureKind, error: unknown) => void;

/** Step is one plugin call in a chain, bound to its extension point and policy. */
export interface Step<A extends unknown[]> {
  readonly plugin: Plugin;
  readonly extensionPoint: ExtensionPoint;
  readonly policy: PluginPolicy;
  readonly reportFailure: FailureReporter | undefined;
  run(...args: A): void | Promise<void>;
}

/** StepTimer records how long each step took (the plugin-duration metric). */
export type StepTimer = (plugin: Plugin, chain: "request" | "response", seconds: number) => void;

/** ChainOptions supply per-plugin policies and the failure reporter. */
export interface ChainOptions {
  readonly policyOf?: (plugin: Plugin) => PluginPolicy | undefined;
  readonly reportFailure?: FailureReporter;
}

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
export function compileChains(
  requestPlugins: readonly Plugin[],
  responsePlugins: readonly Plugin[],
  options: ChainOptions = {},
): Chains {
  const step = <A extends unknown[]>(plugin: Plugin, extensionPoint: ExtensionPoint, run: (...args: A) => void | Promise<void>): Step<A> => ({
    plugin,
    extensionPoint,
    policy: options.policyOf?.(plugin) ?? DEFAULT_POLICY,
    reportFailure: options.reportFailure,
    run,
  });
  const request: Step<[InferenceRequest]>[] = [];
  for (const p of requestPlugins) {
    if (isMetadataExtractor(p)) request.push(step(p, "MetadataExtractor", (r: InferenceRequest) => p.extractMetadata(r)));
    if (isModelSelector(p)) request.push(step(p, "ModelSelector", (r: InferenceRequest) => p.selectModel(r)));
  }
  const responseHeaders: Step<[InferenceResponse]>[] = [];
  const responseChunks: Step<[InferenceResponse, Uint8Array, boolean]>[] = [];
  const responseBody: Step<[InferenceResponse]>[] = [];
  for (const p of responsePlugins) {
    if (isResponseHeadersProcessor(p)) {
      responseHeaders.push(step(p, "ResponseHeadersProcessor", (r: InferenceResponse) => p.processResponseHeaders(r)));
    }
    if (isResponseChunkProcessor(p)) {
      responseChunks.push(
        step(p, "ResponseChunkProcessor", (r: InferenceResponse, chunk: Uint8Array, eos: boolean) => p.processResponseChunk(r, chunk, eos)),
      );
    }
    if (isResponseBodyProcessor(p)) {
      responseBody.push(step(p, "ResponseBodyProcessor", (r: InferenceResponse) => p.processResponseBody(r)));
    }
  }
  return { request, responseHeaders, responseChunks, responseBody };
}

function isPromise(v: unknown): v is Promise<void> {
  return typeof (v as Promise<void> | undefined)?.then === "function";
}

class PluginTimeout extends Error {}

function within(pending: Promise<void>, timeoutMs: number): Promise<void> {
  if (!Number.isFinite(timeoutMs)) return pending;
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new PluginTimeout(`no answer within ${timeoutMs} ms`)), timeoutMs);
    pending.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/**
 * handleFailure decides what a plugin error means. A RequestError is a deliberate answer and
 * always propagates. Anything else is a failure: reported, then either skipped (Ignore) or
 * turned into a 500 that names no plugin internals (the log has them).
 */
function handleFailure(step: Step<unknown[]>, error: unknown): void {
  if (isRequestError(error)) throw error;
  const kind: FailureKind = error instanceof PluginTimeout ? "timeout" : "error";
  step.reportFailure?.(step.plugin, kind, error);
  if (step.policy.failurePolicy === "Ignore") return;
  throw new RequestError("Internal", kind === "timeout" ? "request processing timed out" : "request processing failed", {
    reason: kind === "timeout" ? "plugin_timeout" : "plugin_failed",
    cause: error,
  });
}

/**
 * runSteps runs steps in order. It stays synchronous while every plugin is, and continues
 * asynchronously from the first plugin that returns a promise, so the common all-sync chain
 * costs no microtask hops. Failures follow each plugin's policy.
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
    let pending: void | Promise<void>;
    try {
      pending = step.run(...args);
    } catch (e) {
      timer(step.plugin, chain, (performance.now() - start) / 1000);
      handleFailure(step as Step<unknown[]>, e);
      continue;
    }
    if (isPromise(pending)) {
      const next = () => {
        timer(step.plugin, chain, (performance.now() - start) / 1000);
        return runSteps(steps, args, chain, timer, i + 1);
      };
      return within(pending, step.policy.timeoutMs).then(next, (e: unknown) => {
        handleFailure(step as Step<unknown[]>, e);
        return next();
      });
    }
    timer(step.plugin, chain, (performance.now() - start) / 1000);
  }
}
