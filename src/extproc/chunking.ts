/**
 * BODY_CHUNK_LIMIT is the largest body piece sent in one StreamedBodyResponse. Envoy recommends
 * at most 64 KiB per message; 62,000 matches llm-d's BodyByteLimit and leaves room for framing.
 */
export const BODY_CHUNK_LIMIT = 62_000;

/**
 * splitBody yields views (no copies) of at most `limit` bytes. An empty body yields one empty
 * piece, so a streamed body always ends with exactly one end_of_stream message.
 */
export function splitBody(body: Uint8Array, limit = BODY_CHUNK_LIMIT): Uint8Array[] {
  if (body.length <= limit) return [body];
  const pieces: Uint8Array[] = [];
  for (let offset = 0; offset < body.length; offset += limit) {
    pieces.push(body.subarray(offset, Math.min(offset + limit, body.length)));
  }
  return pieces;
}

/** bodyLength is the length of a body given whole or as chunks. */
export function bodyLength(body: Uint8Array | readonly Uint8Array[]): number {
  if (body instanceof Uint8Array) return body.length;
  let n = 0;
  for (const chunk of body) n += chunk.length;
  return n;
}

/**
 * splitChunks cuts a body held as chunks into the pieces splitBody would cut from the joined
 * body (the same boundaries, every piece `limit` bytes but the last), without joining: each
 * piece is its parts, one view when it lies in one chunk. An empty body is one empty piece.
 */
export function splitChunks(chunks: readonly Uint8Array[], limit = BODY_CHUNK_LIMIT): Uint8Array[][] {
  const pieces: Uint8Array[][] = [];
  let parts: Uint8Array[] = [];
  let room = limit;
  for (const chunk of chunks) {
    let at = 0;
    while (at < chunk.length) {
      const take = Math.min(room, chunk.length - at);
      parts.push(at === 0 && take === chunk.length ? chunk : chunk.subarray(at, at + take));
      at += take;
      room -= take;
      if (room === 0) {
        pieces.push(parts);
        parts = [];
        room = limit;
      }
    }
  }
  if (parts.length > 0 || pieces.length === 0) pieces.push(parts);
  return pieces;
}
