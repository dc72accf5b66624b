import type {
  ProcessingRequest,
  ProcessingResponse,
} from "../../gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import { grpcStatusOf, MAX_QUEUED_MESSAGES } from "./service.js";
import {
  type CallHeaders,
  type ResponseSink,
  StreamError,
  type StreamHandler,
  type StreamObserver,
  type StreamService,
} from "./stream.js";

/** StreamWire is what a transport does to one stream when the driver asks. */
export interface StreamWire {
  /** write sends one response. */
  write(response: ProcessingResponse): void;
  /** end finishes the stream with gRPC OK. */
  end(): void;
  /** endWithStatus finishes the stream with a gRPC status code and message. */
  endWithStatus(status: number, message: string): void;
  /** pause stops reading from the peer until resume. */
  pause(): void;
  resume(): void;
}

/**
 * StreamDriver gives a StreamHandler the semantics every transport owes it, so the transports
 * only move bytes: messages in order and one at a time (the next only after a returned promise
 * settles); a queue of at most MAX_QUEUED_MESSAGES behind a busy handler, then the wire is
 * paused; onPeerEnd once, after the last message was handled; onCancel exactly once on a reset,
 * and nothing after it; a throw or rejection fails the stream (a StreamError with its code,
 * anything else Internal). It is the handler's ResponseSink: after close or fail nothing more
 * is written. The transport feeds it receive, peerEnd and cancel.
 */
export class StreamDriver implements ResponseSink {
  private readonly handler: StreamHandler;
  private readonly observer: StreamObserver | undefined;
  private readonly queue: ProcessingRequest[] = [];
  private busy = false;
  private paused = false;
  private peerEnded = false;
  private peerEndDelivered = false;
  private finished = false;

  constructor(
    private readonly wire: StreamWire,
    service: StreamService,
    headers: CallHeaders,
  ) {
    this.observer = service.observe?.();
    this.observer?.opened();
    try {
      this.handler = service.createHandler(this, headers);
    } catch (e) {
      // No handler, no stream: the observer still hears the end it was promised.
      this.finish();
      throw e;
    }
  }

  /** isFinished is true once the stream was closed, failed or cancelled. */
  get isFinished(): boolean {
    return this.finished;
  }

  send(response: ProcessingResponse): void {
    if (!this.finished) this.wire.write(response);
  }

  close(): void {
    if (this.finish()) this.wire.end();
  }

  fail(error: StreamError): void {
    if (this.finish()) this.wire.endWithStatus(grpcStatusOf(error.code), error.message);
  }

  /** receive takes the peer's next message. */
  receive(message: ProcessingRequest): void {
    if (this.finished) return;
    if (!this.busy) {
      this.deliver(message);
      return;
    }
    this.queue.push(message);
    if (this.queue.length >= MAX_QUEUED_MESSAGES && !this.paused) {
      this.paused = true;
      this.wire.pause();
    }
  }

  /** peerEnd is the peer's half-close: no more messages will come. */
  peerEnd(): void {
    this.peerEnded = true;
    if (!this.busy) this.drain();
  }

  /** cancel is a reset, a deadline or a broken connection: the handler hears onCancel once. */
  cancel(): void {
    this.queue.length = 0;
    if (this.finish()) this.handler.onCancel();
  }

  private finish(): boolean {
    if (this.finished) return false;
    this.finished = true;
    if (this.paused) {
      // Let the transport read (and drop) what the peer still sends, so the stream can close.
      this.paused = false;
      this.wire.resume();
    }
    this.observer?.closed();
    return true;
  }

  private deliver(message: ProcessingRequest): void {
    let pending: void | Promise<void>;
    try {
      pending = this.handler.onMessage(message);
    } catch (e) {
      this.failWith(e);
      return;
    }
    if (pending) {
      this.busy = true;
      pending.then(this.settled, this.rejected);
    }
  }

  // Bound once per stream rather than allocated per message.
  private readonly settled = (): void => {
    this.busy = false;
    this.drain();
  };

  private readonly rejected = (e: unknown): void => {
    this.busy = false;
    this.failWith(e);
  };

  private drain(): void {
    while (!this.busy && !this.finished && this.queue.length > 0) this.deliver(this.queue.shift()!);
    if (this.paused && this.queue.length === 0) {
      this.paused = false;
      this.wire.resume();
    }
    if (!this.busy && this.queue.length === 0 && this.peerEnded && !this.finished && !this.peerEndDelivered) {
      this.peerEndDelivered = true;
      this.handler.onPeerEnd();
    }
  }

  private failWith(e: unknown): void {
    this.fail(e instanceof StreamError ? e : new StreamError("Internal", `processing failed: ${describe(e)}`));
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
