import { create, type JsonObject, type JsonValue, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HeaderValueOptionSchema, HeaderValueSchema } from "../../gen/envoy/config/core/v3/base_pb.js";
import {
  BodyResponseSchema,
  CommonResponseSchema,
  HeaderMutationSchema,
  HeadersResponseSchema,
  ImmediateResponseSchema,
  type ProcessingResponse,
  ProcessingResponseSchema,
  TrailersResponseSchema,
} from "../../gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import { ProcessingModeSchema } from "../../gen/envoy/extensions/filters/http/ext_proc/v3/processing_mode_pb.js";
import { GatheredPiece, gatheredBodyResponse } from "./gathered-body.js";
import { encodeResponse, encodeResponseTransient } from "./response-encoder.js";

const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: "grapheme", maxLength: 6 }));
const bytes = fc.uint8Array({ maxLength: 40 });

const headerValue = fc.record({ key: text, value: text, rawValue: bytes }).map((h) => create(HeaderValueSchema, h));
const headerOption = fc
  .record(
    {
      header: headerValue,
      append: fc.boolean(),
      appendAction: fc.constantFrom(0, 1, 2, 3),
      keepEmptyValue: fc.boolean(),
    },
    { requiredKeys: ["appendAction", "keepEmptyValue"] },
  )
  .map((o) => create(HeaderValueOptionSchema, o));
const headerMutation = fc
  .record({ setHeaders: fc.array(headerOption, { maxLength: 4 }), removeHeaders: fc.array(text, { maxLength: 3 }) })
  .map((m) => create(HeaderMutationSchema, m));

const bodyMutation = fc.oneof(
  fc.constant(undefined),
  bytes.map((value) => ({ mutation: { case: "body" as const, value } })),
  fc.boolean().map((value) => ({ mutation: { case: "clearBody" as const, value } })),
  fc
    .record({
      body: bytes,
      endOfStream: fc.boolean(),
      endOfStreamWithoutMessage: fc.boolean(),
      grpcMessageCompressed: fc.boolean(),
    })
    .map((value) => ({ mutation: { case: "streamedResponse" as const, value } })),
);

const common = fc
  .record(
    {
      status: fc.constantFrom(0, 1),
      headerMutation,
      bodyMutation,
      trailers: fc.array(headerValue, { maxLength: 3 }).map((headers) => ({ headers })),
      clearRouteCache: fc.boolean(),
    },
    { requiredKeys: ["status", "clearRouteCache"] },
  )
  .map((c) => create(CommonResponseSchema, c));

const jsonValue: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.double({ noNaN: false }),
    text,
    fc.boolean(),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(text, tie("value"), { maxKeys: 3 }),
  ),
})).value;
const struct = fc.dictionary(text, jsonValue, { maxKeys: 3 }) as fc.Arbitrary<JsonObject>;

const oneofResponse = fc.oneof(
  fc.constant({ case: undefined, value: undefined }),
  fc
    .tuple(fc.constantFrom("requestHeaders", "responseHeaders"), fc.option(common, { nil: undefined }))
    .map(([c, response]) => ({ case: c, value: create(HeadersResponseSchema, response ? { response } : {}) })),
  fc
    .tuple(fc.constantFrom("requestBody", "responseBody"), fc.option(common, { nil: undefined }))
    .map(([c, response]) => ({ case: c, value: create(BodyResponseSchema, response ? { response } : {}) })),
  fc
    .tuple(fc.constantFrom("requestTrailers", "responseTrailers"), fc.option(headerMutation, { nil: undefined }))
    .map(([c, m]) => ({ case: c, value: create(TrailersResponseSchema, m ? { headerMutation: m } : {}) })),
  fc
    .record(
      {
        status: fc.integer({ min: 0, max: 600 }).map((code) => ({ code })),
        headers: headerMutation,
        body: bytes,
        grpcStatus: fc.nat().map((status) => ({ status })),
        details: text,
      },
      { requiredKeys: ["body", "details"] },
    )
    .map((value) => ({ case: "immediateResponse", value: create(ImmediateResponseSchema, value) })),
);

const response = fc
  .record(
    {
      response: oneofResponse,
      dynamicMetadata: struct,
      requestDrain: fc.boolean(),
      modeOverride: fc.constant(create(ProcessingModeSchema, { requestBodyMode: 1 })),
    },
    { requiredKeys: ["response", "requestDrain"] },
  )
  .map((r) => create(ProcessingResponseSchema, r as never) as ProcessingResponse);

describe("encodeResponse", () => {
  it("writes exactly the bytes of protobuf-es' toBinary", () => {
    fc.assert(
      fc.property(response, (m) => {
        expect(Buffer.from(encodeResponse(m))).toEqual(Buffer.from(toBinary(ProcessingResponseSchema, m)));
        expect(Buffer.from(encodeResponseTransient(m))).toEqual(Buffer.from(toBinary(ProcessingResponseSchema, m)));
      }),
      { numRuns: 3000 },
    );
  });

  it("writes a gathered body piece as the joined bytes", () => {
    const parts = [Uint8Array.of(1, 2, 3), Uint8Array.of(), Uint8Array.of(4, 5)];
    const piece = new GatheredPiece(parts, 5);
    const gathered = create(ProcessingResponseSchema, {
      response: {
        case: "requestBody",
        value: {
          response: {
            bodyMutation: { mutation: { case: "streamedResponse", value: gatheredBodyResponse(piece, true) } },
          },
        },
      },
    });
    const plain = create(ProcessingResponseSchema, {
      response: {
        case: "requestBody",
        value: {
          response: {
            bodyMutation: {
              mutation: { case: "streamedResponse", value: { body: Uint8Array.of(1, 2, 3, 4, 5), endOfStream: true } },
            },
          },
        },
      },
    });
    expect(Buffer.from(encodeResponse(gathered))).toEqual(Buffer.from(toBinary(ProcessingResponseSchema, plain)));
    expect(gathered).toEqual(plain);
  });

  it("leaves a body-sized answer out of the scratch buffer", () => {
    const body = new Uint8Array(300 * 1024).fill(7);
    const m = create(ProcessingResponseSchema, {
      response: { case: "immediateResponse", value: { status: { code: 413 }, body } },
    });
    const first = encodeResponseTransient(m);
    const again = encodeResponseTransient(create(ProcessingResponseSchema, { requestDrain: true }));
    // The small encode reused the scratch buffer; the large one, written elsewhere, is intact.
    expect(Buffer.from(first)).toEqual(Buffer.from(toBinary(ProcessingResponseSchema, m)));
    expect(Buffer.from(again)).toEqual(Buffer.from([0x60, 0x01]));
  });
});
