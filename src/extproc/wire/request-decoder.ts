import { fromBinary } from "@bufbuild/protobuf";
import type { HeaderMap, HeaderValue } from "../../gen/envoy/config/core/v3/base_pb.js";
import {
  type HttpBody,
  type HttpHeaders,
  type HttpTrailers,
  type ProcessingRequest,
  ProcessingRequestSchema,
  type ProtocolConfiguration,
} from "../../gen/envoy/service/ext_proc/v3/external_processor_pb.js";

/**
 * A hand-written decoder for the ProcessingRequests Envoy sends on every stream: headers (ASCII
 * names and values), bodies, trailers, protocol_config, observability_mode. It builds exactly
 * the messages protobuf-es' fromBinary builds (same fields, defaults, $typeName; bytes fields
 * stay views of the input; a property test holds it to that) without the reflective walk, and
 * gives up on anything else — metadata_context, attributes, a non-ASCII string, an unknown
 * field, a field repeated where fromBinary would merge, an odd wire type — which then goes to
 * fromBinary, so every input gets fromBinary's answer, errors included.
 */

class GiveUp extends Error {}
const GIVE_UP = new GiveUp("not decodable by the fast path");

const WIRE_VARINT = 0;
const WIRE_LEN = 2;

/** Reader walks one message's bytes; `end` bounds the current (nested) message. */
class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  /** varint reads a varint of at most 32 bits (enums, bools, lengths); longer ones give up. */
  varint(end: number): number {
    let result = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (this.pos >= end) throw GIVE_UP;
      const b = this.buf[this.pos++]!;
      result |= (b & 0x7f) << shift;
      if (b < 0x80) return result >>> 0;
    }
    if (this.pos >= end) throw GIVE_UP;
    const b = this.buf[this.pos++]!;
    if (b > 0x0f) throw GIVE_UP;
    return (result | (b << 28)) >>> 0;
  }

  /** length reads a length prefix and returns the end of the field's bytes. */
  lengthEnd(end: number): number {
    const n = this.varint(end);
    const fieldEnd = this.pos + n;
    if (fieldEnd > end) throw GIVE_UP;
    return fieldEnd;
  }

  bytes(end: number): Uint8Array {
    const fieldEnd = this.lengthEnd(end);
    const out = this.buf.subarray(this.pos, fieldEnd);
    this.pos = fieldEnd;
    return out;
  }

  /** ascii reads a string field whose bytes are all ASCII (anything else gives up). */
  ascii(end: number): string {
    const fieldEnd = this.lengthEnd(end);
    const buf = this.buf;
    let s = "";
    for (let i = this.pos; i < fieldEnd; i++) {
      const c = buf[i]!;
      if (c >= 0x80) throw GIVE_UP;
      s += String.fromCharCode(c);
    }
    this.pos = fieldEnd;
    return s;
  }
}

function expectWire(key: number, wireType: number): void {
  if ((key & 7) !== wireType) throw GIVE_UP;
}

function headerValue(r: Reader, end: number): HeaderValue {
  let key = "";
  let value = "";
  let rawValue: Uint8Array = EMPTY;
  while (r.pos < end) {
    const k = r.varint(end);
    expectWire(k, WIRE_LEN);
    switch (k >>> 3) {
      case 1:
        key = r.ascii(end);
        break;
      case 2:
        value = r.ascii(end);
        break;
      case 3:
        rawValue = r.bytes(end);
        break;
      default:
        throw GIVE_UP;
    }
  }
  return { $typeName: "envoy.config.core.v3.HeaderValue", key, value, rawValue };
}

function headerMap(r: Reader, end: number): HeaderMap {
  const headers: HeaderValue[] = [];
  while (r.pos < end) {
    const k = r.varint(end);
    if (k !== ((1 << 3) | WIRE_LEN)) throw GIVE_UP;
    const fieldEnd = r.lengthEnd(end);
    headers.push(headerValue(r, fieldEnd));
  }
  return { $typeName: "envoy.config.core.v3.HeaderMap", headers };
}

function httpHeaders(r: Reader, end: number): HttpHeaders {
  let headers: HeaderMap | undefined;
  let endOfStream = false;
  while (r.pos < end) {
    const k = r.varint(end);
    switch (k >>> 3) {
      case 1:
        // A second HeaderMap would be merged into the first: fromBinary's business.
        if (headers) throw GIVE_UP;
        expectWire(k, WIRE_LEN);
        headers = headerMap(r, r.lengthEnd(end));
        break;
      case 3:
        expectWire(k, WIRE_VARINT);
        endOfStream = r.varint(end) !== 0;
        break;
      default:
        throw GIVE_UP;
    }
  }
  const out: HttpHeaders = { $typeName: "envoy.service.ext_proc.v3.HttpHeaders", attributes: {}, endOfStream };
  if (headers) out.headers = headers;
  return out;
}

