import { RequestError } from "../../common/request-error.js";
import { ChunkList } from "../../common/json/chunk-list.js";
import { TopLevelFields } from "../../common/json/top-level-fields.js";
import { TopLevelScanner } from "../../common/json/top-level-scanner.js";

/** JsonObject is a parsed JSON object body. */
export type JsonObject = Record<string, unknown>;

/** BodyKind says how the body may be read: as JSON, or only as bytes. */
export type BodyKind = "json" | "opaque";

const decoder = new TextDecoder("utf-8");
const encoder = new TextEncoder();

/**
 * MessageBody collects the chunks of a request or response body and offers it as bytes or as
 * JSON. Chunks are kept as received and joined at most once, so many small chunks cost linear
 * time. An unchanged body is passed on as the original bytes; a changed one is serialised
 * once, when asked for.
 *
 * Reading JSON has two paths with the same answers:
 * - field(), hasField() and validate() use a TopLevelScanner: one validating pass over the
 *   bytes that records where the root object's members are, without joining, decoding or
 *   parsing the body. Request bodies are scanned as each chunk arrives, so when the last one
 *   lands only that chunk is left to scan.
 * - json(), setField() and friends parse the whole body with JSON.parse. Once a body has been
 *   parsed (or changed), field() reads the parsed object, so edits are seen.
 * Whenever the scanner cannot answer (invalid JSON, a root that is not an object, an unusually
 * wide root object), the full parse decides, so errors read exactly as JSON.parse words them.
 */
export class MessageBody {
  private readonly chunks = new ChunkList();
  private scanner: TopLevelScanner | undefined;
  private scannedChunks = 0;
  private fields: TopLevelFields | undefined;
  private parsed: JsonObject | undefined;
  private parseAttempted = false;
  private parseError: RequestError | undefined;
  private changed = false;
  private serialised: Uint8Array | undefined;
  private readonly scanOnAppend: boolean;

  constructor(
    /** kind is "json" when the content type says JSON (or is absent) and no encoding hides it. */
    readonly kind: BodyKind,
    /**
     * invalidJson says what json() does with a body that is not a JSON object: "reject" (a 400,
     * for requests) or "ignore" (undefined, for responses, which BBR never fails).
     */
    private readonly invalidJson: "reject" | "ignore" = "reject",
  ) {
    // Request bodies are always validated once complete, so their scan is never wasted; a
    // response body is scanned only if a plugin asks for a field.
    this.scanOnAppend = kind === "json" && invalidJson === "reject";
  }

  /** append adds a received chunk (kept by reference, not copied). */
  append(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.fields = undefined;
    if (this.scanOnAppend) this.scanned();
  }

  /** receivedBytes is the number of bytes received so far. */
  get receivedBytes(): number {
    return this.chunks.length;
  }

  /** release drops the received chunks (after a rejection) so their memory can be reclaimed. */
  release(): void {
    this.chunks.clear();
    this.scanner = undefined;
    this.scannedChunks = 0;
    this.fields = undefined;
  }

  /** originalBytes is the body exactly as received (joined once on first call). */
  originalBytes(): Uint8Array {
    return this.chunks.join();
  }

  /**
   * originalChunks is the body as received, as the chunks it arrived in (no join): what the
   * lifecycle streams on when nothing changed it. If the body was joined already, that view.
   */
  originalChunks(): Uint8Array | readonly Uint8Array[] {
    const count = this.chunks.count;
    if (count <= 1) return this.chunks.join();
    const out: Uint8Array[] = new Array(count);
    for (let i = 0; i < count; i++) out[i] = this.chunks.chunk(i);
    return out;
  }

  /**
   * forwardedBytes is what goes upstream without forcing a join: the original chunks when
   * unchanged, else the changed object serialised once.
   */
  forwardedBytes(): Uint8Array | readonly Uint8Array[] {
    return this.changed ? this.finalBytes() : this.originalChunks();
  }

