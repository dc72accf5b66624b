import { RequestError } from "../../common/request-error.js";

/** ReadonlyHeaders is a case-insensitive read view of HTTP headers. */
export interface ReadonlyHeaders {
  /** get returns the value of a header (any case), or undefined. */
  get(name: string): string | undefined;
  has(name: string): boolean;
  /** entries lists [lower-case name, value] pairs, pseudo-headers (":path") included. */
  entries(): IterableIterator<[string, string]>;
}

/**
 * HeaderChange is one header a plugin set, with the name spelled as the plugin wrote it. It is
 * the plugin API's own type: the wire encoding of header mutations is the lifecycle's business.
 */
export interface HeaderChange {
  readonly key: string;
  readonly value: string;
}

/** DEFAULT_MAX_HEADER_VALUE_BYTES bounds header values plugins may set (Envoy caps at 16 KiB). */
export const DEFAULT_MAX_HEADER_VALUE_BYTES = 8192;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values may not hold CR, LF or NUL (RFC 9110 5.5); Envoy refuses such mutations.
const FORBIDDEN_VALUE_CHARS = /[\r\n\0]/;

/**
 * TrackedHeaders holds the headers of one message plus the mutations plugins asked for.
 * Semantics follow GIE's InferenceMessage, with case-insensitive names: setting a header to
 * its current value records nothing; removing a header present records a removal (once);
 * setting after removing cancels the removal.
 */
export class TrackedHeaders implements ReadonlyHeaders {
  private readonly sets = new Map<string, HeaderChange>();
  private readonly removes = new Map<string, string>();

  constructor(
    private readonly values: Map<string, string>,
    private readonly maxValueBytes: number = DEFAULT_MAX_HEADER_VALUE_BYTES,
  ) {}

  get(name: string): string | undefined {
    return this.values.get(name.toLowerCase());
  }

  has(name: string): boolean {
    return this.values.has(name.toLowerCase());
  }

  entries(): IterableIterator<[string, string]> {
    return this.values.entries();
  }

  /**
   * set records a header to send. Invalid names, values with CR/LF/NUL, or values over the
   * size bound are a BadRequest: the value usually comes from the request body.
   */
  set(name: string, value: string): void {
    if (!TOKEN.test(name)) throw new Error(`invalid header name ${JSON.stringify(name)}`);
    if (FORBIDDEN_VALUE_CHARS.test(value)) {
      throw new RequestError("BadRequest", `value for header ${name} contains a control character`, {
        reason: "invalid_header_value",
      });
    }
    if (Buffer.byteLength(value) > this.maxValueBytes) {
      throw new RequestError("BadRequest", `value for header ${name} exceeds ${this.maxValueBytes} bytes`, {
        reason: "header_value_too_long",
      });
    }
    const key = name.toLowerCase();
    if (this.values.get(key) === value) return;
    this.values.set(key, value);
    this.sets.set(key, { key: name, value });
    this.removes.delete(key);
  }

  /** remove records a header to drop, if it is present. */
  remove(name: string): void {
    const key = name.toLowerCase();
    if (!this.values.has(key)) return;
    this.values.delete(key);
    this.sets.delete(key);
    this.removes.set(key, name);
  }

  /** mutatedHeaders lists the header sets in the order plugins made them. */
  mutatedHeaders(): HeaderChange[] {
    return [...this.sets.values()];
  }

  /** removedHeaders lists removed header names in the order plugins removed them. */
  removedHeaders(): string[] {
    return [...this.removes.values()];
  }

  /** wasSet tells whether a plugin set this header (any case). */
  wasSet(name: string): boolean {
    return this.sets.has(name.toLowerCase());
  }

  /** wasRemoved tells whether a plugin removed this header (any case). */
  wasRemoved(name: string): boolean {
    return this.removes.has(name.toLowerCase());
  }
}