function httpBody(r: Reader, end: number): HttpBody {
  let body: Uint8Array = EMPTY;
  let endOfStream = false;
  let endOfStreamWithoutMessage = false;
  let grpcMessageCompressed = false;
  while (r.pos < end) {
    const k = r.varint(end);
    const field = k >>> 3;
    if (field === 1) {
      expectWire(k, WIRE_LEN);
      body = r.bytes(end);
      continue;
    }
    expectWire(k, WIRE_VARINT);
    const flag = r.varint(end) !== 0;
    if (field === 2) endOfStream = flag;
    else if (field === 3) endOfStreamWithoutMessage = flag;
    else if (field === 4) grpcMessageCompressed = flag;
    else throw GIVE_UP;
  }
  return {
    $typeName: "envoy.service.ext_proc.v3.HttpBody",
    body,
    endOfStream,
    endOfStreamWithoutMessage,
    grpcMessageCompressed,
  };
}

function httpTrailers(r: Reader, end: number): HttpTrailers {
  let trailers: HeaderMap | undefined;
  while (r.pos < end) {
    const k = r.varint(end);
    if (k !== ((1 << 3) | WIRE_LEN) || trailers) throw GIVE_UP;
    trailers = headerMap(r, r.lengthEnd(end));
  }
  const out: HttpTrailers = { $typeName: "envoy.service.ext_proc.v3.HttpTrailers" };
  if (trailers) out.trailers = trailers;
  return out;
}

function protocolConfig(r: Reader, end: number): ProtocolConfiguration {
  let requestBodyMode = 0;
  let responseBodyMode = 0;
  let sendBodyWithoutWaitingForHeaderResponse = false;
  while (r.pos < end) {
    const k = r.varint(end);
    expectWire(k, WIRE_VARINT);
    const v = r.varint(end);
    // Enums are int32: a value with the top bit set is negative, which needs a 64-bit read.
    if (v > 0x7fffffff) throw GIVE_UP;
    switch (k >>> 3) {
      case 1:
        requestBodyMode = v;
        break;
      case 2:
        responseBodyMode = v;
        break;
      case 3:
        sendBodyWithoutWaitingForHeaderResponse = v !== 0;
        break;
      default:
        throw GIVE_UP;
    }
  }
  return {
    $typeName: "envoy.service.ext_proc.v3.ProtocolConfiguration",
    requestBodyMode,
    responseBodyMode,
    sendBodyWithoutWaitingForHeaderResponse,
  };
}

const EMPTY = new Uint8Array(0);

function decodeFast(bytes: Uint8Array): ProcessingRequest {
  const r = new Reader(bytes);
  const end = bytes.length;
  const out: ProcessingRequest = {
    $typeName: "envoy.service.ext_proc.v3.ProcessingRequest",
    request: { case: undefined },
    attributes: {},
    observabilityMode: false,
  };
  let configSeen = false;
  while (r.pos < end) {
    const k = r.varint(end);
    const field = k >>> 3;
    if (field === 10) {
      expectWire(k, WIRE_VARINT);
      out.observabilityMode = r.varint(end) !== 0;
      continue;
    }
    expectWire(k, WIRE_LEN);
    // The same oneof member twice is merged by fromBinary; a different one replaces it.
    if (field >= 2 && field <= 7 && out.request.case !== undefined && ONEOF_CASES[field] === out.request.case) {
      throw GIVE_UP;
    }
    const fieldEnd = r.lengthEnd(end);
    switch (field) {
      case 2:
        out.request = { case: "requestHeaders", value: httpHeaders(r, fieldEnd) };
        break;
      case 3:
        out.request = { case: "responseHeaders", value: httpHeaders(r, fieldEnd) };
        break;
      case 4:
        out.request = { case: "requestBody", value: httpBody(r, fieldEnd) };
        break;
      case 5:
        out.request = { case: "responseBody", value: httpBody(r, fieldEnd) };
        break;
      case 6:
        out.request = { case: "requestTrailers", value: httpTrailers(r, fieldEnd) };
        break;
      case 7:
        out.request = { case: "responseTrailers", value: httpTrailers(r, fieldEnd) };
        break;
      case 11:
        if (configSeen) throw GIVE_UP;
        configSeen = true;
        out.protocolConfig = protocolConfig(r, fieldEnd);
        break;
      default:
        // metadata_context, attributes, anything unknown.
        throw GIVE_UP;
    }
    if (r.pos !== fieldEnd) throw GIVE_UP;
  }
  return out;
}

const ONEOF_CASES: Readonly<Record<number, ProcessingRequest["request"]["case"]>> = {
  2: "requestHeaders",
  3: "responseHeaders",
  4: "requestBody",
  5: "responseBody",
  6: "requestTrailers",
  7: "responseTrailers",
};

/** tryDecodeFast is the fast path alone: undefined where it gives up (exported for its tests). */
export function tryDecodeFast(bytes: Uint8Array): ProcessingRequest | undefined {
  try {
    return decodeFast(bytes);
  } catch (e) {
    if (e !== GIVE_UP) throw e;
    return undefined;
  }
}

/** decodeRequest reads one ProcessingRequest: the fast path when it can, else fromBinary. */
export function decodeRequest(bytes: Uint8Array): ProcessingRequest {
  return tryDecodeFast(bytes) ?? fromBinary(ProcessingRequestSchema, bytes);
}
