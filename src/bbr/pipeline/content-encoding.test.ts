import * as zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { TrackedHeaders } from "../api/headers.js";
import { type Coding, bodyEncodingOf, decodeBody, encodeBody } from "./content-encoding.js";

const headers = (v?: string) => new TrackedHeaders(new Map(v === undefined ? [] : [["content-encoding", v]]));

describe("bodyEncodingOf", () => {
  it.each([
    [undefined, { kind: "identity" }],
    ["identity", { kind: "identity" }],
    ["gzip", { kind: "known", codings: ["gzip"] }],
    ["x-gzip", { kind: "known", codings: ["gzip"] }],
    ["GZIP , br", { kind: "known", codings: ["gzip", "br"] }],
    ["zstd", { kind: "known", codings: ["zstd"] }],
    ["deflate", { kind: "known", codings: ["deflate"] }],
    ["compress", { kind: "unknown", name: "compress" }],
    ["gzip, snappy", { kind: "unknown", name: "snappy" }],
  ])("%s → %j", (value, want) => {
    expect(bodyEncodingOf(headers(value))).toEqual(want);
  });
});

describe("decodeBody / encodeBody", () => {
  const text = Buffer.from(`{"model":"m","prompt":"${"p".repeat(10_000)}"}`);
  it.each<Coding[]>([["gzip"], ["deflate"], ["br"], ["zstd"], ["gzip", "br"]])("round-trips %j", async (...codings) => {
    const encoded = await encodeBody(codings, text);
    expect(Buffer.compare(Buffer.from(encoded), text)).not.toBe(0);
    const decoded = await decodeBody(codings, encoded, 1 << 20);
    expect(decoded.ok && Buffer.from(decoded.value).equals(text)).toBe(true);
  });

  it.each<Coding>(["gzip", "deflate", "br", "zstd"])("answers a %s bomb 413 without inflating it", async (coding) => {
    const bomb = await encodeBody([coding], Buffer.alloc(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(200_000);
    const decoded = await decodeBody([coding], bomb, 1024 * 1024);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect([decoded.error.httpStatus, decoded.error.reason]).toEqual([413, "request_body_too_large"]);
  });

  it("answers corrupt data 400", async () => {
    const decoded = await decodeBody(["gzip"], Buffer.from("definitely not gzip"), 1024);
    expect(!decoded.ok && [decoded.error.httpStatus, decoded.error.reason]).toEqual([400, "invalid_content_encoding"]);
  });

  it("decodes what other gzip producers wrote", async () => {
    const decoded = await decodeBody(["gzip"], zlib.gzipSync(text, { level: 1 }), 1 << 20);
    expect(decoded.ok && Buffer.from(decoded.value).equals(text)).toBe(true);
  });
});
