import { promisify } from "node:util";
import * as zlib from "node:zlib";
import { err, ok, type Result } from "../../common/result.js";
import { RequestError } from "../../common/request-error.js";
import type { ReadonlyHeaders } from "../api/headers.js";

/** Coding is a content coding BBR can read: decoded for inspection, re-encoded when changed. */
export type Coding = "gzip" | "deflate" | "br" | "zstd";

/**
 * BodyEncoding is what content-encoding says about a body: nothing to undo, a list of known
 * codings (in the order they were applied), or a coding BBR does not know (the body stays opaque:
 * no guessing).
 */
export type BodyEncoding = { kind: "identity" } | { kind: "known"; codings: readonly Coding[] } | { kind: "unknown"; name: string };

const KNOWN: ReadonlySet<string> = new Set<Coding>(["gzip", "deflate", "br", "zstd"]);
const ALIASES: Readonly<Record<string, Coding>> = { "x-gzip": "gzip" };

/** bodyEncodingOf reads content-encoding ("gzip", "gzip, br", "identity", absent). */
export function bodyEncodingOf(headers: ReadonlyHeaders): BodyEncoding {
  const value = headers.get("content-encoding");
  if (value === undefined) return { kind: "identity" };
  const codings: Coding[] = [];
  for (const raw of value.split(",")) {
    const name = raw.trim().toLowerCase();
    if (name === "" || name === "identity") continue;
    const coding = ALIASES[name] ?? name;
    if (!KNOWN.has(coding)) return { kind: "unknown", name };
    codings.push(coding as Coding);
  }
  return codings.length === 0 ? { kind: "identity" } : { kind: "known", codings };
}

type Codec = (input: Uint8Array, options: zlib.ZlibOptions & zlib.BrotliOptions) => Promise<Buffer>;

// The async zlib functions run in libuv's thread pool, keeping the event loop free.
const DECODERS: Readonly<Record<Coding, Codec>> = {
  gzip: promisify(zlib.gunzip) as Codec,
  deflate: promisify(zlib.inflate) as Codec,
  br: promisify(zlib.brotliDecompress) as Codec,
  zstd: promisify(zlib.zstdDecompress) as unknown as Codec,
};
const ENCODERS: Readonly<Record<Coding, Codec>> = {
  gzip: promisify(zlib.gzip) as Codec,
  deflate: promisify(zlib.deflate) as Codec,
  br: promisify(zlib.brotliCompress) as Codec,
  zstd: promisify(zlib.zstdCompress) as unknown as Codec,
};

/**
 * decodeBody undoes the codings (last applied first) with a cap on every decoded size, so a
 * decompression bomb is answered 413 without ever holding more than the cap. Corrupt data is 400.
 */
export async function decodeBody(codings: readonly Coding[], body: Uint8Array, maxBytes: number): Promise<Result<Uint8Array, RequestError>> {
  let current: Uint8Array = body;
  for (const coding of [...codings].reverse()) {
    try {
      current = await DECODERS[coding](current, { maxOutputLength: maxBytes });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ERR_BUFFER_TOO_LARGE" || e instanceof RangeError) {
        return err(
          new RequestError("PayloadTooLarge", `decoded request body exceeds the limit of ${maxBytes} bytes`, {
            reason: "request_body_too_large",
          }),
        );
      }
      return err(new RequestError("BadRequest", `request body is not valid ${coding} data`, { reason: "invalid_content_encoding" }));
    }
  }
  return ok(current);
}

/** encodeBody applies the codings in order (used only when a plugin changed the body). */
export async function encodeBody(codings: readonly Coding[], body: Uint8Array): Promise<Uint8Array> {
  let current: Uint8Array = body;
  for (const coding of codings) current = await ENCODERS[coding](current, {});
  return current;
}
