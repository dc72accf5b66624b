import { type HeaderSet, buildHeaderMutation, readHeaderMap } from "../../extproc/headers.js";
import {
  bufferedBodyResponse,
  emptyBodyResponse,
  emptyHeadersResponse,
  emptyTrailersResponse,
  immediateErrorResponse,
  mutatingHeadersResponse,
  type Phase,
  streamedBodyResponses,
} from "../../extproc/responses.js";
import { type BodyMode, bodyModesOf, dispatchPhase, type PhaseHandlers } from "../../extproc/phases.js";
import { type ResponseSink, StreamError, type StreamHandler } from "../../extproc/transport/stream.js";
import { CycleState } from "../../plugin/cycle-state.js";
import { isRequestError, RequestError } from "../../common/request-error.js";
import type { Plugin } from "../../plugin/plugin.js";
import type {
  HttpBody,
  HttpHeaders,
  ProcessingRequest,
  ProcessingResponse,
} from "../../gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import { runSteps, type StepTimer } from "./chain.js";
import { bodyEncodingOf, type Coding, decodeBody, encodeBody } from "./content-encoding.js";
import { bodyKindOf } from "./content-kind.js";
import { TrackedHeaders } from "../api/headers.js";
import { InferenceRequest, InferenceResponse } from "../api/inference-message.js";
import { MessageBody } from "../api/message-body.js";
import type { RequestOutcome } from "../metrics.js";
import type { BbrEnvironment, BbrSettings } from "./settings.js";

type RequestPhase = "awaiting-headers" | "receiving-body" | "passthrough-body" | "complete";
type ResponsePhase = "awaiting-headers" | "streaming-body" | "buffering-body" | "complete";

const CONTENT_LENGTH = "Content-Length";
const DETAILS_PREFIX = "bbr";

/**
 * BbrStreamProcessor runs the BBR protocol for one ext_proc stream (one HTTP request): it
 * buffers the request body, runs the request chain, answers with header and body mutations (or
 * an HTTP error), then passes the response through, buffering it only for plugins that need the
 * whole body. It knows nothing of the transport.
 */
export class BbrStreamProcessor implements StreamHandler {
  private readonly settings: BbrSettings;
  private requestMode: BodyMode | undefined;
  private responseMode: BodyMode = "duplex";
  private observeOnly = false;
  private ended = false;
  private outcome: RequestOutcome | undefined;
  private requestPhase: RequestPhase = "awaiting-headers";
  private responsePhase: ResponsePhase = "awaiting-headers";
  private request: InferenceRequest | undefined;
  private response: InferenceResponse | undefined;
  /** Owned headers the client sent: each must end up overwritten or removed. */
  private spoofedOwnedHeaders: string[] = [];
  private requestHeadersSkipped = false;
  /**
   * For a body in content codings BBR knows: the codings and the bytes as they came on the wire.
   * Plugins see the decoded body; upstream gets these bytes unless a plugin changed the body.
   */
  private requestCodings: readonly Coding[] | undefined;
  private encodedRequestBody: MessageBody | undefined;
  /** Envoy said end_of_stream on the request (headers or body): no trailers may follow. */
  private requestEndSeen = false;
  private responseHeadersSkipped = false;
  private readonly timer: StepTimer;

  constructor(
    private readonly env: BbrEnvironment,
    private readonly sink: ResponseSink,
    /** onStep also hears every plugin call (tracing spans); without it the timer is metrics only. */
    onStep?: StepTimer,
  ) {
    this.settings = env.settings();
    const metrics = env.metrics;
    const observe: StepTimer = (plugin: Plugin, chain, seconds) => metrics.pluginTimer(plugin, chain).observe(seconds);
    this.timer = onStep
      ? (plugin, chain, seconds) => {
          observe(plugin, chain, seconds);
          onStep(plugin, chain, seconds);
        }
      : observe;
  }

  onMessage(message: ProcessingRequest): void | Promise<void> {
    if (this.ended) return;
    try {
      const pending = this.dispatch(message);
      if (pending) return pending.catch((e: unknown) => this.failed(e));
    } catch (e) {
      this.failed(e);
    }
  }

