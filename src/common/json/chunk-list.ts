/**
 * ChunkList holds a body as the chunks it arrived in, by reference, and addresses it by global
 * byte offset. Appending is amortised O(1) and locating an offset is a binary search, so a body
 * sent as many tiny chunks costs linear time overall; the body is joined at most once, and
 * only when someone needs it contiguous.
 */
export class ChunkList {
  private readonly chunks: Uint8Array[] = [];
  /** starts[i] is the global offset of chunks[i]'s first byte. */
  private readonly starts: number[] = [];
  private total = 0;
  private joined: Uint8Array | undefined;

  /** push appends a chunk (kept by reference, not copied); empty chunks are dropped. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.starts.push(this.total);
    this.chunks.push(chunk);
    this.total += chunk.length;
    this.joined = undefined;
  }

  /** length is the number of bytes held. */
  get length(): number {
    return this.total;
  }

  /** count is the number of chunks held. */
  get count(): number {
    return this.chunks.length;
  }

  /** chunk returns the i-th chunk. */
  chunk(i: number): Uint8Array {
    return this.chunks[i]!;
  }

  /** clear drops every chunk so their memory can be reclaimed. */
  clear(): void {
    this.chunks.length = 0;
    this.starts.length = 0;
    this.total = 0;
    this.joined = undefined;
  }

  /** join returns the whole body as one view, concatenating once (and remembering it). */
  join(): Uint8Array {
    if (this.joined) return this.joined;
    if (this.chunks.length === 0) this.joined = new Uint8Array(0);
    else if (this.chunks.length === 1) this.joined = this.chunks[0]!;
    else this.joined = Buffer.concat(this.chunks, this.total);
    return this.joined;
  }

  /**
   * bytes returns [start, end) as one view: a subarray when the range lies in one chunk (the
   * common case for a field value), else a copy of just that range.
   */
  bytes(start: number, end: number): Uint8Array {
    if (this.joined) return this.joined.subarray(start, end);
    if (start >= end) return new Uint8Array(0);
    let i = this.indexOf(start);
    const first = this.chunks[i]!;
    const from = start - this.starts[i]!;
    if (end - this.starts[i]! <= first.length) return first.subarray(from, end - this.starts[i]!);
    const out = new Uint8Array(end - start);
    let written = 0;
    let piece = first.subarray(from);
    for (;;) {
      const take = Math.min(piece.length, out.length - written);
      out.set(piece.subarray(0, take), written);
      written += take;
      if (written === out.length) return out;
      piece = this.chunks[++i]!;
    }
  }

  /**
   * asciiEquals tells whether [start, end) holds exactly the characters of `text`, all of them
   * ASCII; undefined when the range holds a byte >= 0x80 (so only a UTF-8 decode can tell).
   * Compares in place: no view, no string.
   */
  asciiEquals(start: number, end: number, text: string): boolean | undefined {
    let i = this.indexOf(start);
    let chunk = this.chunks[i]!;
    let at = start - this.starts[i]!;
    let equal = end - start === text.length;
    for (let k = 0; start + k < end; k++, at++) {
      if (at === chunk.length) {
        chunk = this.chunks[++i]!;
        at = 0;
      }
      const c = chunk[at]!;
      if (c >= 0x80) return undefined;
      if (equal && c !== text.charCodeAt(k)) equal = false;
    }
    return equal;
  }

  /** indexOf finds the chunk holding global offset `offset` (which must be < length). */
  private indexOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
