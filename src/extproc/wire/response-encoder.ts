import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { toBinary } from "@bufbuild/protobuf";
import type { HeaderMap, HeaderValue, HeaderValueOption } from "../../gen/envoy/config/core/v3/base_pb.js";
import {
  type BodyMutation,
  type BodyResponse,
  type HeadersResponse,
  type CommonResponse,
  type HeaderMutation,
  type ImmediateResponse,
  type ProcessingResponse,
  ProcessingResponseSchema,
} from "../../gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import { type BodyPieceSource, gatheredPieceOf } from "./gathered-body.js";

/**
 * A hand-written protobuf encoder for the ProcessingResponse shapes the lifecycle sends. It writes
 * exactly the bytes protobuf-es' reflective toBinary writes (field order, implicit presence, map
 * entries; a property test holds it to that), in one exact-size buffer with one copy of a body,
 * where toBinary builds a chunk list, grows buffers and joins them (two copies of every body and
 * most of the ext_proc codec's CPU and garbage in the profiles). Anything it does not know (mode
 * overrides, timeouts, streamed immediate responses, unknown fields) goes to toBinary.
 *
 * Two passes: `measure` walks the message and queues the length of every nested message in
 * pre-order; `write` walks it again in the same order and takes the lengths from the queue, so
 * no length is computed twice and nothing is allocated between the passes.
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;

function tag(field: number, wireType: number): number {
  return (field << 3) | wireType;
}

function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}

/** utf8Length is the UTF-8 length of a string (ASCII counted in JS, anything else natively). */
function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, "utf8");
  return s.length;
}

/** lenField is the size of a length-delimited field holding `n` bytes (tags here are one byte). */
function lenField(n: number): number {
  return 1 + varintSize(n) + n;
}

class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported("not encodable by the fast path");

/** Writer is one encode: the length queue and the output cursor. */
class Writer {
  lengths: number[] = [];
  next = 0;
  buf: Buffer = Buffer.alloc(0);
  pos = 0;

  reset(): void {
    this.lengths.length = 0;
    this.next = 0;
    this.pos = 0;
  }

