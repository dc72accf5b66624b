import { RequestError } from "../../framework/errors.js";

/** JsonObject is a parsed JSON object body. */
export type JsonObject = Record<string, unknown>;

/** BodyKind says how the body may be read: as JSON, or only as bytes. */
export type BodyKind = "json" | "opaque";

const decoder = new TextDecoder("utf-8");
const encoder = new TextEncoder();

/**
 * MessageBody collects the chunks of a request or response body and offers it as bytes or
 * lazily parsed JSON. Chunks are kept as received and joined at most once, so many small
 * chunks cost linear time. An unchanged body is passed on as the original bytes; a changed
 * one is serialised once, when asked for.
 */
export class MessageBody {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  private joined: Uint8Array | undefined;
  private parsed: JsonObject | undefined;
  private parseAttempted = false;
  private parseError: RequestError | undefined;
  private changed = false;
  private serialised: Uint8Array | undefined;

  constructor(
    /** kind is "json" when the content type says JSON (or is absent) and no encoding hides it. */
    readonly kind: BodyKind,
    /**
     * invalidJson says what json() does with a body that is not a JSON object: "reject" (a 400,
     * for requests) or "ignore" (undefined, for responses, which BBR never fails).
     */
    private readonly invalidJson: "reject" | "ignore" = "reject",
  ) {}

  /** append adds a received chunk (kept by reference, not copied). */
  append(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    this.joined = undefined;
  }

  /** receivedBytes is the number of bytes received so far. */
  get receivedBytes(): number {
    return this.size;
  }

  /** release drops the received chunks (after a rejection) so their memory can be reclaimed. */
  release(): void {
    this.chunks.length = 0;
    this.joined = undefined;
  }

  /** originalBytes is the body exactly as received. */
  originalBytes(): Uint8Array {
    if (this.joined) return this.joined;
    if (this.chunks.length === 1) this.joined = this.chunks[0]!;
    else this.joined = Buffer.concat(this.chunks, this.size);
    return this.joined;
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

  /** field returns a top-level field (own properties only), or undefined. */
  field(name: string): unknown {
    const body = this.json();
    return body !== undefined && Object.hasOwn(body, name) ? body[name] : undefined;
  }

  /** hasField tells whether the top-level object has the field. */
  hasField(name: string): boolean {
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
