import type { Logger } from "../../common/logger.js";
import { memoizedBy } from "../../common/memo.js";
import { isRequestError, openAiErrorAnswer, type RequestError } from "../../common/request-error.js";
import { err, ok, type Result } from "../../common/result.js";
import type {
  Forward,
  HeaderChanges,
  HeadersOnly,
  RequestStart,
  ResponseForward,
  ResponseStart,
  StreamDecisions,
  StreamOutcome,
} from "../../extproc/lifecycle/decisions.js";
import { NO_HEADER_CHANGES } from "../../extproc/lifecycle/decisions.js";
import type { LifecycleSettings } from "../../extproc/lifecycle/stream-lifecycle.js";
import { CycleState } from "../../plugin/cycle-state.js";
import { TrackedHeaders } from "../api/headers.js";
import { InferenceRequest, InferenceResponse } from "../api/inference-message.js";
import { MessageBody } from "../api/message-body.js";
import { recordDuration, runChain, type StepListener, type TimedStep } from "../../plugin/runner.js";
import { type ChainName, recordedAnd, type ChainObserver } from "./chain.js";
import { bodyEncodingOf, type Coding, decodeBody, encodeBody } from "./content-encoding.js";
import { bodyKindOf } from "../api/content-kind.js";
import type { BbrEnvironment, BbrSettings } from "./settings.js";

const CONTENT_LENGTH = "Content-Length";

/** lifecycleSettingsOf is the stream lifecycle's view of a config snapshot (built once per snapshot). */
export const lifecycleSettingsOf = memoizedBy(
  (settings: BbrSettings): LifecycleSettings => ({
    maxRequestBodyBytes: settings.maxBodyBytes,
    maxResponseHoldBytes: settings.maxResponseBufferBytes,
    streamingByDefault: settings.streamingByDefault,
    detailsPrefix: "bbr",
    renderError: openAiErrorAnswer,
  }),
);

/** ChainListener hears each finished step of a BBR chain. */
export type ChainListener = StepListener<TimedStep & { readonly chain: ChainName }>;

/** chainListener is a stream's listener: the steps' duration series, plus `observer` when given (tracing). */
export function chainListener(observer: ChainObserver | undefined): ChainListener {
  return observer ? recordedAnd(observer) : recordDuration;
}

/**
 * BbrExchange is BBR's part of one exchange: it builds the request the plugins see, runs the
 * request chain once the body is complete, enforces header ownership (a client can never pick
 * its own route) and runs the response chains. The protocol around it is StreamLifecycle's.
 */
export class BbrExchange implements StreamDecisions {
  private request: InferenceRequest | undefined;
  private response: InferenceResponse | undefined;
  /** Owned headers the client sent: each must end up overwritten or removed. */
  private spoofedOwnedHeaders: string[] = [];
  /**
   * For a body in content codings BBR knows: the codings and the bytes as they came on the wire.
   * Plugins see the decoded body; upstream gets these bytes unless a plugin changed the body.
   */
  private requestCodings: readonly Coding[] | undefined;
  private encodedRequestBody: MessageBody | undefined;
  /** listener hears every finished plugin call of this stream (metrics, and tracing when on). */
  private readonly listener: ChainListener;

  constructor(
    private readonly env: BbrEnvironment,
    private readonly settings: BbrSettings,
    listener: ChainListener = recordDuration,
  ) {
    this.listener = listener;
  }

  /** requestBody is the request body as plugins see it (decoded), once the request started. */
  requestBody(): MessageBody | undefined {
    return this.request?.body;
  }

  logger(): Logger {
    return this.request?.logger ?? this.env.logger;
  }

  outcome(outcome: StreamOutcome, code: string): void {
    this.env.metrics.requests.inc({ outcome, code });
  }

  streamEnded(): void {
    this.request?.body.release();
    this.response?.body.release();
    this.encodedRequestBody?.release();
  }

  // ---- request ----

  startRequest(start: RequestStart): void {
    const s = this.settings;
    const headers = new TrackedHeaders(start.headers, s.maxHeaderValueBytes);
    this.spoofedOwnedHeaders = s.ownedHeaders.filter((name) => headers.has(name));
    const encoding = bodyEncodingOf(headers);
    // A coding BBR cannot undo leaves the body opaque: no model is guessed from it.
    const kind = encoding.kind === "unknown" ? "opaque" : bodyKindOf(headers);
    if (encoding.kind === "known") {
      this.requestCodings = encoding.codings;
      this.encodedRequestBody = new MessageBody("opaque");
    }
    this.request = new InferenceRequest(headers, new MessageBody(kind), new CycleState(), this.env.logger);
  }

  /** No body BBR can act on: plugins do not run (as in GIE), but a client still cannot choose its route. */
  decideWithoutBody(): Result<HeadersOnly, RequestError> {
    return ok({ headers: { sets: [], removes: this.spoofedOwnedHeaders } });
  }

  appendRequestBody(chunk: Uint8Array): void {
    (this.encodedRequestBody ?? this.request!.body).append(chunk);
  }

