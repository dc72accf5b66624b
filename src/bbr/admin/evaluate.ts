import type { Logger } from "../../common/logger.js";
import { CycleState } from "../../plugin/cycle-state.js";
import { isRequestError, openAiErrorBody, RequestError } from "../../common/request-error.js";
import type { Plugin } from "../../plugin/plugin.js";
import { runSteps } from "../pipeline/chain.js";
import { bodyEncodingOf, decodeBody } from "../pipeline/content-encoding.js";
import { bodyKindOf } from "../pipeline/content-kind.js";
import { TrackedHeaders } from "../api/headers.js";
import { InferenceRequest } from "../api/inference-message.js";
import { MessageBody } from "../api/message-body.js";
import { MODEL_HEADER } from "../api/model-selection.js";
import type { BbrSettings } from "../pipeline/settings.js";

/** EvaluationInput is a request to dry-run: headers (any case) and the body bytes. */
export interface EvaluationInput {
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Uint8Array;
}

/** EvaluationTiming is one plugin call's duration. */
export interface EvaluationTiming {
  readonly plugin: Plugin;
  readonly extensionPoint: string;
  readonly durationMs: number;
}

/** EvaluationError is what BBR would answer instead of forwarding. */
export interface EvaluationError {
  /** 0 when the ext_proc stream would fail (Envoy's failure mode decides). */
  readonly httpStatus: number;
  readonly code: string;
  readonly reason: string;
  readonly message: string;
  readonly body: string;
}

/** Evaluation is the outcome of a dry run. */
export interface Evaluation {
  readonly headersSet: readonly { name: string; value: string }[];
  readonly headersRemoved: readonly string[];
  readonly bodyChanged: boolean;
  readonly body: Uint8Array | undefined;
  readonly model: string;
  readonly timings: readonly EvaluationTiming[];
  readonly error: EvaluationError | undefined;
}

function asError(e: unknown): EvaluationError {
  if (isRequestError(e)) {
    return { httpStatus: e.httpStatus, code: e.code, reason: e.reason, message: e.message, body: openAiErrorBody(e) };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { httpStatus: 0, code: "StreamError", reason: "stream_failed", message, body: "" };
}

/**
 * evaluateRequest runs the request chain of `settings` on one request, as the stream processor
 * would once the body is complete: the same body limit and JSON check, the same plugins and
 * failure policies, the same decoding of compressed bodies, the same owned-header rule (a
 * client-sent owned header is removed unless a plugin set it). It leaves out transport details
 * (Content-Length, chunking, re-encoding a changed body).
 */
export async function evaluateRequest(
  settings: BbrSettings,
  input: EvaluationInput,
  logger: Logger,
): Promise<Evaluation> {
  const values = new Map<string, string>();
  for (const [k, v] of input.headers) values.set(k.toLowerCase(), v);
  const headers = new TrackedHeaders(values, settings.maxHeaderValueBytes);
  const spoofed = settings.ownedHeaders.filter((h) => headers.has(h));
  // As the stream processor does: known codings are decoded for plugins, others stay opaque.
  const encoding = bodyEncodingOf(headers);
  const body = new MessageBody(encoding.kind === "unknown" ? "opaque" : bodyKindOf(headers));
  const request = new InferenceRequest(headers, body, new CycleState(), logger);
  const steps = settings.chains.request;
  const timings: EvaluationTiming[] = [];
  let error: EvaluationError | undefined;
  try {
    if (input.body.length > settings.maxBodyBytes) {
      throw new RequestError("PayloadTooLarge", `request body exceeds the limit of ${settings.maxBodyBytes} bytes`, {
        reason: "request_body_too_large",
      });
    }
    if (encoding.kind === "known") {
      const decoded = await decodeBody(encoding.codings, input.body, settings.maxBodyBytes);
      if (!decoded.ok) throw decoded.error;
      body.append(decoded.value);
    } else {
      body.append(input.body);
    }
    body.json();
    // The timer runs once per step, in step order, so the n-th call belongs to steps[n].
    await runSteps(steps, [request], "request", (plugin, _chain, seconds) => {
      timings.push({ plugin, extensionPoint: steps[timings.length]?.extensionPoint ?? "", durationMs: seconds * 1000 });
    });
  } catch (e) {
    error = asError(e);
  }
  if (error)
    return { headersSet: [], headersRemoved: [], bodyChanged: false, body: undefined, model: "", timings, error };
  const headersSet = headers
    .mutatedHeaders()
    .filter((h) => h.key.toLowerCase() !== "content-length")
    .map((h) => ({ name: h.key, value: h.value }));
  const headersRemoved = headers.removedHeaders();
  for (const name of spoofed) {
    if (headers.wasRemoved(name) || (headers.wasSet(name) && headers.get(name) !== "")) continue;
    headersRemoved.push(name);
  }
  const model = headers.wasSet(MODEL_HEADER) ? (headers.get(MODEL_HEADER) ?? "") : "";
  return {
    headersSet,
    headersRemoved,
    bodyChanged: body.mutated,
    body: body.mutated ? body.finalBytes() : undefined,
    model,
    timings,
    error: undefined,
  };
}
