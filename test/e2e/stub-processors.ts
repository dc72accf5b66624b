import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { bindServer, extProcServiceDefinition } from "../../src/extproc/transport/grpc.js";
import { HeaderValueSchema } from "../../src/gen/envoy/config/core/v3/base_pb.js";
import {
  CommonResponseSchema,
  HeaderMutationSchema,
  HeadersResponseSchema,
  type ProcessingRequest,
  type ProcessingResponse,
  ProcessingResponseSchema,
} from "../../src/gen/envoy/service/ext_proc/v3/external_processor_pb.js";

// Stand-ins for peers that are not in this repository (a stalled processor, an Endpoint
// Picker), served over real gRPC on loopback.

type Call = grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>;

/** StubProcessor is a running stub ext_proc server. */
export interface StubProcessor {
  readonly port: number;
  stop(): Promise<void>;
}

async function serve(handle: (call: Call) => void): Promise<StubProcessor> {
  const server = new grpc.Server();
  server.addService(extProcServiceDefinition, { Process: handle });
  const port = await bindServer(server, "127.0.0.1", 0);
  return {
    port,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())).then(() => server.forceShutdown()),
  };
}

/** startStallingProcessor reads every message and never answers. */
export function startStallingProcessor(): Promise<StubProcessor> {
  return serve((call) => {
    call.on("data", () => {});
    call.on("end", () => call.end());
    call.on("error", () => {});
  });
}

const utf8 = new TextDecoder();

/**
 * startPickerProcessor plays an Endpoint Picker on request headers only: it answers with
 * x-gateway-destination-endpoint set to the request's x-test-pick header (and, to play a buggy
 * processor, Content-Length set to x-test-content-length).
 */
export function startPickerProcessor(): Promise<StubProcessor> {
  return serve((call) => {
    call.on("data", (m: ProcessingRequest) => {
      if (m.request.case !== "requestHeaders") return;
      const list = m.request.value.headers?.headers ?? [];
      const header = (name: string) => {
        const h = list.find((x) => x.key === name);
        return h ? (h.rawValue.length > 0 ? utf8.decode(h.rawValue) : h.value) : "";
      };
      const set = (key: string, value: string) => ({
        header: create(HeaderValueSchema, { key, rawValue: new TextEncoder().encode(value) }),
      });
      const pick = header("x-test-pick");
      const length = header("x-test-content-length");
      const mutation = create(HeaderMutationSchema, {
        setHeaders: [
          ...(pick ? [set("x-gateway-destination-endpoint", pick)] : []),
          ...(length ? [set("content-length", length)] : []),
        ],
      });
      const response = create(HeadersResponseSchema, {
        response: create(CommonResponseSchema, { clearRouteCache: true, headerMutation: mutation }),
      });
      call.write(create(ProcessingResponseSchema, { response: { case: "requestHeaders", value: response } }));
    });
    call.on("end", () => call.end());
    call.on("error", () => {});
  });
}
