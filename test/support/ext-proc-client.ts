import { create, type MessageInitShape } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { extProcServiceDefinition } from "../../src/extproc/transport/grpc.js";
import { EXT_PROC_PROCESS_PATH } from "../../src/extproc/transport/service.js";
import {
  type ProcessingRequest,
  ProcessingRequestSchema,
  type ProcessingResponse,
} from "../../src/gen/envoy/service/ext_proc/v3/external_processor_pb.js";

const processDef = extProcServiceDefinition["Process"]!;

/** StreamEnd is how a server ended a stream. */
export interface StreamEnd {
  readonly code: grpc.status;
  readonly details: string;
}

/**
 * TestStream is one ext_proc stream seen from Envoy's side: send messages, read responses in
 * order, and observe how the server ended the stream.
 */
export class TestStream {
  readonly responses: ProcessingResponse[] = [];
  private readonly waiters: (() => void)[] = [];
  private endStatus: StreamEnd | undefined;
  private readonly ended: Promise<StreamEnd>;

  constructor(private readonly call: grpc.ClientDuplexStream<ProcessingRequest, ProcessingResponse>) {
    call.on("data", (r: ProcessingResponse) => {
      this.responses.push(r);
      this.wake();
    });
    this.ended = new Promise((resolve) => {
      call.on("status", (s: grpc.StatusObject) => {
        this.endStatus = { code: s.code, details: s.details };
        this.wake();
        resolve(this.endStatus);
      });
    });
    call.on("error", () => {
      /* the status event carries the outcome */
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** send writes one ProcessingRequest. */
  send(message: MessageInitShape<typeof ProcessingRequestSchema>): this {
    this.call.write(create(ProcessingRequestSchema, message));
    return this;
  }

  /** halfClose ends Envoy's side of the stream. */
  halfClose(): this {
    this.call.end();
    return this;
  }

  /** cancel resets the stream, as Envoy does when the client goes away. */
  cancel(): void {
    this.call.cancel();
  }

  /** waitFor resolves once n responses arrived (or rejects if the stream ends first or time runs out). */
  async waitFor(n: number, timeoutMs = 5000): Promise<ProcessingResponse[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.responses.length < n) {
      if (this.endStatus) throw new Error(`stream ended (${this.endStatus.code} ${this.endStatus.details}) after ${this.responses.length} of ${n} responses`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out with ${this.responses.length} of ${n} responses`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.responses.slice(0, n);
  }

  /** settle waits briefly and returns every response received (to assert nothing more came). */
  async settle(ms = 100): Promise<ProcessingResponse[]> {
    await new Promise((r) => setTimeout(r, ms));
    return [...this.responses];
  }

  /** finish half-closes and waits for the server to end the stream. */
  async finish(timeoutMs = 5000): Promise<{ responses: ProcessingResponse[]; end: StreamEnd }> {
    this.halfClose();
    return { responses: this.responses, end: await this.end(timeoutMs) };
  }

  /** end waits for the server to end the stream. */
  end(timeoutMs = 5000): Promise<StreamEnd> {
    return Promise.race([
      this.ended,
      new Promise<StreamEnd>((_, reject) => setTimeout(() => reject(new Error("stream did not end")), timeoutMs).unref()),
    ]);
  }
}

/** OpenOptions shape one test stream's call. */
export interface OpenOptions {
  readonly metadata?: Readonly<Record<string, string>>;
  readonly deadlineMs?: number;
}

/** ExtProcTestClient is a grpc-js client for the ext_proc service: the Envoy side in tests. */
export class ExtProcTestClient {
  private readonly client: grpc.Client;

  constructor(port: number, credentials = grpc.credentials.createInsecure(), options: grpc.ClientOptions = {}) {
    this.client = new grpc.Client(`127.0.0.1:${port}`, credentials, {
      "grpc.max_receive_message_length": -1,
      "grpc.max_send_message_length": -1,
      ...options,
    });
  }

  /** open starts a new Process stream, optionally with call metadata (text values) and a deadline. */
  open(options: OpenOptions = {}): TestStream {
    const metadata = new grpc.Metadata();
    for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
    const callOptions: grpc.CallOptions =
      options.deadlineMs === undefined ? {} : { deadline: new Date(Date.now() + options.deadlineMs) };
    const call = this.client.makeBidiStreamRequest(
      EXT_PROC_PROCESS_PATH,
      processDef.requestSerialize as (m: ProcessingRequest) => Buffer,
      processDef.responseDeserialize as (b: Buffer) => ProcessingResponse,
      metadata,
      callOptions,
    );
    return new TestStream(call);
  }

  /** openRaw starts a Process stream whose messages are raw bytes (to send what no encoder would). */
  openRaw(): grpc.ClientDuplexStream<Buffer, ProcessingResponse> {
    return this.client.makeBidiStreamRequest(
      EXT_PROC_PROCESS_PATH,
      (b: Buffer) => b,
      processDef.responseDeserialize as (b: Buffer) => ProcessingResponse,
    );
  }

  close(): void {
    this.client.close();
  }
}
