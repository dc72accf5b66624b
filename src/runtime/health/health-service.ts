import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  type HealthCheckRequest,
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthCheckResponseSchema,
  type HealthListRequest,
  HealthListRequestSchema,
  type HealthListResponse,
  HealthListResponseSchema,
} from "../../gen/grpc/health/v1/health_pb.js";

export { ServingStatus };

function codec<T>(schema: Parameters<typeof toBinary>[0]) {
  return {
    serialize: (m: T) => {
      const bytes = toBinary(schema, m as never);
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    deserialize: (b: Buffer) => fromBinary(schema, b) as T,
  };
}

const checkRequest = codec<HealthCheckRequest>(HealthCheckRequestSchema);
const checkResponse = codec<HealthCheckResponse>(HealthCheckResponseSchema);
const listRequest = codec<HealthListRequest>(HealthListRequestSchema);
const listResponse = codec<HealthListResponse>(HealthListResponseSchema);

/** healthServiceDefinition is grpc.health.v1.Health over protobuf-es messages. */
export const healthServiceDefinition: grpc.ServiceDefinition = {
  Check: {
    path: "/grpc.health.v1.Health/Check",
    requestStream: false,
    responseStream: false,
    requestSerialize: checkRequest.serialize,
    requestDeserialize: checkRequest.deserialize,
    responseSerialize: checkResponse.serialize,
    responseDeserialize: checkResponse.deserialize,
  },
  List: {
    path: "/grpc.health.v1.Health/List",
    requestStream: false,
    responseStream: false,
    requestSerialize: listRequest.serialize,
    requestDeserialize: listRequest.deserialize,
    responseSerialize: listResponse.serialize,
    responseDeserialize: listResponse.deserialize,
  },
  Watch: {
    path: "/grpc.health.v1.Health/Watch",
    requestStream: false,
    responseStream: true,
    requestSerialize: checkRequest.serialize,
    requestDeserialize: checkRequest.deserialize,
    responseSerialize: checkResponse.serialize,
    responseDeserialize: checkResponse.deserialize,
  },
};

/**
 * HealthState holds the serving status per service name and notifies watchers. The empty
 * name stands for the whole server, as the gRPC health protocol defines.
 */
export class HealthState {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Map<string, Set<(s: ServingStatus) => void>>();

  constructor(services: readonly string[]) {
    for (const s of ["", ...services]) this.statuses.set(s, ServingStatus.NOT_SERVING);
  }

  /** get returns the status of a service, or undefined when it is not known. */
  get(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  /** setAll sets every known service to one status (SERVING once ready, NOT_SERVING on drain). */
  setAll(status: ServingStatus): void {
    for (const service of this.statuses.keys()) {
      if (this.statuses.get(service) === status) continue;
      this.statuses.set(service, status);
      for (const notify of this.watchers.get(service) ?? []) notify(status);
    }
  }

  /** set sets one known service's status (e.g. liveness SERVING while readiness waits); unknown names are ignored. */
  set(service: string, status: ServingStatus): void {
    if (!this.statuses.has(service) || this.statuses.get(service) === status) return;
    this.statuses.set(service, status);
    for (const notify of this.watchers.get(service) ?? []) notify(status);
  }

  /** entries lists every service with its status. */
  entries(): IterableIterator<[string, ServingStatus]> {
    return this.statuses.entries();
  }

  /** watch registers a listener and returns its removal. */
  watch(service: string, listener: (s: ServingStatus) => void): () => void {
    let set = this.watchers.get(service);
    if (!set) {
      set = new Set();
      this.watchers.set(service, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }
}

/** healthServiceImplementation answers Check, List and Watch from a HealthState. */
export function healthServiceImplementation(state: HealthState): grpc.UntypedServiceImplementation {
  return {
    Check(
      call: grpc.ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
      callback: grpc.sendUnaryData<HealthCheckResponse>,
    ) {
      const status = state.get(call.request.service);
      if (status === undefined) {
        callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${JSON.stringify(call.request.service)}` });
        return;
      }
      callback(null, create(HealthCheckResponseSchema, { status }));
    },
    List(
      _call: grpc.ServerUnaryCall<HealthListRequest, HealthListResponse>,
      callback: grpc.sendUnaryData<HealthListResponse>,
    ) {
      const statuses: Record<string, HealthCheckResponse> = {};
      for (const [service, status] of state.entries()) {
        statuses[service] = create(HealthCheckResponseSchema, { status });
      }
      callback(null, create(HealthListResponseSchema, { statuses }));
    },
    Watch(call: grpc.ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) {
      const service = call.request.service;
      const send = (status: ServingStatus) => call.write(create(HealthCheckResponseSchema, { status }));
      send(state.get(service) ?? ServingStatus.SERVICE_UNKNOWN);
      const unwatch = state.watch(service, send);
      call.on("cancelled", unwatch);
      call.on("error", unwatch);
    },
  };
}
