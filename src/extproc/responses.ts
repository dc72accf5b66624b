import { create, type JsonObject } from "@bufbuild/protobuf";
import {
  type BodyResponse,
  BodyResponseSchema,
  type CommonResponse,
  CommonResponseSchema,
  type HeaderMutation,
  type HeadersResponse,
  HeadersResponseSchema,
  ImmediateResponseSchema,
  type ProcessingResponse,
  ProcessingResponseSchema,
  TrailersResponseSchema,
} from "../gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import { HttpStatusSchema } from "../gen/envoy/type/v3/http_status_pb.js";
import { splitBody, splitChunks } from "./chunking.js";
import { GatheredPiece, gatheredBodyResponse } from "./wire/gathered-body.js";
import { buildHeaderMutation, type HeaderSet } from "./headers.js";

// Builders for the ProcessingResponse shapes the processors send. They keep the oneof
// plumbing in one place so processors read as protocol steps.

/** Phase says which direction a response belongs to. */
export type Phase = "request" | "response";

/** emptyHeadersResponse acknowledges headers without changes: `HeadersResponse{}`. */
export function emptyHeadersResponse(phase: Phase): ProcessingResponse {
  return headersResponse(phase, create(HeadersResponseSchema));
}

/**
 * mutatingHeadersResponse answers headers with a header mutation and clear_route_cache, so the
 * Gateway re-evaluates its routes against the new headers.
 */
export function mutatingHeadersResponse(phase: Phase, mutation: HeaderMutation): ProcessingResponse {
  return headersResponse(
    phase,
    create(HeadersResponseSchema, { response: routeClearingCommonResponse(mutation) }),
  );
}

function headersResponse(phase: Phase, value: HeadersResponse): ProcessingResponse {
  return create(ProcessingResponseSchema, {
    response: phase === "request" ? { case: "requestHeaders", value } : { case: "responseHeaders", value },
  });
}

function bodyResponse(phase: Phase, value: BodyResponse): ProcessingResponse {
  return create(ProcessingResponseSchema, {
    response: phase === "request" ? { case: "requestBody", value } : { case: "responseBody", value },
  });
}

function routeClearingCommonResponse(mutation: HeaderMutation): CommonResponse {
  return create(CommonResponseSchema, { clearRouteCache: true, headerMutation: mutation });
}

/**
 * withDynamicMetadata sets ProcessingResponse.dynamic_metadata: top-level keys are metadata
 * namespaces (e.g. "envoy.lb"), each holding a Struct Envoy stores as filter metadata.
 */
export function withDynamicMetadata(response: ProcessingResponse, metadata: JsonObject): ProcessingResponse {
  response.dynamicMetadata = metadata;
  return response;
}

/** emptyBodyResponse acknowledges a body message without changes: `BodyResponse{}`. */
export function emptyBodyResponse(phase: Phase): ProcessingResponse {
  return bodyResponse(phase, create(BodyResponseSchema));
}

/**
 * bufferedBodyResponse is the BUFFERED-mode answer: clear_route_cache, the header mutation
 * (always present, possibly empty) and the new body only when it changed.
 */
export function bufferedBodyResponse(
  phase: Phase,
  mutation: HeaderMutation,
  newBody: Uint8Array | undefined,
): ProcessingResponse {
  const common = create(CommonResponseSchema, {
    clearRouteCache: true,
    headerMutation: mutation,
    ...(newBody === undefined ? {} : { bodyMutation: { mutation: { case: "body", value: newBody } } }),
  });
  return bodyResponse(phase, create(BodyResponseSchema, { response: common }));
}

/**
 * streamedBodyResponses splits a body into FULL_DUPLEX_STREAMED body responses; the last one
 * carries end_of_stream when `endOfStream` is set (false when trailers follow).
 */
export function streamedBodyResponses(
  phase: Phase,
  body: Uint8Array | readonly Uint8Array[],
  endOfStream: boolean,
): ProcessingResponse[] {
  if (body instanceof Uint8Array) {
    const pieces = splitBody(body);
    return pieces.map((piece, i) => streamedBodyResponse(phase, piece, endOfStream && i === pieces.length - 1));
  }
  const pieces = splitChunks(body);
  return pieces.map((parts, i) => {
    const last = endOfStream && i === pieces.length - 1;
    if (parts.length <= 1) return streamedBodyResponse(phase, parts[0] ?? EMPTY_BODY, last);
    let length = 0;
    for (const part of parts) length += part.length;
    return gatheredPieceResponse(phase, new GatheredPiece(parts, length), last);
  });
}

const EMPTY_BODY = new Uint8Array(0);

function gatheredPieceResponse(phase: Phase, piece: GatheredPiece, endOfStream: boolean): ProcessingResponse {
  return bodyResponse(
    phase,
    create(BodyResponseSchema, {
      response: create(CommonResponseSchema, {
        bodyMutation: { mutation: { case: "streamedResponse", value: gatheredBodyResponse(piece, endOfStream) } },
      }),
    }),
  );
}

/** streamedBodyResponse is one FULL_DUPLEX_STREAMED body piece. */
export function streamedBodyResponse(phase: Phase, body: Uint8Array, endOfStream: boolean): ProcessingResponse {
  return bodyResponse(
    phase,
    create(BodyResponseSchema, {
      response: create(CommonResponseSchema, {
        bodyMutation: { mutation: { case: "streamedResponse", value: { body, endOfStream } } },
      }),
    }),
  );
}

/** emptyTrailersResponse acknowledges trailers: `TrailersResponse{}`. */
export function emptyTrailersResponse(phase: Phase): ProcessingResponse {
  const value = create(TrailersResponseSchema);
  return create(ProcessingResponseSchema, {
    response: phase === "request" ? { case: "requestTrailers", value } : { case: "responseTrailers", value },
  });
}

/**
 * immediateResponse answers the HTTP request directly: the status, the headers and body the
 * product rendered, and `details` for Envoy's %RESPONSE_CODE_DETAILS%.
 */
export function immediateResponse(
  status: number,
  headers: readonly HeaderSet[],
  body: Uint8Array,
  details: string,
): ProcessingResponse {
  return create(ProcessingResponseSchema, {
    response: {
      case: "immediateResponse",
      value: create(ImmediateResponseSchema, {
        status: create(HttpStatusSchema, { code: status }),
        headers: buildHeaderMutation(headers, []),
        body,
        details,
      }),
    },
  });
}
