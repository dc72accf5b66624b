import { createServer, type Http2Server } from "node:http2";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type * as grpc from "@grpc/grpc-js";
import { connectAdapterOptions, HTTP2_SERVER_OPTIONS } from "../../src/extproc/transport/connect.js";
import { bindServer, createGrpcServer, extProcServiceDefinition } from "../../src/extproc/transport/grpc.js";
import { emptyHeadersResponse, emptyTrailersResponse, streamedBodyResponse } from "../../src/extproc/responses.js";
import {
  ExternalProcessor,
  type ProcessingRequest,
  type ProcessingResponse,
} from "../../src/gen/envoy/service/ext_proc/v3/external_processor_pb.js";

/**
 * noopAnswer is the least a FULL_DUPLEX_STREAMED processor can do and still be correct: ack
 * headers and trailers unchanged, and hand every body chunk straight back (in this mode Envoy
 * forwards only the body the processor returns). Built with the same response builders BBR
 * uses, so the floor pays the same protobuf costs.
 */
export function noopAnswer(r: ProcessingRequest): ProcessingResponse | undefined {
  switch (r.request.case) {
    case "requestHeaders":
      return emptyHeadersResponse("request");
    case "responseHeaders":
      return emptyHeadersResponse("response");
    case "requestBody":
      return streamedBodyResponse("request", r.request.value.body, r.request.value.endOfStream);
    case "responseBody":
      return streamedBodyResponse("response", r.request.value.body, r.request.value.endOfStream);
    case "requestTrailers":
      return emptyTrailersResponse("request");
    case "responseTrailers":
      return emptyTrailersResponse("response");
    default:
      return undefined;
  }
}

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
  server.addService(extProcServiceDefinition, {
    Process: (call: grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>) => {
      call.on("data", (r: ProcessingRequest) => {
        const answer = noopAnswer(r);
        if (answer) call.write(answer);
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
        for await (const r of requests) {
          const answer = noopAnswer(r);
          if (answer) yield answer;
        }
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