  decideRequest(): Result<Forward, RequestError> | Promise<Result<Forward, RequestError>> {
    const request = this.request!;
    const encoded = this.encodedRequestBody;
    if (encoded && this.requestCodings) {
      this.env.metrics.requestBodyBytes.observe(encoded.receivedBytes);
      const codings = this.requestCodings;
      return decodeBody(codings, encoded.originalBytes(), this.settings.maxBodyBytes).then((decoded) => {
        if (!decoded.ok) return err(decoded.error);
        request.body.append(decoded.value);
        return this.runRequestChain();
      });
    }
    this.env.metrics.requestBodyBytes.observe(request.body.receivedBytes);
    return this.runRequestChain();
  }

  private runRequestChain(): Result<Forward, RequestError> | Promise<Result<Forward, RequestError>> {
    const request = this.request!;
    try {
      request.body.validate(); // a JSON body must parse, whatever the chain reads
      const pending = runChain(this.settings.chains.request, [request], this.listener);
      if (pending) return pending.then(() => this.forwarded(), chainError);
    } catch (e) {
      return chainError(e);
    }
    return this.forwarded();
  }

  /**
   * forwarded is the request as it goes upstream. An encoded body goes as received, or
   * re-encoded with the same codings when a plugin changed it (so content-encoding stays true).
   */
  private forwarded(): Result<Forward, RequestError> | Promise<Result<Forward, RequestError>> {
    const request = this.request!;
    const headers = this.finalRequestHeaderChanges(request);
    const encoded = this.encodedRequestBody;
    if (encoded && this.requestCodings) {
      if (!request.body.mutated) return ok({ headers, body: encoded.originalBytes(), bodyMutated: false });
      return encodeBody(this.requestCodings, request.body.finalBytes()).then((body) =>
        ok({ headers, body, bodyMutated: true }),
      );
    }
    return ok({ headers, body: request.body.forwardedBytes(), bodyMutated: request.body.mutated });
  }

  requestForwarded(): void {
    this.env.metrics.success.inc();
  }

  /**
   * finalRequestHeaderChanges is the plugins' header changes plus ownership enforcement: an
   * owned header the client sent is removed unless a plugin set it to a non-empty value. (An
   * empty set is sent too, for GIE parity, after the removal.) Content-Length is the lifecycle's.
   */
  private finalRequestHeaderChanges(request: InferenceRequest): HeaderChanges {
    const sets = request.headers.mutatedHeaders().filter((h) => h.key.toLowerCase() !== "content-length");
    const removes = request.headers.removedHeaders();
    for (const name of this.spoofedOwnedHeaders) {
      if (request.headers.wasRemoved(name)) continue;
      if (request.headers.wasSet(name) && request.headers.get(name) !== "") continue;
      removes.push(name);
    }
    return { sets, removes };
  }

  // ---- response ----

  startResponse(start: ResponseStart): void {
    // No response plugin: nothing would read the response, so none is built (the common case).
    if (!this.hasResponsePlugins()) return;
    const headers = new TrackedHeaders(start.headers, this.settings.maxHeaderValueBytes);
    this.response = new InferenceResponse(this.request!, headers, new MessageBody(bodyKindOf(headers), "ignore"));
  }

  private hasResponsePlugins(): boolean {
    const c = this.settings.chains;
    return c.responseHeaders.length > 0 || c.responseChunks.length > 0 || c.responseBody.length > 0;
  }

  holdsResponseBody(): boolean {
    return this.settings.chains.responseBody.length > 0;
  }

  responseHeaders(): void | Promise<void> {
    if (!this.response) return;
    return runChain(this.settings.chains.responseHeaders, [this.response!], this.listener);
  }

  responseHeaderChanges(): HeaderChanges {
    if (!this.response) return NO_HEADER_CHANGES;
    const headers = this.response.headers;
    return { sets: headers.mutatedHeaders(), removes: headers.removedHeaders() };
  }

  responseChunk(chunk: Uint8Array, endOfStream: boolean): void | Promise<void> {
    const steps = this.settings.chains.responseChunks;
    if (steps.length === 0) return;
    return runChain(steps, [this.response!, chunk, endOfStream], this.listener);
  }

  responseBody(chunks: readonly Uint8Array[]): ResponseForward | Promise<ResponseForward> {
    const response = this.response!;
    for (const chunk of chunks) response.body.append(chunk);
    const forward = (): ResponseForward => {
      const body = response.body.finalBytes();
      if (response.body.mutated) response.headers.set(CONTENT_LENGTH, String(body.length));
      return { headers: this.responseHeaderChanges(), body, bodyMutated: response.body.mutated };
    };
    const pending = runChain(this.settings.chains.responseBody, [response], this.listener);
    if (pending) return pending.then(forward);
    return forward();
  }
}

/** chainError turns a plugin's RequestError into the answer; anything else fails the stream. */
function chainError(e: unknown): Result<never, RequestError> {
  if (isRequestError(e)) return err(e);
  throw e;
}
