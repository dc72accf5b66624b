import { describe, expect, it } from "vitest";
import { isRequestError } from "../../../common/request-error.js";
import { currentModel, REQUESTED_MODEL } from "../../api/model-selection.js";
import { createTestPlugin, testRequest } from "../../api/testing.js";
import { type MultipartModel, multipartModelType } from "./multipart-model.js";

const BOUNDARY = "----bbr-test-boundary";
const CONTENT_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

type Part = { name: string; value: string } | { name: string; filename: string; bytes: Uint8Array };

function form(parts: Part[], close = true): Uint8Array {
  const chunks: Uint8Array[] = [];
  const text = (s: string) => chunks.push(Buffer.from(s, "utf8"));
  for (const part of parts) {
    text(`--${BOUNDARY}\r\n`);
    if ("value" in part) {
      text(`Content-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`);
    } else {
      text(
        `Content-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\nContent-Type: audio/wav\r\n\r\n`,
      );
      chunks.push(part.bytes);
      text("\r\n");
    }
  }
  if (close) text(`--${BOUNDARY}--\r\n`);
  return Buffer.concat(chunks);
}

// Audio bytes that are not valid UTF-8, larger than a typical stream buffer.
const audio = new Uint8Array(1024 * 1024).map((_, i) => (i * 131) % 256);

async function run(headers: Record<string, string>, body: Uint8Array | string, params: unknown = undefined) {
  const created = createTestPlugin<MultipartModel>(multipartModelType, params);
  if (!created.ok) throw new Error(JSON.stringify(created.error));
  const request = testRequest({ headers: { ":path": "/v1/audio/transcriptions", ...headers }, body });
  try {
    await created.value.extractMetadata(request);
  } catch (e) {
    if (isRequestError(e)) return { status: e.httpStatus, message: e.message };
    throw e;
  }
  return {
    requested: request.cycleState.read(REQUESTED_MODEL),
    current: currentModel(request),
    sets: request.headers.mutatedHeaders(),
  };
}

describe("multipart-model extractMetadata", () => {
  it.each([
    {
      name: "model after a 1 MiB file part",
      body: form([
        { name: "file", filename: "a.wav", bytes: audio },
        { name: "model", value: "whisper-1" },
      ]),
      want: "whisper-1",
    },
    {
      name: "model first",
      body: form([
        { name: "model", value: "whisper-large" },
        { name: "file", filename: "a.wav", bytes: audio },
      ]),
      want: "whisper-large",
    },
    { name: "value trimmed", body: form([{ name: "model", value: "  whisper-1 " }]), want: "whisper-1" },
    {
      name: "first model field wins",
      body: form([
        { name: "model", value: "a" },
        { name: "model", value: "b" },
      ]),
      want: "a",
    },
  ])("$name", async ({ body, want }) => {
    expect(await run({ "content-type": CONTENT_TYPE }, body)).toEqual({
      requested: want,
      current: want,
      sets: [{ key: "X-Gateway-Model-Name", value: want }],
    });
  });

  it.each([
    {
      name: "no model field",
      headers: { "content-type": CONTENT_TYPE },
      body: form([{ name: "language", value: "en" }]),
    },
    {
      name: "empty model field",
      headers: { "content-type": CONTENT_TYPE },
      body: form([{ name: "model", value: "" }]),
    },
    {
      name: "form in a coding BBR cannot decode",
      headers: { "content-type": CONTENT_TYPE, "content-encoding": "compress" },
      body: "\x1f\x9d",
    },
    { name: "empty body", headers: { "content-type": CONTENT_TYPE }, body: "" },
  ])("$name sets nothing", async ({ headers, body }) => {
    expect(await run(headers, body)).toEqual({ requested: undefined, current: undefined, sets: [] });
  });

  it.each([
    { name: "no boundary", headers: { "content-type": "multipart/form-data" }, body: "x", msg: /Boundary not found/ },
    {
      name: "truncated form",
      headers: { "content-type": CONTENT_TYPE },
      body: form([{ name: "file", filename: "a", bytes: audio }], false).subarray(0, 5000),
      msg: /Unexpected end of form/,
    },
    {
      name: "model over the bound",
      headers: { "content-type": CONTENT_TYPE },
      body: form([{ name: "model", value: "m".repeat(1025) }]),
      msg: /longer than 1024 bytes/,
    },
    {
      name: "too many parts",
      headers: { "content-type": CONTENT_TYPE },
      body: form(Array.from({ length: 101 }, (_, i) => ({ name: `f${i}`, value: "x" }))),
      msg: /more than 100 parts/,
    },
  ])("$name is a 400", async ({ headers, body, msg }) => {
    const result = await run(headers, body);
    expect(result).toMatchObject({ status: 400 });
    expect((result as { message: string }).message).toMatch(msg);
  });

  it("leaves JSON requests to the JSON body", async () => {
    expect(await run({ "content-type": "application/json" }, '{"model":"x"}')).toEqual({
      requested: undefined,
      current: "x",
      sets: [],
    });
  });

  it("reads a form BBR decoded from gzip (plugins see decoded bytes)", async () => {
    const body = form([{ name: "model", value: "whisper-gz" }]);
    const result = await run({ "content-type": CONTENT_TYPE, "content-encoding": "gzip" }, body);
    expect(result).toMatchObject({ requested: "whisper-gz" });
  });

  it("with headerName empty writes CycleState only", async () => {
    const result = await run({ "content-type": CONTENT_TYPE }, form([{ name: "model", value: "w" }]), {
      headerName: "",
    });
    expect(result).toEqual({ requested: "w", current: "w", sets: [] });
  });

  it("reads a custom field name", async () => {
    const body = form([
      { name: "deployment", value: "d1" },
      { name: "model", value: "m" },
    ]);
    expect(await run({ "content-type": CONTENT_TYPE }, body, { fieldName: "deployment" })).toMatchObject({
      requested: "d1",
    });
  });
});

describe("multipart-model parameters", () => {
  it.each([
    { p: { fieldName: "" }, path: ["parameters", "fieldName"] },
    { p: { maxFieldBytes: 0 }, path: ["parameters", "maxFieldBytes"] },
    { p: { maxParts: 1e9 }, path: ["parameters", "maxParts"] },
    { p: { headerName: "a b" }, path: ["parameters", "headerName"] },
  ])("refuses $p", ({ p, path }) => {
    const created = createTestPlugin(multipartModelType, p);
    expect(created.ok).toBe(false);
    if (!created.ok) expect(created.error[0]!.path).toEqual(path);
  });
});
