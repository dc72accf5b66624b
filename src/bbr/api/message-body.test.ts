import { afterEach, describe, expect, it, vi } from "vitest";
import { isRequestError, type RequestError } from "../../common/request-error.js";
import { MessageBody } from "./message-body.js";

const encoder = new TextEncoder();

/** bodyOf builds a body from text appended in chunks of `chunkSize` bytes. */
function bodyOf(text: string | Uint8Array, chunkSize = 7, invalidJson: "reject" | "ignore" = "reject"): MessageBody {
  const bytes = typeof text === "string" ? encoder.encode(text) : text;
  const body = new MessageBody("json", invalidJson);
  for (let i = 0; i < bytes.length; i += chunkSize) body.append(bytes.subarray(i, i + chunkSize));
  return body;
}

function thrown(f: () => unknown): RequestError | undefined {
  try {
    f();
  } catch (e) {
    if (isRequestError(e)) return e;
    throw e;
  }
  return undefined;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("MessageBody field reads (scanner) match the parsed body", () => {
  it.each([
    { name: "model first", text: '{"model":"m","messages":[]}' },
    { name: "model last", text: '{"messages":[{"role":"user","content":"hi \\"there\\""}],"model":"m"}' },
    { name: "duplicate keys: the last wins", text: '{"model":"a","model":"b"}' },
    { name: "escaped key", text: '{"mod\\u0065l":"m"}' },
    { name: "number model", text: '{"model":1e6}' },
    { name: "null model", text: '{"model":null}' },
    { name: "object model", text: '{"model":{"name":"m"}}' },
    { name: "no model", text: '{"prompt":"p"}' },
    { name: "multi-byte split across chunks", text: '{"model":"日本語😀"}' },
  ])("$name", ({ text }) => {
    for (const chunkSize of [1, 2, 7, 1000]) {
      const want = new MessageBody("json");
      want.append(encoder.encode(text));
      const parsed = want.json()!;
      const body = bodyOf(text, chunkSize);
      expect(body.hasField("model")).toBe(Object.hasOwn(parsed, "model"));
      expect(body.field("model")).toEqual(parsed["model"]);
      expect(body.hasField("toString")).toBe(false);
      expect(body.field("__proto__")).toBeUndefined();
    }
  });

  it("reads a string field without parsing the body", () => {
    const body = bodyOf(`{"messages":[{"content":"${"x".repeat(10_000)}"}],"model":"m"}`, 4096);
    const parse = vi.spyOn(JSON, "parse");
    body.validate();
    expect(body.field("model")).toBe("m");
    expect(body.hasField("messages")).toBe(true);
    expect(parse).not.toHaveBeenCalled();
  });

  it("sees edits once a plugin changes the body", () => {
    const body = bodyOf('{"model":"a","x":1}');
    expect(body.field("model")).toBe("a");
    body.setField("model", "b");
    expect(body.field("model")).toBe("b");
    body.removeField("x");
    expect(body.hasField("x")).toBe(false);
    expect(new TextDecoder().decode(body.finalBytes())).toBe('{"model":"b"}');
    body.replace({ other: true });
    expect(body.hasField("model")).toBe(false);
    expect(body.field("other")).toBe(true);
  });

  it("keeps the original bytes when nothing changed", () => {
    const text = '{"model" : "a"}';
    const body = bodyOf(text, 3);
    body.validate();
    expect(body.field("model")).toBe("a");
    expect(new TextDecoder().decode(body.finalBytes())).toBe(text);
    expect(body.mutated).toBe(false);
  });

  it("handles a body sent one byte at a time", () => {
    const text = JSON.stringify({
      messages: Array.from({ length: 200 }, (_, i) => ({ content: `m${i}` })),
      model: "m",
    });
    const body = bodyOf(text, 1);
    expect(body.receivedBytes).toBe(text.length);
    body.validate();
    expect(body.field("model")).toBe("m");
  });
});

describe("MessageBody.validate", () => {
  it.each([
    { name: "truncated", text: '{"model":"a"' },
    { name: "trailing garbage", text: '{"model":"a"} x' },
    { name: "raw control character", text: '{"model":"a\nb"}' },
    { name: "empty", text: "" },
    { name: "array root", text: '["model"]' },
    { name: "string root", text: '"model"' },
  ])("refuses $name with json()'s own 400", ({ text }) => {
    const reference = new MessageBody("json");
    reference.append(encoder.encode(text));
    const want = thrown(() => reference.json());
    expect(want?.httpStatus).toBe(400);
    const body = bodyOf(text, 2);
    const got = thrown(() => body.validate());
    expect(got).toMatchObject({ code: "BadRequest", reason: "invalid_json", message: want!.message });
    // field() gives the same answer as validate(), not a silent undefined.
    expect(thrown(() => bodyOf(text, 2).field("model"))?.message).toBe(want!.message);
  });

  it("accepts a leading BOM as the full parse does", () => {
    const bytes = Uint8Array.from([0xef, 0xbb, 0xbf, ...encoder.encode('{"model":"a"}')]);
    const body = bodyOf(bytes, 1);
    expect(() => body.validate()).not.toThrow();
    expect(body.field("model")).toBe("a");
  });

  it("never throws for opaque bodies or ignored (response) bodies", () => {
    const opaque = new MessageBody("opaque");
    opaque.append(encoder.encode("not json"));
    expect(() => opaque.validate()).not.toThrow();
    expect(opaque.field("model")).toBeUndefined();
    const response = bodyOf("{broken", 3, "ignore");
    expect(() => response.validate()).not.toThrow();
    expect(response.hasField("model")).toBe(false);
    expect(response.field("model")).toBeUndefined();
    expect(bodyOf('{"usage":{"total_tokens":3}}', 3, "ignore").field("usage")).toEqual({ total_tokens: 3 });
  });

  it("falls back to a full parse for a very wide root object", () => {
    const wide = `{${Array.from({ length: 1500 }, (_, i) => `"k${i}":${i}`).join(",")},"model":"m"}`;
    const body = bodyOf(wide, 512);
    expect(() => body.validate()).not.toThrow();
    expect(body.field("model")).toBe("m");
    expect(body.field("k1499")).toBe(1499);
  });

  it("release drops the body", () => {
    const body = bodyOf('{"model":"a"}');
    body.release();
    expect(body.receivedBytes).toBe(0);
    expect(body.originalBytes().length).toBe(0);
  });
});
