import { isRequestError, RequestError } from "../../common/request-error.js";
import type { Plugin } from "../../plugin/plugin.js";
import {
  type DurationSource,
  type FailureKind,
  type FailureReporter,
  NO_DURATIONS,
  type PluginPolicy,
  PluginStep,
  recordDuration,
  type StepArguments,
  type StepListener,
  type StepOptions,
  type TimedStep,
} from "../../plugin/runner.js";
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

const DEFAULT_POLICY: PluginPolicy = { timeoutMs: DEFAULT_PLUGIN_TIMEOUT_MS, failurePolicy: "Fail" };

/** ChainName is the chain a step runs in; it is the `extension_point` label of bbr_plugin_duration_seconds (GIE's). */
export type ChainName = "request" | "response";

/** Step is one plugin call in a BBR chain, bound to its chain, extension point, policy and duration series. */
export class Step<A extends StepArguments> extends PluginStep<A, void | Promise<void>, ExtensionPoint> {
  constructor(
    readonly chain: ChainName,
    plugin: Plugin,
    extensionPoint: ExtensionPoint,
    invoke: (...args: A) => void | Promise<void>,
    options: StepOptions<A[0], void | Promise<void>>,
  ) {
    super(plugin, extensionPoint, invoke, options);
  }
}

/** ChainOptions supply per-plugin policies, the failure reporter and the duration histogram. */
export interface ChainOptions {
  readonly policyOf?: (plugin: Plugin) => PluginPolicy | undefined;
  readonly reportFailure?: FailureReporter;
  /** durations is where each step's calls are observed (labelled with the chain name); default: nowhere. */
  readonly durations?: DurationSource;
}

/** Chains are the compiled request and response chains of one config. */
export interface Chains {
  readonly request: readonly Step<[InferenceRequest]>[];
  readonly responseHeaders: readonly Step<[InferenceResponse]>[];
  readonly responseChunks: readonly Step<[InferenceResponse, Uint8Array, boolean]>[];
  readonly responseBody: readonly Step<[InferenceResponse]>[];
}

/**
 * internalError is what a failing plugin under the Fail policy answers: a 500 that names no
 * plugin internals (the log has them).
 */
function internalError(kind: FailureKind, cause: unknown): RequestError {
  return new RequestError(
    "Internal",
    kind === "timeout" ? "request processing timed out" : "request processing failed",
    {
      reason: kind === "timeout" ? "plugin_timeout" : "plugin_failed",
      cause,
    },
  );
}

/**
 * compileChains turns ordered plugin lists into steps. A request plugin implementing both
 * MetadataExtractor and ModelSelector runs extractMetadata, then selectModel. A RequestError a
 * plugin raises is its answer and always propagates; any other error is a failure, reported and
 * then skipped (Ignore) or answered 500 (Fail).
 */
export function compileChains(
  requestPlugins: readonly Plugin[],
  responsePlugins: readonly Plugin[],
  options: ChainOptions = {},
): Chains {
  const durations = options.durations ?? NO_DURATIONS;
  const step = <A extends StepArguments>(
    chain: ChainName,
    plugin: Plugin,
    extensionPoint: ExtensionPoint,
    invoke: (...args: A) => void | Promise<void>,
  ): Step<A> =>
    new Step(chain, plugin, extensionPoint, invoke, {
      duration: durations(plugin, chain),
      policy: options.policyOf?.(plugin) ?? DEFAULT_POLICY,
      reportFailure: options.reportFailure,
      isAnswer: isRequestError,
      failWith: internalError,
    });
  const request: Step<[InferenceRequest]>[] = [];
  for (const p of requestPlugins) {
    if (isMetadataExtractor(p))
      request.push(step("request", p, "MetadataExtractor", (r: InferenceRequest) => p.extractMetadata(r)));
    if (isModelSelector(p))
      request.push(step("request", p, "ModelSelector", (r: InferenceRequest) => p.selectModel(r)));
  }
  const responseHeaders: Step<[InferenceResponse]>[] = [];
  const responseChunks: Step<[InferenceResponse, Uint8Array, boolean]>[] = [];
  const responseBody: Step<[InferenceResponse]>[] = [];
  for (const p of responsePlugins) {
    if (isResponseHeadersProcessor(p)) {
      responseHeaders.push(
        step("response", p, "ResponseHeadersProcessor", (r: InferenceResponse) => p.processResponseHeaders(r)),
      );
    }
    if (isResponseChunkProcessor(p)) {
      responseChunks.push(
        step("response", p, "ResponseChunkProcessor", (r: InferenceResponse, chunk: Uint8Array, eos: boolean) =>
          p.processResponseChunk(r, chunk, eos),
        ),
      );
    }
    if (isResponseBodyProcessor(p)) {
      responseBody.push(
        step("response", p, "ResponseBodyProcessor", (r: InferenceResponse) => p.processResponseBody(r)),
      );
    }
  }
  return { request, responseHeaders, responseChunks, responseBody };
}

/** ChainObserver hears each finished plugin call with its chain name (tracing spans). */
export type ChainObserver = (plugin: Plugin, chain: ChainName, seconds: number) => void;

/**
 * recordedAnd is the listener of a stream that also observes its plugin calls: each step's own
 * duration series, then `observer`. Build it once per stream, not per chain run.
 */
export function recordedAnd(observer: ChainObserver): StepListener<TimedStep & { readonly chain: ChainName }> {
  return (step, seconds) => {
    recordDuration(step, seconds);
    observer(step.plugin, step.chain, seconds);
  };
}
