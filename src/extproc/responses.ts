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
  type StreamedBodyResponse,
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

/**
 * The answers that never change are built once and frozen: the lifecycle sends them on nearly
 * every stream, and a fresh message each time was garbage for nothing. (Frozen, so a caller that
 * wants to add to one, like withDynamicMetadata, must copy it.)
 */
function frozenMessage<T extends object>(message: T): T {
  for (const value of Object.values(message)) if (value && typeof value === "object") frozenMessage(value);
  return Object.freeze(message);
}

const EMPTY_HEADERS: Readonly<Record<Phase, ProcessingResponse>> = {
  request: frozenMessage(headersResponse("request", create(HeadersResponseSchema))),
  response: frozenMessage(headersResponse("response", create(HeadersResponseSchema))),
};

/** emptyHeadersResponse acknowledges headers without changes: `HeadersResponse{}` (a shared constant). */
export function emptyHeadersResponse(phase: Phase): ProcessingResponse {
  return EMPTY_HEADERS[phase];
}

/**
 * mutatingHeadersResponse answers headers with a header mutation and clear_route_cache, so the
 * Gateway re-evaluates its routes against the new headers.
 */
export function mutatingHeadersResponse(phase: Phase, mutation: HeaderMutation): ProcessingResponse {
  return headersResponse(phase, {
    $typeName: "envoy.service.ext_proc.v3.HeadersResponse",
    response: routeClearingCommonResponse(mutation),
  });
}

// The hot-path builders write messages as literals of the shape create() gives (every field at
// its default, $typeName set): create()'s reflective copy of an init object was a measurable
// share of the garbage per exchange. The encoder's property test and the protocol tests compare
// these with create()'s messages.

function processingResponse(response: ProcessingResponse["response"]): ProcessingResponse {
  return { $typeName: "envoy.service.ext_proc.v3.ProcessingResponse", response, requestDrain: false };
}

function headersResponse(phase: Phase, value: HeadersResponse): ProcessingResponse {
  return processingResponse(phase === "request" ? { case: "requestHeaders", value } : { case: "responseHeaders", value });
}

function bodyResponse(phase: Phase, value: BodyResponse): ProcessingResponse {
  return processingResponse(phase === "request" ? { case: "requestBody", value } : { case: "responseBody", value });
}

function commonResponse(fields: Partial<Pick<CommonResponse, "clearRouteCache" | "headerMutation" | "bodyMutation">>): CommonResponse {
  return { $typeName: "envoy.service.ext_proc.v3.CommonResponse", status: 0, clearRouteCache: false, ...fields };
}

function routeClearingCommonResponse(mutation: HeaderMutation): CommonResponse {
  return commonResponse({ clearRouteCache: true, headerMutation: mutation });
}

/**
 * withDynamicMetadata sets ProcessingResponse.dynamic_metadata: top-level keys are metadata
 * namespaces (e.g. "envoy.lb"), each holding a Struct Envoy stores as filter metadata.
 */
export function withDynamicMetadata(response: ProcessingResponse, metadata: JsonObject): ProcessingResponse {
  // A copy: the response may be one of the shared constants.
  return { ...response, dynamicMetadata: metadata };
}

const EMPTY_BODIES: Readonly<Record<Phase, ProcessingResponse>> = {
  request: frozenMessage(bodyResponse("request", create(BodyResponseSchema))),
  response: frozenMessage(bodyResponse("response", create(BodyResponseSchema))),
};

/** emptyBodyResponse acknowledges a body message without changes: `BodyResponse{}` (a shared constant). */
export function emptyBodyResponse(phase: Phase): ProcessingResponse {
  return EMPTY_BODIES[phase];
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
  return streamedPieceResponse(phase, gatheredBodyResponse(piece, endOfStream));
}

/** streamedBodyResponse is one FULL_DUPLEX_STREAMED body piece. */
export function streamedBodyResponse(phase: Phase, body: Uint8Array, endOfStream: boolean): ProcessingResponse {
  return streamedPieceResponse(phase, {
    $typeName: "envoy.service.ext_proc.v3.StreamedBodyResponse",
    body,
    endOfStream,
    endOfStreamWithoutMessage: false,
    grpcMessageCompressed: false,
  });
}

function streamedPieceResponse(phase: Phase, value: StreamedBodyResponse): ProcessingResponse {
  return bodyResponse(phase, {
    $typeName: "envoy.service.ext_proc.v3.BodyResponse",
    response: commonResponse({
      bodyMutation: {
        $typeName: "envoy.service.ext_proc.v3.BodyMutation",
        mutation: { case: "streamedResponse", value },
      },
    }),
  });
}

function trailersResponse(phase: Phase): ProcessingResponse {
  const value = create(TrailersResponseSchema);
  return create(ProcessingResponseSchema, {
    response: phase === "request" ? { case: "requestTrailers", value } : { case: "responseTrailers", value },
  });
}

const EMPTY_TRAILERS: Readonly<Record<Phase, ProcessingResponse>> = {
  request: frozenMessage(trailersResponse("request")),
  response: frozenMessage(trailersResponse("response")),
};

/** emptyTrailersResponse acknowledges trailers: `TrailersResponse{}` (a shared constant). */
export function emptyTrailersResponse(phase: Phase): ProcessingResponse {
  return EMPTY_TRAILERS[phase];
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
