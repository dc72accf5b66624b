import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  type HealthCheckRequest,
  HealthCheckRequestSchema,
  type HealthCheckResponse,
} from "../../../src/gen/grpc/health/v1/health_pb.js";
import { healthServiceDefinition, ServingStatus } from "../../../src/runtime/health/health-service.js";

const check = healthServiceDefinition["Check"]!;

/** healthStatus calls grpc.health.v1.Health/Check for a service; NOT_FOUND comes back as an error. */
export function healthStatus(port: number, service: string): Promise<ServingStatus> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      check.path,
      check.requestSerialize as (m: HealthCheckRequest) => Buffer,
      check.responseDeserialize as (b: Buffer) => HealthCheckResponse,
      create(HealthCheckRequestSchema, { service }),
      (error, response) => {
        client.close();
        if (error) reject(error);
        else resolve(response!.status);
      },
    );
  });
}

export { ServingStatus };
