import * as zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBbr, startBbr } from "../support/bbr-test-server.js";
import { mutationOf, requestBody, requestHeaders, type Summary, summarize } from "../support/messages.js";

const body = Buffer.from(`{"model":"zipped-model","messages":[{"role":"user","content":"${"hello ".repeat(2000)}"}]}`);
const ENCODERS: Record<string, (b: Buffer) => Buffer> = {
  gzip: (b) => zlib.gzipSync(b),
  deflate: (b) => zlib.deflateSync(b),
  br: (b) => zlib.brotliCompressSync(b),
  zstd: (b) => zlib.zstdCompressSync(b),
};
const DECODERS: Record<string, (b: Buffer) => Buffer> = {
  gzip: (b) => zlib.gunzipSync(b),
  deflate: (b) => zlib.inflateSync(b),
  br: (b) => zlib.brotliDecompressSync(b),
  zstd: (b) => zlib.zstdDecompressSync(b),
};

function streamedBytes(all: Summary[]): Buffer {
  return Buffer.concat(all.flatMap((s) => ("common" in s && s.common?.streamed ? [Buffer.from(s.common.streamed.body, "latin1")] : [])));
}

describe("compressed request bodies", () => {
  let bbr: RunningBbr;
  beforeAll(async () => {
    bbr = await startBbr(undefined, { maxBodyBytes: 1024 * 1024 });
  });
  afterAll(async () => {
    await bbr.stop();
  });

  async function send(encoding: string, wire: Buffer, expected: number, server = bbr) {
    const stream = server.client.open();
    stream.send(requestHeaders({ ":method": "POST", "content-type": "application/json", "content-encoding": encoding }));
    for (let off = 0; off < wire.length; off += 4096) stream.send(requestBody(wire.subarray(off, off + 4096), off + 4096 >= wire.length));
    const got = await stream.waitFor(expected);
    stream.cancel();
    return got;
  }

  it.each(["gzip", "deflate", "br", "zstd"])("reads the model from a %s body and forwards the original bytes", async (encoding) => {
    const wire = ENCODERS[encoding]!(body);
    const got = await send(encoding, wire, 2);
    const set = mutationOf(summarize(got[0]!))?.set;
    expect(set).toContainEqual(["X-Gateway-Model-Name", "zipped-model"]);
    expect(set).toContainEqual(["Content-Length", String(wire.length)]);
    // Compare raw bytes: the body response must be the exact wire bytes.
    const raw = got.slice(1).flatMap((r) => (r.response.case === "requestBody" && r.response.value.response?.bodyMutation?.mutation.case === "streamedResponse" ? [r.response.value.response.bodyMutation.mutation.value.body] : []));
    expect(Buffer.concat(raw).equals(wire)).toBe(true);
  });

  it.each(["gzip", "br"])("re-encodes a body a plugin changed, keeping content-encoding %s true", async (encoding) => {
    const changer = await startBbr(`
plugins:
  - type: test-set-body-field
    parameters: {field: model, value: rewritten}
`);
    const got = await send(encoding, ENCODERS[encoding]!(body), 2, changer);
    const raw = got.slice(1).flatMap((r) => (r.response.case === "requestBody" && r.response.value.response?.bodyMutation?.mutation.case === "streamedResponse" ? [r.response.value.response.bodyMutation.mutation.value.body] : []));
    const forwarded = Buffer.concat(raw);
    const decoded = JSON.parse(DECODERS[encoding]!(forwarded).toString());
    expect(decoded.model).toBe("rewritten");
    expect(mutationOf(summarize(got[0]!))?.set).toContainEqual(["Content-Length", String(forwarded.length)]);
    await changer.stop();
  });

  it("answers a decompression bomb 413 (decoded size capped at --max-body-bytes)", async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(100_000);
    const [answer] = (await send("gzip", bomb, 1)).map(summarize);
    expect(answer).toMatchObject({ kind: "immediate", status: 413, details: "bbr_request_body_too_large" });
  });

  it("answers corrupt compressed data 400", async () => {
    const [answer] = (await send("gzip", Buffer.from("this is not gzip"), 1)).map(summarize);
    expect(answer).toMatchObject({ kind: "immediate", status: 400, details: "bbr_invalid_content_encoding" });
  });

  it("answers invalid JSON inside valid gzip 400", async () => {
    const [answer] = (await send("gzip", zlib.gzipSync(Buffer.from(`{"model":`)), 1)).map(summarize);
    expect(answer).toMatchObject({ kind: "immediate", status: 400, details: "bbr_invalid_json" });
  });

  it("passes an unknown coding through without a model header", async () => {
    const got = (await send("snappy", Buffer.from("\x00\x01binary"), 2)).map(summarize);
    expect(mutationOf(got[0])?.set.map(([k]) => k)).toEqual(["Content-Length"]);
    expect(streamedBytes(got.slice(1)).toString("latin1")).toBe("\x00\x01binary");
  });
});
