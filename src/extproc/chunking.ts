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
