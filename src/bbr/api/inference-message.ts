import type { Logger } from "../../common/logger.js";
import type { CycleState } from "../../plugin/cycle-state.js";
import type { ReadonlyHeaders, TrackedHeaders } from "./headers.js";
import type { BodyKind, JsonObject, MessageBody } from "./message-body.js";

/** ReadonlyBody is what a read-only plugin sees of a body. */
export interface ReadonlyBody {
  readonly kind: BodyKind;
  /** receivedBytes is the body length as received. */
  readonly receivedBytes: number;
  /** originalBytes is the raw body as received (one contiguous view). */
  originalBytes(): Uint8Array;
  /** json is the parsed top-level object (undefined for opaque bodies); parse errors are 400s. */
  json(): Readonly<JsonObject> | undefined;
  /** field reads one top-level field. */
  field(name: string): unknown;
  hasField(name: string): boolean;
}

/** RequestView is what a MetadataExtractor sees: everything, but the body is read-only. */
export interface RequestView {
  /** requestId is the x-request-id header, if Envoy sent one. */
  readonly requestId: string | undefined;
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly headers: ReadonlyHeaders;
  readonly body: ReadonlyBody;
  readonly cycleState: CycleState;
  readonly logger: Logger;
  /** setHeader sets a request header sent upstream (overwrites any client value). */
  setHeader(name: string, value: string): void;
  /** removeHeader removes a request header before it goes upstream. */
  removeHeader(name: string): void;
}

/** MutableBody adds JSON field edits to ReadonlyBody. */
export interface MutableBody extends ReadonlyBody {
  setField(name: string, value: unknown): void;
  removeField(name: string): void;
  readonly mutated: boolean;
}

/** MutableRequest is what a ModelSelector sees: the request with an editable JSON body. */
export interface MutableRequest extends RequestView {
  readonly body: MutableBody;
  /** setBodyField sets a top-level body field (e.g. "model"); the body is re-serialised once. */
  setBodyField(name: string, value: unknown): void;
  removeBodyField(name: string): void;
}

/**
 * TrackedMessage holds what a request and a response share: tracked headers and a body, and the
 * edits plugins make to them.
 */
export abstract class TrackedMessage {
  constructor(
    readonly headers: TrackedHeaders,
    readonly body: MessageBody,
  ) {}

  setHeader(name: string, value: string): void {
    this.headers.set(name, value);
  }

  removeHeader(name: string): void {
    this.headers.remove(name);
  }

  setBodyField(name: string, value: unknown): void {
    this.body.setField(name, value);
  }

  removeBodyField(name: string): void {
    this.body.removeField(name);
  }
}

/** InferenceRequest is the framework's request: headers and body with mutation tracking. */
export class InferenceRequest extends TrackedMessage implements MutableRequest {
  readonly requestId: string | undefined;
  readonly method: string | undefined;
  readonly path: string | undefined;
  private streamLogger: Logger | undefined;

  constructor(
    headers: TrackedHeaders,
    body: MessageBody,
    readonly cycleState: CycleState,
    private readonly baseLogger: Logger,
  ) {
    super(headers, body);
    this.requestId = headers.get("x-request-id");
    this.method = headers.get(":method");
    this.path = headers.get(":path");
  }

  /** logger carries x-request-id; built on first use, as most requests never log. */
  get logger(): Logger {
    this.streamLogger ??=
      this.requestId === undefined ? this.baseLogger : this.baseLogger.child({ "x-request-id": this.requestId });
    return this.streamLogger;
  }
}

/** ResponseView is what response-path plugins see. */
export interface ResponseView {
  /** request is the request this response answers, as it went upstream. */
  readonly request: RequestView;
  /** status is the upstream :status, if known. */
  readonly status: string | undefined;
  readonly headers: ReadonlyHeaders;
  readonly cycleState: CycleState;
  readonly logger: Logger;
  setHeader(name: string, value: string): void;
  removeHeader(name: string): void;
}

/** BufferedResponse is what a ResponseBodyProcessor sees: the whole body, editable as JSON. */
export interface BufferedResponse extends ResponseView {
  readonly body: MutableBody;
  setBodyField(name: string, value: unknown): void;
  removeBodyField(name: string): void;
}

/** InferenceResponse is the framework's response: headers and (when buffered) body. */
export class InferenceResponse extends TrackedMessage implements BufferedResponse {
  readonly status: string | undefined;
  readonly cycleState: CycleState;

  constructor(
    readonly request: InferenceRequest,
    headers: TrackedHeaders,
    body: MessageBody,
  ) {
    super(headers, body);
    this.status = headers.get(":status");
    this.cycleState = request.cycleState;
  }

  get logger(): Logger {
    return this.request.logger;
  }
}
