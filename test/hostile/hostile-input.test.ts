import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBbr, startBbr } from "../support/bbr-test-server.js";
import { mutationOf, requestBody, requestHeaders, type Summary, summarize } from "../support/messages.js";

// Untrusted bodies from the internet: every case gets a defined answer through the real server.
const JSON_POST = { ":method": "POST", ":path": "/v1/chat/completions", "content-type": "application/json" };
const enc = new TextEncoder();

type Want = { status: number; reason: string } | { model: string | null };

describe("hostile JSON bodies", () => {
  let bbr: RunningBbr;
  beforeAll(async () => {
    bbr = await startBbr();
  });
  afterAll(async () => {
    await bbr.stop();
  });

  async function send(body: string | Uint8Array, headers: Record<string, string> = JSON_POST): Promise<Summary> {
    const stream = bbr.client.open();
    stream.send(requestHeaders({ ...headers, "x-gateway-model-name": "spoofed" })).send(requestBody(body, true));
    const [first] = (await stream.waitFor(1)).map(summarize);
    stream.cancel();
    return first!;
  }

  function check(answer: Summary, want: Want): void {
    if ("status" in want) {
      expect(answer).toMatchObject({ kind: "immediate", status: want.status, details: `bbr_${want.reason}` });
      return;
    }
    expect(answer.kind).toBe("requestHeaders");
    const mutation = mutationOf(answer);
    const model = mutation?.set.find(([k]) => k === "X-Gateway-Model-Name")?.[1] ?? null;
    expect(model).toBe(want.model);
    // Whatever the body said, the client's own routing header never survives.
    if (want.model === null) expect(mutation?.remove).toContain("X-Gateway-Model-Name");
  }

  const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
  const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : Buffer.from(p))));

  it.each<{ name: string; body: string | Uint8Array; want: Want }>([
    { name: "truncated", body: `{"model":"m","messages":[{"role":"user"`, want: { status: 400, reason: "invalid_json" } },
    { name: "trailing garbage", body: `{"model":"m"} {"model":"n"}`, want: { status: 400, reason: "invalid_json" } },
    { name: "string root", body: `"model"`, want: { status: 400, reason: "invalid_json" } },
    { name: "number root", body: `42`, want: { status: 400, reason: "invalid_json" } },
    { name: "10,000-deep array root", body: deep(10_000), want: { status: 400, reason: "invalid_json" } },
    { name: "10,000-deep nesting inside the object", body: `{"x":${deep(10_000)},"model":"deep"}`, want: { model: "deep" } },
    { name: "100,000-deep unterminated nesting", body: `{"x":${"[".repeat(100_000)}`, want: { status: 400, reason: "invalid_json" } },
    { name: "huge number as model", body: `{"model":1e400}`, want: { model: null } },
    { name: "huge integer as model (float64, like GIE)", body: `{"model":123456789012345678901234567890}`, want: { model: "1.2345678901234568e+29" } },
    { name: "huge number elsewhere", body: `{"model":"m","max_tokens":1e400}`, want: { model: "m" } },
    { name: "NUL escape in model", body: `{"model":"a\\u0000b"}`, want: { status: 400, reason: "invalid_header_value" } },
    { name: "CR LF escape in model (header injection)", body: `{"model":"a\\r\\nx-admin: 1"}`, want: { status: 400, reason: "invalid_header_value" } },
    { name: "lone surrogate in model", body: `{"model":"a\\ud800"}`, want: { model: "a\uFFFD" } },
    { name: "invalid UTF-8 bytes in model", body: bytes(`{"model":"a`, [0xff, 0xfe], `"}`), want: { model: "a\uFFFD\uFFFD" } },
    { name: "UTF-8 BOM before the object", body: bytes([0xef, 0xbb, 0xbf], `{"model":"bom"}`), want: { model: "bom" } },
    { name: "duplicate model keys: the last wins, as upstream parsers do", body: `{"model":"first","model":"last"}`, want: { model: "last" } },
    { name: "model is an object", body: `{"model":{"name":"m"}}`, want: { model: null } },
    { name: "model is an array", body: `{"model":["m"]}`, want: { model: null } },
    { name: "model is null", body: `{"model":null}`, want: { model: null } },
    { name: "1 MiB model string", body: `{"model":"${"m".repeat(1 << 20)}"}`, want: { status: 400, reason: "header_value_too_long" } },
    { name: "__proto__ key", body: `{"__proto__":{"model":"polluted"},"prompt":"x"}`, want: { model: null } },
    { name: "empty object", body: `{}`, want: { model: null } },
    { name: "whitespace around", body: ` \n\t{"model":"ws"}\n `, want: { model: "ws" } },
  ])("$name", async ({ body, want }) => {
    check(await send(body), want);
  });

  it("content type with parameters and +json suffixes is still JSON", async () => {
    check(await send(`{"model":"p"}`, { ...JSON_POST, "content-type": "application/json; charset=utf-8" }), { model: "p" });
    check(await send(`{"model":"v"}`, { ...JSON_POST, "content-type": "application/vnd.api+json" }), { model: "v" });
  });
});