  onPeerEnd(): void {
    if (this.ended) return;
    if (this.requestPhase !== "complete") this.recordOutcome("cancelled", "none");
    this.end();
  }

  onCancel(): void {
    if (this.ended) return;
    this.recordOutcome("cancelled", "none");
    this.ended = true;
    this.releaseBodies();
  }

  private failed(e: unknown): never {
    this.recordOutcome("failed", "none");
    this.ended = true;
    this.releaseBodies();
    const reason = e instanceof Error ? e.message : String(e);
    (this.request?.logger ?? this.env.logger).error({ err: reason }, "ext_proc stream failed");
    throw e;
  }

  private dispatch(message: ProcessingRequest): void | Promise<void> {
    if (this.requestMode === undefined) this.readProtocolConfig(message);
    // Envoy's observability mode forbids answers; the chain still runs for metrics and logs.
    if (message.observabilityMode) this.observeOnly = true;
    return dispatchPhase(message, this.phases);
  }

  private readonly phases: PhaseHandlers<void | Promise<void>> = {
    requestHeaders: (h) => this.onRequestHeaders(h),
    requestBody: (b) => this.onRequestBody(b),
    requestTrailers: () => this.onRequestTrailers(),
    responseHeaders: (h) => this.onResponseHeaders(h),
    responseBody: (b) => this.onResponseBody(b),
    responseTrailers: () => this.onResponseTrailers(),
  };

  private readProtocolConfig(message: ProcessingRequest): void {
    const modes = bodyModesOf(message, this.settings.streamingByDefault);
    this.requestMode = modes.request;
    this.responseMode = modes.response;
  }

  private send(response: ProcessingResponse): void {
    if (!this.observeOnly && !this.ended) this.sink.send(response);
  }

  private end(): void {
    this.ended = true;
    this.releaseBodies();
    this.sink.close();
  }

  private releaseBodies(): void {
    this.request?.body.release();
    this.response?.body.release();
  }

  private recordOutcome(outcome: RequestOutcome, code: string): void {
    if (this.outcome !== undefined) return;
    this.outcome = outcome;
    this.env.metrics.requests.inc({ outcome, code });
  }

  /** reject answers the HTTP request with an error and ends the stream. */
  private reject(error: RequestError): void {
    this.recordOutcome("rejected", String(error.httpStatus));
    (this.request?.logger ?? this.env.logger).debug(
      { status: error.httpStatus, reason: error.reason },
      "request rejected",
    );
    this.send(immediateErrorResponse(error, DETAILS_PREFIX));
    this.end();
  }

  private onChainError(e: unknown): void {
    if (isRequestError(e)) this.reject(e);
    else throw e;
  }

  // ---- request path ----

  private onRequestHeaders(h: HttpHeaders): void {
    if (this.requestPhase !== "awaiting-headers") {
      throw new StreamError("InvalidArgument", "request headers arrived twice");
    }
    this.startRequest(readHeaderMap(h.headers));
    this.requestEndSeen = h.endOfStream;
    if (h.endOfStream || this.requestMode === "none" || this.requestMode === "passthrough") {
      // No body BBR can act on: answer now. Plugins do not run (as in GIE), but a client can
      // still not choose its own route.
      this.requestPhase = this.requestMode === "passthrough" && !h.endOfStream ? "passthrough-body" : "complete";
      this.send(this.ownedHeadersStripped("request"));
      if (this.requestPhase === "complete") this.recordOutcome("success", "continue");
      return;
    }
    this.requestPhase = "receiving-body";
    if (this.requestMode === "buffered") this.send(emptyHeadersResponse("request"));
  }

