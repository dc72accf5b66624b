import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  type HealthCheckRequest,
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthListRequestSchema,
  type HealthListResponse,
} from "../../../src/gen/grpc/health/v1/health_pb.js";
import { healthServiceDefinition } from "../../../src/runtime/health/health-service.js";

export { ServingStatus };

const check = healthServiceDefinition["Check"]!;
const list = healthServiceDefinition["List"]!;

/** HealthWatch is an open grpc.health.v1 Watch stream with the statuses received so far. */
export class HealthWatch {
  readonly statuses: ServingStatus[] = [];
  private readonly waiters: (() => void)[] = [];

  constructor(readonly call: grpc.ClientReadableStream<HealthCheckResponse>) {
    call.on("data", (r: HealthCheckResponse) => {
      this.statuses.push(r.status);
      for (const w of this.waiters.splice(0)) w();
    });
    call.on("error", () => {
      /* cancelled by the test or ended by the server shutting down */
    });
  }

  /** waitForCount resolves once `count` statuses have arrived. */
  async waitForCount(count: number, timeoutMs = 5000): Promise<ServingStatus[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.statuses.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Watch delivered ${this.statuses.length} of ${count} statuses`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return [...this.statuses];
  }
}

/** HealthTestClient speaks grpc.health.v1 to a health port, as kubelet and GKE health checks do. */
export class HealthTestClient {
  private readonly client: grpc.Client;

  constructor(port: number) {
    this.client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  }

  check(service: string): Promise<{ status: ServingStatus } | { code: grpc.status; details: string }> {
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(
        check.path,
        check.requestSerialize as (m: HealthCheckRequest) => Buffer,
        check.responseDeserialize as (b: Buffer) => HealthCheckResponse,
        create(HealthCheckRequestSchema, { service }),
        (error, response) => {
          if (error) resolve({ code: error.code, details: error.details });
          else resolve({ status: response!.status });
        },
      );
    });
  }

  list(): Promise<Record<string, ServingStatus>> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        list.path,
        list.requestSerialize as (m: object) => Buffer,
        list.responseDeserialize as (b: Buffer) => HealthListResponse,
        create(HealthListRequestSchema, {}),
        (error, response) => {
          if (error) reject(error);
          else resolve(Object.fromEntries(Object.entries(response!.statuses).map(([k, v]) => [k, v.status])));
        },
      );
    });
  }

  watch(service: string): HealthWatch {
    const watch = healthServiceDefinition["Watch"]!;
    return new HealthWatch(
      this.client.makeServerStreamRequest(
        watch.path,
        watch.requestSerialize as (m: HealthCheckRequest) => Buffer,
        watch.responseDeserialize as (b: Buffer) => HealthCheckResponse,
        create(HealthCheckRequestSchema, { service }),
      ),
    );
  }

  close(): void {
    this.client.close();
  }
}
