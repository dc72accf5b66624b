import { create, type JsonObject } from "@bufbuild/protobuf";
import type * as grpc from "@grpc/grpc-js";
import { MetadataSchema } from "../../gen/envoy/config/core/v3/base_pb.js";
import { ProcessingMode_BodySendMode as BodySendMode } from "../../gen/envoy/extensions/filters/http/ext_proc/v3/processing_mode_pb.js";
import {
  type CommonResponse,
  type HttpHeaders,
  type ImmediateResponse,
  type ProcessingRequest,
  ProcessingRequestSchema,
  type ProcessingResponse,
  ProtocolConfigurationSchema,
} from "../../gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import type { ProcessorConfig } from "./config.js";
import { applyHeaderMutation, getHeader, type HeaderList, removeHeader, toHeaderMap } from "./headers.js";
import type { ProcessorClient, ProcessorStream } from "./processor-client.js";

/** DESTINATION_HEADER is the Endpoint Picker's answer: "ip:port[,ip:port...]". */
export const DESTINATION_HEADER = "x-gateway-destination-endpoint";
/** LB_NAMESPACE is the dynamic metadata namespace of the Endpoint Picker protocol. */
export const LB_NAMESPACE = "envoy.lb";
/** SERVED_KEY reports the endpoint that served the request, on the response path. */
export const SERVED_KEY = "x-gateway-destination-endpoint-served";

/** Direction is one half of an HTTP exchange. */
export type Direction = "request" | "response";

/** LocalReply is an ext_proc ImmediateResponse turned into an HTTP answer. */
export interface LocalReply {
  readonly status: number;
  readonly headers: HeaderList;
  readonly body: Uint8Array;
  readonly details: string;
}

/** FilterFailure ends the exchange: an HTTP error if nothing was sent to the client yet. */
export interface FilterFailure {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** FilterCallbacks connect a filter to the stages around it and to the exchange. */
export interface FilterCallbacks {
  emitHeaders(direction: Direction, headers: HeaderList, endOfStream: boolean): void;
  emitData(direction: Direction, data: Uint8Array, endOfStream: boolean): void;
  emitTrailers(direction: Direction, trailers: HeaderList): void;
  /** clearRouteCache: a processor asked for the route to be recomputed on the new headers. */
  clearRouteCache(): void;
  /** setDestination: a processor picked the endpoint(s). */
  setDestination(value: string): void;
  /** servedEndpoint is the upstream that answered, for the response-path metadata. */
  servedEndpoint(): string | undefined;
  /** clientResponseStarted: headers already went to the client, so an immediate response is too late. */
  clientResponseStarted(): boolean;
  localReply(reply: LocalReply): void;
  fail(failure: FilterFailure): void;
  log(level: "debug" | "warn", fields: Record<string, unknown>, msg: string): void;
}

type FailureKind = "grpc-error" | "timeout" | "protocol" | "closed" | "invalid-mutation";

/** Half is the per-direction progress of one ext_proc filter. */
class Half {
  started = false;
  /** Headers sent to the processor, waiting for its answer (kept for failure_mode_allow). */
  heldHeaders: HeaderList | undefined;
  heldEndOfStream = false;
  headersOut = false;
  /** The body goes through the processor (FULL_DUPLEX_STREAMED and the message has a body). */
  bodyToProcessor = false;
  /** Body chunks the processor has not answered yet, to replay if it fails before answering. */
  retained: Uint8Array[] = [];
  bodyInputEnded = false;
  bodyInputEos = false;
  bodyOutStarted = false;
  bodyOutEnded = false;
  /** Events waiting for the headers to go out (body mode NONE, trailers SKIP). */
  queued: Array<() => void> = [];
  trailersPending: HeaderList | undefined;
  trailersSeen = false;
  done = false;

  constructor(
    readonly direction: Direction,
    readonly sendHeaders: boolean,
    readonly sendBody: boolean,
    readonly sendTrailers: boolean,
  ) {}