describe("odd protocol use", () => {
  let bbr: RunningBbr;
  beforeAll(async () => {
    bbr = await startBbr();
  });
  afterAll(async () => {
    await bbr.stop();
  });

  it("treats a body without headers as request_header_mode SKIP: body answered, nothing invented", async () => {
    const stream = bbr.client.open();
    stream.send(requestBody(`{"model":"m"}`, true));
    const got = (await stream.waitFor(1)).map(summarize);
    expect(got).toEqual([{ kind: "requestBody", common: { clearRouteCache: false, mutation: null, streamed: { body: `{"model":"m"}`, eos: true } } }]);
    stream.cancel();
  });

  it("answers an empty body with end_of_stream as invalid JSON", async () => {
    const stream = bbr.client.open();
    stream.send(requestHeaders(JSON_POST)).send(requestBody("", true));
    expect((await stream.waitFor(1)).map(summarize)[0]).toMatchObject({ kind: "immediate", status: 400 });
    stream.cancel();
  });

  it("ignores zero-length chunks", async () => {
    const stream = bbr.client.open();
    stream.send(requestHeaders(JSON_POST));
    for (const part of ["", `{"model":`, "", "", `"z"}`]) stream.send(requestBody(part, false));
    stream.send(requestBody("", true));
    const got = (await stream.waitFor(2)).map(summarize);
    expect(mutationOf(got[0])?.set).toContainEqual(["X-Gateway-Model-Name", "z"]);
    expect(got[1]).toEqual({ kind: "requestBody", common: { clearRouteCache: false, mutation: null, streamed: { body: `{"model":"z"}`, eos: true } } });
    stream.cancel();
  });

  it("handles 100,000 one-byte chunks in linear time and answers the joined body", async () => {
    const body = enc.encode(`{"model":"tiny","prompt":"${"p".repeat(100_000 - 28)}"}`);
    expect(body.length).toBe(100_000);
    const stream = bbr.client.open();
    stream.send(requestHeaders(JSON_POST));
    for (let i = 0; i < body.length; i++) stream.send(requestBody(body.subarray(i, i + 1), i === body.length - 1));
    const got = (await stream.waitFor(3, 60_000)).map(summarize);
    expect(mutationOf(got[0])?.set).toContainEqual(["X-Gateway-Model-Name", "tiny"]);
    expect(got.slice(1).map((s) => ("common" in s ? s.common?.streamed?.body.length : 0))).toEqual([62_000, 38_000]);
    stream.cancel();
  }, 120_000);

  it("accepts a single 5 MiB gRPC message (above grpc-js's 4 MiB default)", async () => {
    const body = `{"model":"big","prompt":"${"b".repeat(5 * 1024 * 1024)}"}`;
    const stream = bbr.client.open();
    stream.send(requestHeaders(JSON_POST)).send(requestBody(body, true));
    const got = (await stream.waitFor(2, 20_000)).map(summarize);
    expect(mutationOf(got[0])?.set).toContainEqual(["X-Gateway-Model-Name", "big"]);
    stream.cancel();
  });
});