  private startRequest(headerValues: Map<string, string>): void {
    const s = this.settings;
    const headers = new TrackedHeaders(headerValues, s.maxHeaderValueBytes);
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

  private ownedHeadersStripped(phase: Phase): ProcessingResponse {
    if (this.spoofedOwnedHeaders.length === 0) return emptyHeadersResponse(phase);
    return mutatingHeadersResponse(phase, buildHeaderMutation([], this.spoofedOwnedHeaders));
  }

  private onRequestBody(b: HttpBody): void | Promise<void> {
    if (b.endOfStream) this.requestEndSeen = true;
    if (this.requestPhase === "passthrough-body") {
      this.send(emptyBodyResponse("request"));
      if (b.endOfStream) {
        this.requestPhase = "complete";
        this.recordOutcome("success", "continue");
      }
      return;
    }
    if (this.requestPhase === "awaiting-headers") {
      // Envoy skips headers when request_header_mode is SKIP: the body is all there is, and
      // header changes can only travel with a BUFFERED body answer.
      this.requestHeadersSkipped = true;
      this.startRequest(new Map());
      this.requestPhase = "receiving-body";
    }
    if (this.requestPhase !== "receiving-body") {
      throw new StreamError("InvalidArgument", "request body after the request ended");
    }
    const body = this.encodedRequestBody ?? this.request!.body;
    const limit = this.settings.maxBodyBytes;
    if (body.receivedBytes + b.body.length > limit) {
      this.reject(
        new RequestError("PayloadTooLarge", `request body exceeds the limit of ${limit} bytes`, {
          reason: "request_body_too_large",
        }),
      );
      return;
    }
    body.append(b.body);
    if (b.endOfStream) return this.completeRequest(true);
    if (this.requestMode === "buffered") {
      const strip = buildHeaderMutation([], this.spoofedOwnedHeaders);
      this.send(this.spoofedOwnedHeaders.length ? bufferedBodyResponse("request", strip, undefined) : emptyBodyResponse("request"));
    }
  }

  private onRequestTrailers(): void | Promise<void> {
    if (this.requestPhase === "awaiting-headers") {
      throw new StreamError("InvalidArgument", "request trailers before request headers");
    }
    if (this.requestEndSeen || this.responsePhase !== "awaiting-headers") {
      throw new StreamError("InvalidArgument", "request trailers after the request ended");
    }
    if (this.requestPhase === "receiving-body" && this.requestMode === "duplex") {
      // Trailers end the body (its last chunk had no end_of_stream): flush headers and body
      // now, then answer the trailers. GIE waits for a body end that never comes and hangs.
      const pending = this.completeRequest(false);
      if (pending) return pending.then(() => this.answerTrailers("request"));
    }
    this.requestPhase = "complete";
    this.answerTrailers("request");
  }

  private answerTrailers(phase: Phase): void {
    this.send(emptyTrailersResponse(phase));
  }

  private completeRequest(endOfStream: boolean): void | Promise<void> {
    this.requestPhase = "complete";
    const request = this.request!;
    const encoded = this.encodedRequestBody;
    if (encoded && this.requestCodings) {
      this.env.metrics.requestBodyBytes.observe(encoded.receivedBytes);
      return decodeBody(this.requestCodings, encoded.originalBytes(), this.settings.maxBodyBytes).then((decoded) => {
        if (this.ended) return;
        if (!decoded.ok) return this.reject(decoded.error);
        request.body.append(decoded.value);
        return this.runRequestChain(endOfStream);
      });
    }
    this.env.metrics.requestBodyBytes.observe(request.body.receivedBytes);
    return this.runRequestChain(endOfStream);
  }

  private runRequestChain(endOfStream: boolean): void | Promise<void> {
    const request = this.request!;
    try {
      request.body.validate(); // a JSON body must parse, whatever the chain reads
      const pending = runSteps(this.settings.chains.request, [request], "request", this.timer);
      if (pending) {
        return pending.then(
          () => this.forwardRequest(endOfStream),
          (e: unknown) => this.onChainError(e),
        );
      }
    } catch (e) {
      this.onChainError(e);
      return;
    }
    return this.forwardRequest(endOfStream);
  }

  /**
   * forwardRequest sends the request-headers mutation and the body on. An encoded body goes as
   * received, or re-encoded with the same codings when a plugin changed it (so
   * content-encoding stays true).
   */
  private forwardRequest(endOfStream: boolean): void | Promise<void> {
    if (this.ended) return;
    const request = this.request!;
    const encoded = this.encodedRequestBody;
    if (encoded && this.requestCodings) {
      if (!request.body.mutated) return this.sendRequest(encoded.originalBytes(), false, endOfStream);
      return encodeBody(this.requestCodings, request.body.finalBytes()).then((bytes) => this.sendRequest(bytes, true, endOfStream));
    }
    return this.sendRequest(request.body.finalBytes(), request.body.mutated, endOfStream);
  }

  private sendRequest(body: Uint8Array, mutated: boolean, endOfStream: boolean): void {
    if (this.ended) return;
    const request = this.request!;
    const { sets, removes } = this.finalRequestHeaderChanges(request);
    if (this.requestMode === "duplex") {
      // Envoy may drop this in full-duplex mode (envoy#39035), but a processor-set length
      // that matches the body is what HTTP/1 upstreams without chunking need.
      sets.push({ key: CONTENT_LENGTH, value: String(body.length) });
      if (!this.requestHeadersSkipped) this.send(mutatingHeadersResponse("request", buildHeaderMutation(sets, removes)));
      for (const piece of streamedBodyResponses("request", body, endOfStream)) this.send(piece);
    } else {
      if (mutated) sets.push({ key: CONTENT_LENGTH, value: String(body.length) });
      this.send(bufferedBodyResponse("request", buildHeaderMutation(sets, removes), mutated ? body : undefined));
    }
    this.env.metrics.success.inc();
    this.recordOutcome("success", "continue");
  }

  /**
   * finalRequestHeaderChanges is the plugins' header changes plus ownership enforcement: an
   * owned header the client sent is removed unless a plugin set it to a non-empty value. (An
   * empty set is sent too, for GIE parity, after the removal.)
   */
  private finalRequestHeaderChanges(request: InferenceRequest): { sets: HeaderSet[]; removes: string[] } {
    const sets = request.headers.mutatedHeaders().filter((h) => h.key.toLowerCase() !== "content-length");
    const removes = request.headers.removedHeaders();
    for (const name of this.spoofedOwnedHeaders) {
      if (request.headers.wasRemoved(name)) continue;
      if (request.headers.wasSet(name) && request.headers.get(name) !== "") continue;
      removes.push(name);
    }
    return { sets, removes };
  }

  // ---- response path ----

  private onResponseHeaders(h: HttpHeaders): void | Promise<void> {
    this.checkResponseMayStart();
    if (this.responsePhase !== "awaiting-headers") {
      throw new StreamError("InvalidArgument", "response headers arrived twice");
    }
    const response = this.startResponse(readHeaderMap(h.headers));
    const willBuffer = !h.endOfStream && this.responseNeedsBuffering();
    const answer = () => {
      if (this.ended) return;
      if (h.endOfStream || this.responseMode === "none") {
        this.responsePhase = "complete";
        this.send(this.responseHeadersAnswer());
      } else if (willBuffer) {
        this.responsePhase = "buffering-body";
        // BUFFERED mode needs one answer per message; the body answer carries later changes.
        if (this.responseMode === "buffered") this.send(this.responseHeadersAnswer());
      } else {
        this.responsePhase = "streaming-body";
        this.send(this.responseHeadersAnswer());
      }
    };
    const steps = this.settings.chains.responseHeaders;
    return this.runResponseSteps(() => runSteps(steps, [response], "response", this.timer), answer);
  }

  private checkResponseMayStart(): void {
    if (this.requestPhase === "awaiting-headers" || this.requestPhase === "receiving-body") {
      throw new StreamError("FailedPrecondition", "response before the request was complete");
    }
  }

  private startResponse(headerValues: Map<string, string>): InferenceResponse {
    const headers = new TrackedHeaders(headerValues, this.settings.maxHeaderValueBytes);
    this.response = new InferenceResponse(this.request!, headers, new MessageBody(bodyKindOf(headers), "ignore"));
    return this.response;
  }

  private responseNeedsBuffering(): boolean {
    return (
      this.settings.chains.responseBody.length > 0 && (this.responseMode === "duplex" || this.responseMode === "buffered")
    );
  }

  private runResponseSteps(run: () => void | Promise<void>, then: () => void): void | Promise<void> {
    try {
      const pending = run();
      if (pending) return pending.then(then, (e: unknown) => this.onChainError(e));
    } catch (e) {
      this.onChainError(e);
      return;
    }
    then();
  }

  private responseHeadersAnswer(): ProcessingResponse {
    const headers = this.response!.headers;
    const sets = headers.mutatedHeaders();
    const removes = headers.removedHeaders();
    if (sets.length === 0 && removes.length === 0) return emptyHeadersResponse("response");
    return mutatingHeadersResponse("response", buildHeaderMutation(sets, removes));
  }

  private onResponseBody(b: HttpBody): void | Promise<void> {
    if (this.responsePhase === "awaiting-headers") {
      // response_header_mode SKIP: start the response from the body.
      this.checkResponseMayStart();
      this.responseHeadersSkipped = true;
      this.startResponse(new Map());
      this.responsePhase = this.responseNeedsBuffering() ? "buffering-body" : "streaming-body";
    }
    if (this.responsePhase === "buffering-body") return this.bufferResponseBody(b);
    if (this.responsePhase !== "streaming-body") {
      throw new StreamError("InvalidArgument", "response body after the response ended");
    }
    return this.streamResponseBody(b.body, b.endOfStream);
  }

  private streamResponseBody(chunk: Uint8Array, endOfStream: boolean): void | Promise<void> {
    const response = this.response!;
    const steps = this.settings.chains.responseChunks;
    const forward = () => {
      if (this.ended) return;
      if (this.responseMode === "duplex") {
        for (const piece of streamedBodyResponses("response", chunk, endOfStream)) this.send(piece);
      } else {
        this.send(emptyBodyResponse("response"));
      }
      if (endOfStream) this.responsePhase = "complete";
    };
    if (steps.length === 0) return forward();
    return this.runResponseSteps(() => runSteps(steps, [response, chunk, endOfStream], "response", this.timer), forward);
  }

  private bufferResponseBody(b: HttpBody): void | Promise<void> {
    const response = this.response!;
    const limit = this.settings.maxResponseBufferBytes;
    if (response.body.receivedBytes + b.body.length > limit) {
      // Too large to buffer: stream it on unprocessed rather than fail a response upstream
      // already produced.
      response.logger.warn({ limit }, "response body over the buffer limit; body plugins skipped");
      this.responsePhase = "streaming-body";
      if (this.responseMode === "duplex") {
        if (!this.responseHeadersSkipped) this.send(this.responseHeadersAnswer());
        const held = response.body.originalBytes();
        if (held.length > 0) for (const piece of streamedBodyResponses("response", held, false)) this.send(piece);
        response.body.release();
      }
      return this.streamResponseBody(b.body, b.endOfStream);
    }
    response.body.append(b.body);
    if (b.endOfStream) return this.completeResponse(true);
    if (this.responseMode === "buffered") this.send(emptyBodyResponse("response"));
  }

  private completeResponse(endOfStream: boolean): void | Promise<void> {
    this.responsePhase = "complete";
    const response = this.response!;
    return this.runResponseSteps(
      () => runSteps(this.settings.chains.responseBody, [response], "response", this.timer),
      () => this.forwardResponse(endOfStream),
    );
  }

  private forwardResponse(endOfStream: boolean): void {
    if (this.ended) return;
    const response = this.response!;
    const body = response.body.finalBytes();
    if (response.body.mutated) response.headers.set(CONTENT_LENGTH, String(body.length));
    if (this.responseMode === "duplex") {
      if (!this.responseHeadersSkipped) this.send(this.responseHeadersAnswer());
      for (const piece of streamedBodyResponses("response", body, endOfStream)) this.send(piece);
    } else {
      const mutation = buildHeaderMutation(response.headers.mutatedHeaders(), response.headers.removedHeaders());
      this.send(bufferedBodyResponse("response", mutation, response.body.mutated ? body : undefined));
    }
  }

  private onResponseTrailers(): void | Promise<void> {
    if (this.responsePhase === "awaiting-headers") {
      throw new StreamError("InvalidArgument", "response trailers before response headers");
    }
    if (this.responsePhase === "buffering-body") {
      const pending = this.completeResponse(false);
      if (pending) return pending.then(() => this.answerTrailers("response"));
    }
    this.responsePhase = "complete";
    this.answerTrailers("response");
  }
}