  get involved(): boolean {
    return this.sendHeaders || this.sendBody || this.sendTrailers;
  }

  /** bodyOwed: the processor still owes streamed body output. */
  get bodyOwed(): boolean {
    return this.bodyToProcessor && !this.bodyOutEnded && !this.trailersSeen;
  }

  /** owesWithCompleteInput: an answer is due and the processor already has all it needs for it. */
  get owesWithCompleteInput(): boolean {
    if (this.trailersPending) return true;
    const inputDone = !this.bodyToProcessor || this.bodyInputEnded;
    return inputDone && (this.heldHeaders !== undefined || this.bodyOwed);
  }

  updateDone(): void {
    if (!this.involved) {
      this.done = this.started;
      return;
    }
    this.done =
      this.started &&
      this.heldHeaders === undefined &&
      !this.trailersPending &&
      (this.heldEndOfStream || this.bodyInputEnded) &&
      !this.bodyOwed &&
      this.queued.length === 0;
  }
}

/**
 * ExtProcFilter plays Envoy's ext_proc HTTP filter for one request and one processor, in
 * FULL_DUPLEX_STREAMED mode: it sends headers, body chunks and trailers as they arrive, holds
 * what the processor must answer first, applies header mutations, passes on streamed body
 * responses, turns an immediate response into a local reply, and on failure either continues
 * without the processor (failure_mode_allow, or a clean close by the processor) or fails the
 * request with 500 (504 on a message timeout).
 */
export class ExtProcFilter {
  private stream: ProcessorStream | undefined;
  private firstMessage = true;
  private detached = false;
  private finished = false;
  private ended = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly request: Half;
  private readonly response: Half;

  constructor(
    private readonly client: ProcessorClient,
    private readonly cb: FilterCallbacks,
  ) {
    const m = client.config.processingMode;
    this.request = new Half(
      "request",
      m.requestHeaderMode === "SEND",
      m.requestBodyMode === "FULL_DUPLEX_STREAMED",
      m.requestTrailerMode === "SEND",
    );
    this.response = new Half(
      "response",
      m.responseHeaderMode === "SEND",
      m.responseBodyMode === "FULL_DUPLEX_STREAMED",
      m.responseTrailerMode === "SEND",
    );
  }

  get config(): ProcessorConfig {
    return this.client.config;
  }

  private half(d: Direction): Half {
    return d === "request" ? this.request : this.response;
  }

  // ---- events from the stage before this filter ----

  onHeaders(d: Direction, headers: HeaderList, endOfStream: boolean): void {
    const h = this.half(d);
    h.started = true;
    if (this.detached || !h.involved) {
      h.headersOut = true;
      h.updateDone();
      this.cb.emitHeaders(d, headers, endOfStream);
      return;
    }
    h.heldEndOfStream = endOfStream;
    h.bodyToProcessor = h.sendBody && !endOfStream;
    // Envoy drops Content-Length when a processor may rewrite the streamed body; the processor
    // sets it again if it knows the new length.
    if (h.bodyToProcessor) removeHeader(headers, "content-length");
    if (h.sendHeaders) {
      h.heldHeaders = headers;
      const message: HttpHeaders = {
        $typeName: "envoy.service.ext_proc.v3.HttpHeaders",
        headers: toHeaderMap(headers),
        attributes: {},
        endOfStream,
      };
      this.send(
        d === "request" ? { case: "requestHeaders", value: message } : { case: "responseHeaders", value: message },
        d === "response",
      );
    } else {
      h.headersOut = true;
      this.cb.emitHeaders(d, headers, endOfStream);
    }
    this.afterProgress();
  }

