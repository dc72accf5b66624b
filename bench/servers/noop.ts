import { createServer, type Http2Server } from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type * as grpc from "@grpc/grpc-js";
import { connectAdapterOptions, HTTP2_SERVER_OPTIONS } from "../../src/extproc/transport/connect.js";
import { bindServer, createGrpcServer } from "../../src/extproc/transport/grpc.js";
import { EXT_PROC_PROCESS_PATH } from "../../src/extproc/transport/service.js";
import {
  BodyResponseSchema,
  ExternalProcessor,
  HeadersResponseSchema,
  type ProcessingRequest,
  type ProcessingResponse,
  ProcessingRequestSchema,
  ProcessingResponseSchema,
} from "../../src/gen/envoy/service/ext_proc/v3/external_processor_pb.js";

/**
 * The floor, as issue 14 defines it: a no-op FULL_DUPLEX_STREAMED processor that buffers the
 * request body, then answers the request headers with a small header mutation and streams the
 * same body bytes back in pieces of at most 62,000 bytes (the received views; only a larger one
 * is split), parsing nothing; the response passes through as it comes. It is written the way a
 * plain grpc-js ext_proc server is: protobuf-es create() and the reflective toBinary/fromBinary.
 * It deliberately shares nothing with BBR's hot path (codec, response builders), so what BBR
 * saves there counts for BBR, and the floor never moves when BBR's code does.
 */

const PIECE_LIMIT = 62_000;
const NOOP_HEADER = new TextEncoder().encode("1");

function headersAnswer(phase: "request" | "response", mutate: boolean): ProcessingResponse {
  const value = create(
    HeadersResponseSchema,
    mutate
      ? {
          response: {
            clearRouteCache: true,
            headerMutation: { setHeaders: [{ header: { key: "x-noop", rawValue: NOOP_HEADER } }] },
          },
        }
      : {},
  );
  return create(ProcessingResponseSchema, {
    response: phase === "request" ? { case: "requestHeaders", value } : { case: "responseHeaders", value },
  });
}

function bodyPiece(phase: "request" | "response", body: Uint8Array, endOfStream: boolean): ProcessingResponse {
  const value = create(BodyResponseSchema, {
    response: { bodyMutation: { mutation: { case: "streamedResponse", value: { body, endOfStream } } } },
  });
  return create(ProcessingResponseSchema, {
    response: phase === "request" ? { case: "requestBody", value } : { case: "responseBody", value },
  });
}

/** NoopExchange is the floor's state for one stream: the held request body. */
export class NoopExchange {
  private held: Uint8Array[] = [];

  /** answer returns the responses one request message gets (none while the body is held). */
  answer(r: ProcessingRequest): ProcessingResponse[] {
    switch (r.request.case) {
      case "requestHeaders":
        return r.request.value.endOfStream ? [headersAnswer("request", true)] : [];
      case "requestBody": {
        const { body, endOfStream } = r.request.value;
        if (body.length > 0) this.held.push(body);
        if (!endOfStream) return [];
        const out = [headersAnswer("request", true)];
        const held = this.held;
        this.held = [];
        if (held.length === 0) out.push(bodyPiece("request", new Uint8Array(0), true));
        held.forEach((chunk, i) => {
          for (let at = 0; at < chunk.length; at += PIECE_LIMIT) {
            const end = Math.min(at + PIECE_LIMIT, chunk.length);
            out.push(bodyPiece("request", chunk.subarray(at, end), i === held.length - 1 && end === chunk.length));
          }
        });
        return out;
      }
      case "responseHeaders":
        return [headersAnswer("response", false)];
      case "responseBody":
        return [bodyPiece("response", r.request.value.body, r.request.value.endOfStream)];
      case "requestTrailers":
        return [create(ProcessingResponseSchema, { response: { case: "requestTrailers", value: {} } })];
      case "responseTrailers":
        return [create(ProcessingResponseSchema, { response: { case: "responseTrailers", value: {} } })];
      default:
        return [];
    }
  }
}

const plainServiceDefinition: grpc.ServiceDefinition = {
  Process: {
    path: EXT_PROC_PROCESS_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: (m: ProcessingRequest) => Buffer.from(toBinary(ProcessingRequestSchema, m)),
    requestDeserialize: (b: Buffer) => fromBinary(ProcessingRequestSchema, b),
    responseSerialize: (m: ProcessingResponse) => Buffer.from(toBinary(ProcessingResponseSchema, m)),
    responseDeserialize: (b: Buffer) => fromBinary(ProcessingResponseSchema, b),
  },
};

/** NoopServer is a running no-op processor. */
export interface NoopServer {
  readonly port: number;
  close(): Promise<void>;
}

/** startNoopGrpc serves the no-op on grpc-js with BBR's codec and server options (the floor). */
export async function startNoopGrpc(maxMessageBytes: number): Promise<NoopServer> {
  const server = createGrpcServer({
    maxReceiveMessageBytes: maxMessageBytes,
    maxSendMessageBytes: 2 * maxMessageBytes,
  });
  server.addService(plainServiceDefinition, {
    Process: (call: grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>) => {
      const exchange = new NoopExchange();
      call.on("data", (r: ProcessingRequest) => {
        for (const answer of exchange.answer(r)) call.write(answer);
      });
      call.on("end", () => call.end());
      call.on("error", () => {});
    },
  });
  const port = await bindServer(server, "127.0.0.1", 0);
  return { port, close: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}

/**
 * startNoopConnect serves the no-op on @connectrpc/connect-node (gRPC protocol over h2c) with the
 * settings BBR's connect transport uses (limits, no response compression, HTTP/2 options), so
 * bbr-connect ÷ noop-connect is what BBR adds on that library.
 */
export async function startNoopConnect(maxMessageBytes: number): Promise<NoopServer> {
  // A scenario ends by cancelling the exchanges still in flight, and connect-node logs each as a
  // failed handler (write ECANCELED). Those cancellations are the bench's own: keep them quiet.
  const logError = console.error;
  console.error = (...args: unknown[]) => {
    const cancelled = String(args[0]).startsWith("handler for rpc") && String(args[1]).includes("ECANCELED");
    if (!cancelled) logError(...args);
  };
  const routes = (router: ConnectRouter) =>
    router.service(ExternalProcessor, {
      async *process(requests) {
        const exchange = new NoopExchange();
        for await (const r of requests) yield* exchange.answer(r);
      },
    });
  const limits = { maxReceiveMessageBytes: maxMessageBytes, maxSendMessageBytes: 2 * maxMessageBytes };
  const server: Http2Server = createServer(
    HTTP2_SERVER_OPTIONS,
    connectNodeAdapter({ routes, ...connectAdapterOptions(limits) }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
      }),
  };
}
