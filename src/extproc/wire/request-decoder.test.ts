import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ProcessingRequest,
  ProcessingRequestSchema,
} from "../../gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import { decodeRequest, tryDecodeFast } from "./request-decoder.js";

const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: "grapheme", maxLength: 4 }));
const headerMap = fc
  .array(fc.record({ key: text, value: text, rawValue: fc.uint8Array({ maxLength: 20 }) }), { maxLength: 5 })
  .map((headers) => ({ headers }));
const headers = fc.record(
  { headers: headerMap, endOfStream: fc.boolean(), attributes: fc.constantFrom({}, { "envoy.x": { a: 1 } }) },
  { requiredKeys: ["endOfStream"] },
);
const body = fc.record({
  body: fc.uint8Array({ maxLength: 64 }),
  endOfStream: fc.boolean(),
  endOfStreamWithoutMessage: fc.boolean(),
  grpcMessageCompressed: fc.boolean(),
});
const request = fc.oneof(
  fc.constant({ case: undefined }),
  headers.map((value) => ({ case: "requestHeaders", value })),
  headers.map((value) => ({ case: "responseHeaders", value })),
  body.map((value) => ({ case: "requestBody", value })),
  body.map((value) => ({ case: "responseBody", value })),
  fc.record({ trailers: headerMap }, { requiredKeys: [] }).map((value) => ({ case: "requestTrailers", value })),
  fc.record({ trailers: headerMap }, { requiredKeys: [] }).map((value) => ({ case: "responseTrailers", value })),
);
const message = fc
  .record(
    {
      request,
      observabilityMode: fc.boolean(),
      protocolConfig: fc.record({
        requestBodyMode: fc.integer({ min: -2, max: 6 }),
        responseBodyMode: fc.integer({ min: 0, max: 6 }),
        sendBodyWithoutWaitingForHeaderResponse: fc.boolean(),
      }),
      metadataContext: fc.constant({ filterMetadata: { "envoy.lb": { x: "y" } } }),
    },
    { requiredKeys: ["request", "observabilityMode"] },
  )
  .map((m) => create(ProcessingRequestSchema, m as never) as ProcessingRequest);

function decodedBoth(bytes: Uint8Array): [unknown, unknown] {
  const attempt = (decode: () => unknown) => {
    try {
      return decode();
    } catch (e) {
      return { threw: (e as Error).message };
    }
  };
  return [attempt(() => decodeRequest(bytes)), attempt(() => fromBinary(ProcessingRequestSchema, bytes))];
}

describe("decodeRequest", () => {
  it("reads every message as protobuf-es' fromBinary does", () => {
    fc.assert(
      fc.property(message, (m) => {
        const bytes = Buffer.from(toBinary(ProcessingRequestSchema, m));
        const [fast, reference] = decodedBoth(bytes);
        expect(fast).toStrictEqual(reference);
      }),
      { numRuns: 3000 },
    );
  });

  it("answers arbitrary and concatenated bytes as fromBinary does (merges, garbage, truncation)", () => {
    const encoded = message.map((m) => Buffer.from(toBinary(ProcessingRequestSchema, m)));
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
      fc.tuple(encoded, encoded).map(([a, b]) => Buffer.concat([a, b])),
      fc.tuple(encoded, fc.nat()).map(([a, n]) => a.subarray(0, a.length === 0 ? 0 : n % a.length)),
    );
    fc.assert(
      fc.property(input, (bytes) => {
        const [fast, reference] = decodedBoth(bytes);
        expect(fast).toStrictEqual(reference);
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    [
      "request headers with protocol_config",
      {
        request: {
          case: "requestHeaders",
          value: { headers: { headers: [{ key: ":path", rawValue: Uint8Array.of(47) }] } },
        },
        protocolConfig: { requestBodyMode: 4, responseBodyMode: 4 },
      },
    ],
    ["a body chunk", { request: { case: "requestBody", value: { body: Uint8Array.of(123), endOfStream: true } } }],
    [
      "trailers",
      {
        request: {
          case: "responseTrailers",
          value: { trailers: { headers: [{ key: "grpc-status", rawValue: Uint8Array.of(48) }] } },
        },
      },
    ],
  ])("takes the fast path for %s", (_name, init) => {
    const bytes = Buffer.from(toBinary(ProcessingRequestSchema, create(ProcessingRequestSchema, init as never)));
    expect(tryDecodeFast(bytes)).toStrictEqual(fromBinary(ProcessingRequestSchema, bytes));
  });

  it("keeps body bytes as views of the received frame", () => {
    const bytes = Buffer.from(
      toBinary(
        ProcessingRequestSchema,
        create(ProcessingRequestSchema, { request: { case: "requestBody", value: { body: Uint8Array.of(1, 2, 3) } } }),
      ),
    );
    const decoded = decodeRequest(bytes);
    expect(decoded.request.case === "requestBody" && decoded.request.value.body.buffer).toBe(bytes.buffer);
  });
});