  onData(d: Direction, data: Uint8Array, endOfStream: boolean): void {
    const h = this.half(d);
    if (this.detached || !h.involved) {
      this.cb.emitData(d, data, endOfStream);
      return;
    }
    if (!h.bodyToProcessor) {
      this.whenHeadersOut(h, () => this.cb.emitData(d, data, endOfStream));
      if (endOfStream) h.bodyInputEnded = true;
      this.afterProgress();
      return;
    }
    if (!h.bodyOutStarted) h.retained.push(data);
    if (endOfStream) {
      h.bodyInputEnded = true;
      h.bodyInputEos = true;
    }
    const body = {
      $typeName: "envoy.service.ext_proc.v3.HttpBody" as const,
      body: data,
      endOfStream,
      endOfStreamWithoutMessage: false,
      grpcMessageCompressed: false,
    };
    this.send(d === "request" ? { case: "requestBody", value: body } : { case: "responseBody", value: body }, false);
    this.afterProgress();
  }

  onTrailers(d: Direction, trailers: HeaderList): void {
    const h = this.half(d);
    if (this.detached || !h.involved) {
      this.cb.emitTrailers(d, trailers);
      return;
    }
    h.bodyInputEnded = true;
    h.trailersSeen = true;
    if (!h.sendTrailers) {
      this.whenHeadersOut(h, () => this.cb.emitTrailers(d, trailers));
      this.afterProgress();
      return;
    }
    h.trailersPending = trailers;
    const value = { $typeName: "envoy.service.ext_proc.v3.HttpTrailers" as const, trailers: toHeaderMap(trailers) };
    this.send(d === "request" ? { case: "requestTrailers", value } : { case: "responseTrailers", value }, false);
    this.afterProgress();
  }

  /** finish ends the processor stream when the exchange is over (completed, failed or abandoned). */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimer();
    const s = this.stream;
    if (!s) return;
    if (
      !this.ended &&
      (this.request.owesWithCompleteInput || this.response.owesWithCompleteInput || !this.request.done)
    )
      s.cancel();
    else this.endStream();
  }

  // ---- the gRPC stream ----

  private send(request: ProcessingRequest["request"], withServedEndpoint: boolean): void {
    const s = this.openStream();
    const message = create(ProcessingRequestSchema, { request });
    if (this.firstMessage) {
      this.firstMessage = false;
      const m = this.config.processingMode;
      const mode = (x: string) =>
        x === "FULL_DUPLEX_STREAMED" ? BodySendMode.FULL_DUPLEX_STREAMED : BodySendMode.NONE;
      message.protocolConfig = create(ProtocolConfigurationSchema, {
        requestBodyMode: mode(m.requestBodyMode),
        responseBodyMode: mode(m.responseBodyMode),
      });
    }
    const served = withServedEndpoint ? this.cb.servedEndpoint() : undefined;
    if (served !== undefined) {
      message.metadataContext = create(MetadataSchema, {
        filterMetadata: { [LB_NAMESPACE]: { [SERVED_KEY]: served } },
      });
    }
    s.write(message);
  }

  private openStream(): ProcessorStream {
    if (this.stream) return this.stream;
    const s = this.client.open();
    this.stream = s;
    s.on("data", (r: ProcessingResponse) => this.onResponse(r));
    s.on("error", (e: grpc.ServiceError) => this.onStreamEnd(e.code, e.details || e.message));
    s.on("status", (st: grpc.StatusObject) => this.onStreamEnd(st.code, st.details));
    return s;
  }

  private endStream(): void {
    if (this.ended || !this.stream) return;
    this.ended = true;
    this.stream.end();
  }

  private onStreamEnd(code: number, details: string): void {
    if (this.finished || this.detached) return;
    if (code === 0) {
      // A clean close means "go on without me"; only a half in progress needs recovering.
      const inProgress = (h: Half) => h.involved && h.started && !h.done;
      if (inProgress(this.request) || inProgress(this.response))
        this.processorFailed("closed", "processor closed the stream");
      this.detached = true;
      return;
    }
    this.processorFailed("grpc-error", `gRPC status ${code}: ${details}`);
  }

  // ---- answers from the processor ----