  /** reserve queues a nested message's length slot before its fields are measured. */
  reserve(): number {
    this.lengths.push(0);
    return this.lengths.length - 1;
  }

  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  varint(v: number): void {
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  /** open writes a nested message's tag and its measured length. */
  open(field: number): void {
    this.byte(tag(field, WIRE_LEN));
    this.varint(this.lengths[this.next++]!);
  }

  string(field: number, s: string, length: number): void {
    this.byte(tag(field, WIRE_LEN));
    this.varint(length);
    if (length === s.length) {
      for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
    } else {
      this.pos += this.buf.write(s, this.pos, length, "utf8");
    }
  }

  bytes(field: number, b: Uint8Array): void {
    this.byte(tag(field, WIRE_LEN));
    this.varint(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  gathered(field: number, piece: BodyPieceSource): void {
    this.byte(tag(field, WIRE_LEN));
    this.varint(piece.length);
    this.pos += piece.copyTo(this.buf, this.pos);
  }

  bool(field: number): void {
    this.byte(tag(field, WIRE_VARINT));
    this.byte(1);
  }

  double(field: number, v: number): void {
    this.byte(tag(field, WIRE_FIXED64));
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }
}

// ---- measure: sizes, with nested lengths queued in pre-order ----

function measureString(s: string): number {
  return utf8Length(s);
}

function measureHeaderValue(h: HeaderValue): number {
  if (h.$unknown) throw UNSUPPORTED;
  let n = 0;
  if (h.key.length > 0) n += lenField(measureString(h.key));
  if (h.value.length > 0) n += lenField(measureString(h.value));
  if (h.rawValue.length > 0) n += lenField(h.rawValue.length);
  return n;
}

function measureNested(w: Writer, measure: () => number): number {
  const slot = w.reserve();
  const n = measure();
  w.lengths[slot] = n;
  return lenField(n);
}

function measureHeaderValueOption(w: Writer, o: HeaderValueOption): number {
  if (o.$unknown) throw UNSUPPORTED;
  let n = 0;
  const header = o.header;
  if (header) n += measureNested(w, () => measureHeaderValue(header));
  // google.protobuf.BoolValue: an empty message for false, `08 01` for true.
  if (o.append !== undefined) n += o.append ? 4 : 2;
  if (o.appendAction !== 0) n += 1 + varintSize(o.appendAction);
  if (o.keepEmptyValue) n += 2;
  return n;
}

function measureHeaderMutation(w: Writer, m: HeaderMutation): number {
  if (m.$unknown) throw UNSUPPORTED;
  let n = 0;
  for (const o of m.setHeaders) n += measureNested(w, () => measureHeaderValueOption(w, o));
  for (const r of m.removeHeaders) n += lenField(measureString(r));
  return n;
}

function measureHeaderMap(w: Writer, m: HeaderMap): number {
  if (m.$unknown) throw UNSUPPORTED;
  let n = 0;
  for (const h of m.headers) n += measureNested(w, () => measureHeaderValue(h));
  return n;
}

function measureBodyMutation(w: Writer, m: BodyMutation): number {
  if (m.$unknown) throw UNSUPPORTED;
  const mutation = m.mutation;
  switch (mutation.case) {
    case undefined:
      return 0;
    case "body":
      return lenField(mutation.value.length);
    case "clearBody":
      return 2;
    case "streamedResponse": {
      const s = mutation.value;
      return measureNested(w, () => {
        if (s.$unknown) throw UNSUPPORTED;
        const gathered = gatheredPieceOf(s);
        const length = gathered ? gathered.length : s.body.length;
        let n = length > 0 ? lenField(length) : 0;
        if (s.endOfStream) n += 2;
        if (s.endOfStreamWithoutMessage) n += 2;
        if (s.grpcMessageCompressed) n += 2;
        return n;
      });
    }
    default:
      throw UNSUPPORTED;
  }
}

function measureCommonResponse(w: Writer, c: CommonResponse): number {
  if (c.$unknown) throw UNSUPPORTED;
  let n = 0;
  if (c.status !== 0) n += 1 + varintSize(c.status);
  const headerMutation = c.headerMutation;
  if (headerMutation) n += measureNested(w, () => measureHeaderMutation(w, headerMutation));
  const bodyMutation = c.bodyMutation;
  if (bodyMutation) n += measureNested(w, () => measureBodyMutation(w, bodyMutation));
  const trailers = c.trailers;
  if (trailers) n += measureNested(w, () => measureHeaderMap(w, trailers));
  if (c.clearRouteCache) n += 2;
  return n;
}

/** measureCommonHolder measures HeadersResponse / BodyResponse: `CommonResponse response = 1`. */
function measureCommonHolder(w: Writer, holder: HeadersResponse | BodyResponse): number {
  if (holder.$unknown) throw UNSUPPORTED;
  const common = holder.response;
  return common ? measureNested(w, () => measureCommonResponse(w, common)) : 0;
}

function measureImmediate(w: Writer, r: ImmediateResponse): number {
  if (r.$unknown) throw UNSUPPORTED;
  let n = 0;
  const status = r.status;
  if (status) {
    if (status.$unknown) throw UNSUPPORTED;
    n += measureNested(w, () => (status.code !== 0 ? 1 + varintSize(status.code) : 0));
  }
  const headers = r.headers;
  if (headers) n += measureNested(w, () => measureHeaderMutation(w, headers));
  if (r.body.length > 0) n += lenField(r.body.length);
  const grpcStatus = r.grpcStatus;
  if (grpcStatus) {
    if (grpcStatus.$unknown) throw UNSUPPORTED;
    n += measureNested(w, () => (grpcStatus.status !== 0 ? 1 + varintSize(grpcStatus.status) : 0));
  }
  if (r.details.length > 0) n += lenField(measureString(r.details));
  return n;
}

// google.protobuf.Struct as protobuf-es writes a JsonObject: `map<string, Value> fields = 1`,
// each entry {key = 1, value = 2}, both always written.
function measureStruct(w: Writer, o: JsonObject): number {
  let n = 0;
  for (const key of Object.keys(o)) {
    const value = o[key];
    n += measureNested(w, () => lenField(measureString(key)) + measureNested(w, () => measureValue(w, value!)));
  }
  return n;
}

function measureValue(w: Writer, v: JsonValue): number {
  if (v === null) return 2;
  switch (typeof v) {
    case "number":
      return 9;
    case "string":
      return lenField(measureString(v));
    case "boolean":
      return 2;
    case "object":
      if (Array.isArray(v)) {
        return measureNested(w, () => {
          let n = 0;
          for (const item of v) n += measureNested(w, () => measureValue(w, item));
          return n;
        });
      }
      return measureNested(w, () => measureStruct(w, v));
    default:
      throw UNSUPPORTED;
  }
}

const ONEOF_FIELD: Record<string, number> = {
  requestHeaders: 1,
  responseHeaders: 2,
  requestBody: 3,
  responseBody: 4,
  requestTrailers: 5,
  responseTrailers: 6,
  immediateResponse: 7,
};

function measureResponse(w: Writer, m: ProcessingResponse): number {
  if (m.$unknown || m.modeOverride || m.overrideMessageTimeout) throw UNSUPPORTED;
  let n = 0;
  const r = m.response;
  switch (r.case) {
    case undefined:
      break;
    case "requestHeaders":
    case "responseHeaders":
    case "requestBody":
    case "responseBody":
      n += measureNested(w, () => measureCommonHolder(w, r.value));
      break;
    case "requestTrailers":
    case "responseTrailers": {
      const t = r.value;
      if (t.$unknown) throw UNSUPPORTED;
      const mutation = t.headerMutation;
      n += measureNested(w, () => (mutation ? measureNested(w, () => measureHeaderMutation(w, mutation)) : 0));
      break;
    }
    case "immediateResponse":
      n += measureNested(w, () => measureImmediate(w, r.value));
      break;
    default:
      throw UNSUPPORTED;
  }
  const metadata = m.dynamicMetadata;
  if (metadata) n += measureNested(w, () => measureStruct(w, metadata));
  if (m.requestDrain) n += 2;
  return n;
}

// ---- write: the same walk, lengths from the queue ----

function writeHeaderValue(w: Writer, h: HeaderValue): void {
  if (h.key.length > 0) w.string(1, h.key, utf8Length(h.key));
  if (h.value.length > 0) w.string(2, h.value, utf8Length(h.value));
  if (h.rawValue.length > 0) w.bytes(3, h.rawValue);
}

function writeHeaderValueOption(w: Writer, o: HeaderValueOption): void {
  if (o.header) {
    w.open(1);
    writeHeaderValue(w, o.header);
  }
  if (o.append !== undefined) {
    w.byte(tag(2, WIRE_LEN));
    if (o.append) {
      w.byte(2);
      w.bool(1);
    } else {
      w.byte(0);
    }
  }
  if (o.appendAction !== 0) {
    w.byte(tag(3, WIRE_VARINT));
    w.varint(o.appendAction);
  }
  if (o.keepEmptyValue) w.bool(4);
}

function writeHeaderMutation(w: Writer, m: HeaderMutation): void {
  for (const o of m.setHeaders) {
    w.open(1);
    writeHeaderValueOption(w, o);
  }
  for (const r of m.removeHeaders) w.string(2, r, utf8Length(r));
}

function writeHeaderMap(w: Writer, m: HeaderMap): void {
  for (const h of m.headers) {
    w.open(1);
    writeHeaderValue(w, h);
  }
}

function writeBodyMutation(w: Writer, m: BodyMutation): void {
  const mutation = m.mutation;
  switch (mutation.case) {
    case "body":
      w.bytes(1, mutation.value);
      return;
    case "clearBody":
      if (mutation.value) w.bool(2);
      else {
        w.byte(tag(2, WIRE_VARINT));
        w.byte(0);
      }
      return;
    case "streamedResponse": {
      const s = mutation.value;
      w.open(3);
      const gathered = gatheredPieceOf(s);
      if (gathered) {
        if (gathered.length > 0) w.gathered(1, gathered);
      } else if (s.body.length > 0) w.bytes(1, s.body);
      if (s.endOfStream) w.bool(2);
      if (s.endOfStreamWithoutMessage) w.bool(3);
      if (s.grpcMessageCompressed) w.bool(4);
      return;
    }
    default:
      return;
  }
}

function writeCommonResponse(w: Writer, c: CommonResponse): void {
  if (c.status !== 0) {
    w.byte(tag(1, WIRE_VARINT));
    w.varint(c.status);
  }
  if (c.headerMutation) {
    w.open(2);
    writeHeaderMutation(w, c.headerMutation);
  }
  if (c.bodyMutation) {
    w.open(3);
    writeBodyMutation(w, c.bodyMutation);
  }
  if (c.trailers) {
    w.open(4);
    writeHeaderMap(w, c.trailers);
  }
  if (c.clearRouteCache) w.bool(5);
}

function writeImmediate(w: Writer, r: ImmediateResponse): void {
  if (r.status) {
    w.open(1);
    if (r.status.code !== 0) {
      w.byte(tag(1, WIRE_VARINT));
      w.varint(r.status.code);
    }
  }
  if (r.headers) {
    w.open(2);
    writeHeaderMutation(w, r.headers);
  }
  if (r.body.length > 0) w.bytes(3, r.body);
  if (r.grpcStatus) {
    w.open(4);
    if (r.grpcStatus.status !== 0) {
      w.byte(tag(1, WIRE_VARINT));
      w.varint(r.grpcStatus.status);
    }
  }
  if (r.details.length > 0) w.string(5, r.details, utf8Length(r.details));
}

function writeStruct(w: Writer, o: JsonObject): void {
  for (const key of Object.keys(o)) {
    w.open(1);
    w.string(1, key, utf8Length(key));
    w.open(2);
    writeValue(w, o[key]!);
  }
}

function writeValue(w: Writer, v: JsonValue): void {
  if (v === null) {
    w.byte(tag(1, WIRE_VARINT));
    w.byte(0);
    return;
  }
  switch (typeof v) {
    case "number":
      w.double(2, v);
      return;
    case "string":
      w.string(3, v, utf8Length(v));
      return;
    case "boolean":
      w.byte(tag(4, WIRE_VARINT));
      w.byte(v ? 1 : 0);
      return;
    default:
      if (Array.isArray(v)) {
        w.open(6);
        for (const item of v) {
          w.open(1);
          writeValue(w, item);
        }
      } else {
        w.open(5);
        writeStruct(w, v as JsonObject);
      }
  }
}

function writeResponse(w: Writer, m: ProcessingResponse): void {
  const r = m.response;
  if (r.case !== undefined) {
    w.open(ONEOF_FIELD[r.case]!);
    switch (r.case) {
      case "requestHeaders":
      case "responseHeaders":
      case "requestBody":
      case "responseBody":
        if (r.value.response) {
          w.open(1);
          writeCommonResponse(w, r.value.response);
        }
        break;
      case "requestTrailers":
      case "responseTrailers":
        if (r.value.headerMutation) {
          w.open(1);
          writeHeaderMutation(w, r.value.headerMutation);
        }
        break;
      case "immediateResponse":
        writeImmediate(w, r.value);
        break;
    }
  }
  if (m.dynamicMetadata) {
    w.open(8);
    writeStruct(w, m.dynamicMetadata);
  }
  if (m.requestDrain) w.bool(12);
}

// One writer per process: encodes are synchronous, so they never interleave.
const writer = new Writer();

/**
 * SCRATCH_LIMIT is the largest encode that goes to the reused scratch buffer; larger ones (a
 * whole buffered body) get their own buffer, so the scratch never pins a body-sized allocation.
 */
const SCRATCH_LIMIT = 256 * 1024;
let scratch = Buffer.allocUnsafeSlow(64 * 1024);

function encodeWith(message: ProcessingResponse, intoScratch: boolean): Uint8Array {
  writer.reset();
  let size: number;
  try {
    size = measureResponse(writer, message);
  } catch (e) {
    if (e !== UNSUPPORTED) throw e;
    return toBinary(ProcessingResponseSchema, message);
  }
  if (intoScratch && size <= SCRATCH_LIMIT) {
    if (scratch.length < size)
      scratch = Buffer.allocUnsafeSlow(Math.min(SCRATCH_LIMIT, Math.max(size, 2 * scratch.length)));
    writer.buf = scratch;
  } else {
    writer.buf = Buffer.allocUnsafe(size);
  }
  writeResponse(writer, message);
  const out = writer.buf.subarray(0, size);
  writer.buf = EMPTY;
  if (writer.pos !== size) throw new Error(`ProcessingResponse encoder wrote ${writer.pos} of ${size} bytes`);
  return out;
}
const EMPTY = Buffer.alloc(0);

/** encodeResponse writes one ProcessingResponse into a buffer of its own. */
export function encodeResponse(message: ProcessingResponse): Uint8Array {
  return encodeWith(message, false);
}

/**
 * encodeResponseTransient writes one ProcessingResponse into a scratch buffer that the next
 * encode overwrites: only for a caller that copies the bytes before encoding again (grpc-js
 * copies a serialised message into its frame at once, in the same call).
 */
export function encodeResponseTransient(message: ProcessingResponse): Uint8Array {
  return encodeWith(message, true);
}