  /**
   * validate throws the BadRequest (400) json() would throw for a request body that is not a
   * JSON object, without parsing a valid one. Opaque and "ignore" bodies never throw.
   */
  validate(): void {
    if (this.kind !== "json") return;
    if (!this.parseAttempted && this.scanned().verdict() === "valid") return;
    this.json();
  }

  /**
   * json returns the parsed top-level object, or undefined for opaque bodies. Invalid JSON or a
   * non-object root is a BadRequest (400).
   */
  json(): JsonObject | undefined {
    if (this.kind !== "json") return undefined;
    if (!this.parseAttempted) this.parse();
    if (this.parseError && this.invalidJson === "reject") throw this.parseError;
    return this.parsed;
  }

  /** tryJson is json() without the error: undefined when opaque, invalid or not an object. */
  tryJson(): JsonObject | undefined {
    if (this.kind !== "json") return undefined;
    if (!this.parseAttempted) this.parse();
    return this.parsed;
  }

  private parse(): void {
    this.parseAttempted = true;
    this.fields = undefined;
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(this.originalBytes()));
    } catch (e) {
      this.parseError = new RequestError("BadRequest", `failed to parse request body: ${(e as Error).message}`, {
        reason: "invalid_json",
      });
      return;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      this.parseError = new RequestError("BadRequest", "request body must be a JSON object", {
        reason: "invalid_json",
      });
      return;
    }
    this.parsed = value as JsonObject;
  }

  /** scanned brings the scan up to date with the chunks received. */
  private scanned(): TopLevelScanner {
    this.scanner ??= new TopLevelScanner();
    while (this.scannedChunks < this.chunks.count) this.scanner.feed(this.chunks.chunk(this.scannedChunks++));
    return this.scanner;
  }

  /** fastFields is the scanner's field index, when it can answer for this body. */
  private fastFields(): TopLevelFields | undefined {
    if (this.kind !== "json" || this.parseAttempted) return undefined;
    if (this.fields) return this.fields;
    const scanner = this.scanned();
    if (scanner.verdict() !== "valid" || !scanner.complete) return undefined;
    this.fields = new TopLevelFields(this.chunks, scanner.members);
    return this.fields;
  }

  /** field returns a top-level field (own properties only), or undefined. */
  field(name: string): unknown {
    const fields = this.fastFields();
    if (fields) return fields.get(name);
    const body = this.json();
    return body !== undefined && Object.hasOwn(body, name) ? body[name] : undefined;
  }

  /** hasField tells whether the top-level object has the field. */
  hasField(name: string): boolean {
    const fields = this.fastFields();
    if (fields) return fields.has(name);
    const body = this.json();
    return body !== undefined && Object.hasOwn(body, name);
  }

  /** setField sets a top-level field and marks the body changed. */
  setField(name: string, value: unknown): void {
    const body = this.json();
    if (body === undefined) throw new Error("setField needs a JSON body");
    // defineProperty, so a field named "__proto__" is data, never the prototype.
    Object.defineProperty(body, name, { value, enumerable: true, writable: true, configurable: true });
    this.markChanged();
  }

  /** removeField deletes a top-level field; the body counts as changed only if it existed. */
  removeField(name: string): void {
    const body = this.json();
    if (body === undefined || !Object.hasOwn(body, name)) return;
    delete body[name];
    this.markChanged();
  }

  /** replace swaps the whole JSON object. */
  replace(body: JsonObject): void {
    if (this.kind !== "json") throw new Error("replace needs a JSON body");
    this.parsed = body;
    this.parseAttempted = true;
    this.parseError = undefined;
    this.fields = undefined;
    this.markChanged();
  }

  private markChanged(): void {
    this.changed = true;
    this.serialised = undefined;
  }

  /** mutated tells whether a plugin changed the body. */
  get mutated(): boolean {
    return this.changed;
  }

  /** finalBytes is what goes upstream: the original bytes, or the changed object serialised once. */
  finalBytes(): Uint8Array {
    if (!this.changed) return this.originalBytes();
    this.serialised ??= encoder.encode(JSON.stringify(this.parsed));
    return this.serialised;
  }
}