  private onResponse(r: ProcessingResponse): void {
    if (this.finished || this.detached) return;
    const dest = destinationFromMetadata(r.dynamicMetadata);
    if (dest !== undefined) this.cb.setDestination(dest);
    const x = r.response;
    switch (x.case) {
      case "requestHeaders":
      case "responseHeaders":
        this.onHeadersAnswer(x.case === "requestHeaders" ? "request" : "response", x.value.response);
        return;
      case "requestBody":
      case "responseBody":
        this.onBodyAnswer(x.case === "requestBody" ? "request" : "response", x.value.response);
        return;
      case "requestTrailers":
      case "responseTrailers":
        this.onTrailersAnswer(x.case === "requestTrailers" ? "request" : "response", x.value.headerMutation);
        return;
      case "immediateResponse":
        this.onImmediate(x.value);
        return;
      default:
        this.processorFailed("protocol", `unsupported response ${String(x.case)}`);
        return;
    }
  }

  private onHeadersAnswer(d: Direction, common: CommonResponse | undefined): void {
    const h = this.half(d);
    const headers = h.heldHeaders;
    if (!headers) {
      this.processorFailed("protocol", `spurious ${d} headers response`);
      return;
    }
    const mutated: HeaderList = headers.map(([k, v]) => [k, v]);
    const result = applyHeaderMutation(mutated, common?.headerMutation, d);
    if (result.error) {
      this.processorFailed("invalid-mutation", result.error);
      return;
    }
    if (d === "request") {
      if (common?.clearRouteCache) this.cb.clearRouteCache();
      if (result.changed.includes(DESTINATION_HEADER)) {
        const value = getHeader(mutated, DESTINATION_HEADER);
        if (value !== undefined) this.cb.setDestination(value);
      }
    }
    h.heldHeaders = undefined;
    h.headersOut = true;
    this.cb.emitHeaders(d, mutated, h.heldEndOfStream);
    this.flushQueued(h);
    this.afterProgress();
  }

  private onBodyAnswer(d: Direction, common: CommonResponse | undefined): void {
    const h = this.half(d);
    const mutation = common?.bodyMutation?.mutation;
    const trailersAnswered = h.trailersSeen && !h.trailersPending;
    if (!h.bodyToProcessor || !h.headersOut || h.bodyOutEnded || trailersAnswered) {
      this.processorFailed("protocol", `spurious ${d} body response`);
      return;
    }
    // In FULL_DUPLEX_STREAMED only streamed_response is valid (Envoy answers 500 otherwise).
    if (mutation?.case !== "streamedResponse") {
      this.processorFailed("protocol", `${d} body response without streamed_response in FULL_DUPLEX_STREAMED mode`);
      return;
    }
    h.bodyOutStarted = true;
    h.retained = [];
    if (mutation.value.endOfStream) h.bodyOutEnded = true;
    this.cb.emitData(d, mutation.value.body, mutation.value.endOfStream);
    this.afterProgress();
  }

  private onTrailersAnswer(d: Direction, mutation: CommonResponse["headerMutation"]): void {
    const h = this.half(d);
    const trailers = h.trailersPending;
    if (!trailers || h.heldHeaders !== undefined) {
      this.processorFailed("protocol", `spurious ${d} trailers response`);
      return;
    }
    const result = applyHeaderMutation(trailers, mutation, "trailers");
    if (result.error) {
      this.processorFailed("invalid-mutation", result.error);
      return;
    }
    h.trailersPending = undefined;
    this.cb.emitTrailers(d, trailers);
    this.afterProgress();
  }

  private onImmediate(r: ImmediateResponse): void {
    if (this.cb.clientResponseStarted()) {
      this.processorFailed("protocol", "immediate response after the response headers were sent");
      return;
    }
    const headers: HeaderList = [];
    const result = applyHeaderMutation(headers, r.headers, "response");
    const status = r.status?.code ?? 0;
    this.finish();
    const problem =
      result.error ?? (status >= 200 && status <= 599 ? undefined : `immediate response with invalid status ${status}`);
    if (problem !== undefined) {
      this.cb.fail({ status: 500, code: "ext_proc_error", message: `processor "${this.config.name}": ${problem}` });
      return;
    }
    this.cb.localReply({ status, headers, body: r.body, details: r.details });
  }

  // ---- progress, timeouts, failure ----

  private whenHeadersOut(h: Half, emit: () => void): void {
    if (h.headersOut && h.queued.length === 0) emit();
    else h.queued.push(emit);
  }

  private flushQueued(h: Half): void {
    const queued = h.queued;
    h.queued = [];
    for (const emit of queued) emit();
  }

  private afterProgress(): void {
    if (this.finished || this.detached) return;
    this.request.updateDone();
    this.response.updateDone();
    // The stream is over once the last involved direction is done.
    if (this.request.done && (!this.response.involved || this.response.done)) this.endStream();
    this.armTimer();
  }

  private armTimer(): void {
    this.clearTimer();
    const timeout = this.config.messageTimeout;
    if (timeout <= 0) return;
    if (!this.request.owesWithCompleteInput && !this.response.owesWithCompleteInput) return;
    this.timer = setTimeout(() => this.processorFailed("timeout", `no answer within ${timeout} ms`), timeout);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private processorFailed(kind: FailureKind, detail: string): void {
    if (this.finished || this.detached) return;
    this.detached = true;
    this.clearTimer();
    const s = this.stream;
    if (s && kind !== "closed" && !this.ended) s.cancel();
    const continueWithout = kind === "closed" || this.config.failureModeAllow;
    this.cb.log("warn", { processor: this.config.name, kind, detail, continueWithout }, "ext_proc processor failed");
    if (!continueWithout) {
      this.finished = true;
      this.cb.fail({
        status: kind === "timeout" ? 504 : 500,
        code: kind === "timeout" ? "ext_proc_timeout" : "ext_proc_error",
        message: `processor "${this.config.name}" failed: ${detail}`,
      });
      return;
    }
    for (const h of [this.request, this.response]) {
      if (!this.recover(h)) {
        this.finished = true;
        this.cb.fail({
          status: 500,
          code: "ext_proc_error",
          message: `processor "${this.config.name}" failed after it started the ${h.direction} body: ${detail}`,
        });
        return;
      }
    }
  }

  /** recover replays what the processor held, unchanged, so the exchange goes on without it. */
  private recover(h: Half): boolean {
    if (!h.started || h.done) return true;
    if (h.bodyToProcessor && h.bodyOutStarted && !h.bodyOutEnded && !h.trailersSeen) return false;
    const d = h.direction;
    if (h.heldHeaders) {
      const headers = h.heldHeaders;
      h.heldHeaders = undefined;
      h.headersOut = true;
      this.cb.emitHeaders(d, headers, h.heldEndOfStream);
    }
    if (h.bodyToProcessor && !h.bodyOutStarted) {
      const chunks = h.retained;
      h.retained = [];
      for (const [i, c] of chunks.entries()) this.cb.emitData(d, c, h.bodyInputEos && i === chunks.length - 1);
      if (h.bodyInputEos && chunks.length === 0) this.cb.emitData(d, new Uint8Array(0), true);
    }
    this.flushQueued(h);
    if (h.trailersPending) {
      const t = h.trailersPending;
      h.trailersPending = undefined;
      this.cb.emitTrailers(d, t);
    }
    return true;
  }
}

/** destinationFromMetadata reads dynamic_metadata["envoy.lb"]["x-gateway-destination-endpoint"]. */
function destinationFromMetadata(m: JsonObject | undefined): string | undefined {
  const ns = m?.[LB_NAMESPACE];
  if (typeof ns !== "object" || ns === null || Array.isArray(ns)) return undefined;
  const v = (ns as JsonObject)[DESTINATION_HEADER];
  return typeof v === "string" && v !== "" ? v : undefined;
}
