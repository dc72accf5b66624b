import { brotliCompressSync, gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BODY_CHUNK_LIMIT } from "../../src/extproc/chunking.js";
import { type RunningBbr, startBbr } from "../support/bbr-test-server.js";
import { requestBody, requestHeaders } from "../support/messages.js";

// Evaluate = live path: every request case runs once through a real ext_proc stream (a grpc-js
// client playing Envoy, FULL_DUPLEX_STREAMED) and once through the admin Evaluate RPC over
// HTTP, and both must answer with the same headers, body and status.

/** Answer is what a request case produced, in a form both paths can give. */
interface Answer {
  readonly status: number;
  readonly headersSet: readonly [string, string][];
  readonly headersRemoved: readonly string[];
  /** body: the forwarded body when it changed, else null; for an error, the error body. */
  readonly body: string | null;
}

interface Case {
  readonly name: string;
  readonly config: keyof typeof CONFIGS;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | string;
}

const CONFIGS = {
  embedded: undefined,
  chain: `
featureGates: [CelRules]
plugins:
  - {type: api-detector, name: api}
  - {type: model-alias, name: alias, parameters: {aliases: {gpt-4o: llama-3-70b}, defaultModel: llama-3-8b}}
  - type: cel-rules
    name: rules
    parameters:
      rules:
        - 'body.max_tokens > 8192 => "llama-3-70b-long"'
        - {when: 'headers["x-block"] == "yes"', reject: {status: 403, message: blocked, reason: blocked}}
  - {type: model-allow-list, name: tenants, parameters: {tenantHeader: x-tenant-id, tenants: {team-a: ["llama-3-*"]}}}
request: [api, alias, rules, tenants]
`,
  failing: `
plugins:
  - {type: test-fail, name: broken, parameters: {phase: request}}
  - {type: body-field-to-header, parameters: {fieldName: model, headerName: X-Gateway-Model-Name}}
`,
  ignoring: `
plugins:
  - {type: test-fail, name: broken, parameters: {phase: request}, failurePolicy: Ignore}
  - {type: body-field-to-header, parameters: {fieldName: model, headerName: X-Gateway-Model-Name}}
`,
  limited: undefined,
} as const;

const CHAT = { ":method": "POST", ":path": "/v1/chat/completions", "content-type": "application/json" };
const TEAM_A = { ...CHAT, "x-tenant-id": "team-a" };
const big = `{"model":"big","prompt":"${"a".repeat(3 * BODY_CHUNK_LIMIT)}"}`;

const CASES: readonly Case[] = [
  { name: "model copied into the routing headers", config: "embedded", headers: CHAT, body: `{"model":"m1","messages":[]}` },
  { name: "no model field", config: "embedded", headers: CHAT, body: `{"prompt":"hi"}` },
  { name: "empty model", config: "embedded", headers: CHAT, body: `{"model":""}` },
  { name: "numeric model", config: "embedded", headers: CHAT, body: `{"model":1}` },
  { name: "model object", config: "embedded", headers: CHAT, body: `{"model":{"a":1}}` },
  { name: "invalid JSON", config: "embedded", headers: CHAT, body: `{"model":` },
  { name: "JSON array", config: "embedded", headers: CHAT, body: `[1,2]` },
  { name: "empty body", config: "embedded", headers: CHAT, body: "" },
  { name: "spoofed owned headers", config: "embedded", headers: { ...CHAT, "x-gateway-model-name": "evil", "x-gateway-base-model-name": "evil" }, body: `{"prompt":"p"}` },
  { name: "spoofed header overwritten", config: "embedded", headers: { ...CHAT, "X-Gateway-Model-Name": "evil" }, body: `{"model":"good"}` },
  { name: "opaque content type", config: "embedded", headers: { ":method": "POST", "content-type": "application/octet-stream" }, body: "\x00\x01binary" },
  { name: "body larger than one chunk", config: "embedded", headers: CHAT, body: big },
  { name: "body over the limit", config: "limited", headers: CHAT, body: `{"model":"m","pad":"${"x".repeat(2048)}"}` },
  { name: "gzip body", config: "embedded", headers: { ...CHAT, "content-encoding": "gzip" }, body: gzipSync(`{"model":"zipped"}`) },
  { name: "br body", config: "embedded", headers: { ...CHAT, "content-encoding": "br" }, body: brotliCompressSync(`{"model":"brotli"}`) },
  { name: "corrupt gzip", config: "embedded", headers: { ...CHAT, "content-encoding": "gzip" }, body: "not gzip at all" },
  { name: "unknown coding stays opaque", config: "embedded", headers: { ...CHAT, "content-encoding": "x-custom" }, body: `{"model":"hidden"}` },
  { name: "control character in the model", config: "embedded", headers: CHAT, body: `{"model":"a\\r\\nb"}` },
  { name: "alias rewrites the body", config: "chain", headers: TEAM_A, body: `{"model":"gpt-4o","messages":[]}` },
  { name: "default model added", config: "chain", headers: TEAM_A, body: `{"messages":[]}` },
  { name: "CEL rule picks the long-context model", config: "chain", headers: TEAM_A, body: `{"model":"gpt-4o","max_tokens":10000}` },
  { name: "CEL rule rejects", config: "chain", headers: { ...TEAM_A, "x-block": "yes" }, body: `{"model":"gpt-4o"}` },
  { name: "allow-list refuses another tenant", config: "chain", headers: { ...CHAT, "x-tenant-id": "team-b" }, body: `{"model":"gpt-4o"}` },
  { name: "gzip body rewritten by the alias", config: "chain", headers: { ...TEAM_A, "content-encoding": "gzip" }, body: gzipSync(`{"model":"gpt-4o"}`) },
  { name: "failing plugin is a 500", config: "failing", headers: CHAT, body: `{"model":"m"}` },
  { name: "failing plugin ignored", config: "ignoring", headers: CHAT, body: `{"model":"m"}` },
];

const decoder = new TextDecoder();
const bytesOf = (body: Uint8Array | string) => (typeof body === "string" ? new TextEncoder().encode(body) : body);

/** live runs a case through a real ext_proc stream. */
async function live(bbr: RunningBbr, c: Case): Promise<Answer> {
  const stream = bbr.client.open();
  stream.send(requestHeaders(c.headers)).send(requestBody(bytesOf(c.body), true));
  const [first] = await stream.waitFor(1);
  const response = first!.response;
  if (response.case === "immediateResponse") {
    stream.cancel();
    return { status: response.value.status?.code ?? 0, headersSet: [], headersRemoved: [], body: decoder.decode(response.value.body) };
  }
  if (response.case !== "requestHeaders") throw new Error(`unexpected first answer ${response.case}`);
  const mutation = response.value.response?.headerMutation;
  const headersSet = (mutation?.setHeaders ?? [])
    .map((h): [string, string] => [h.header?.key ?? "", decoder.decode(h.header?.rawValue)])
    .filter(([name]) => name.toLowerCase() !== "content-length");
  // The streamed body follows; it is "changed" when it differs from what the client sent.
  const pieces: Uint8Array[] = [];
  for (let n = 2; ; n++) {
    const all = await stream.waitFor(n);
    const last = all[n - 1]!.response;
    if (last.case !== "requestBody") throw new Error(`unexpected answer ${last.case}`);
    const streamed = last.value.response?.bodyMutation?.mutation;
    if (streamed?.case !== "streamedResponse") throw new Error("expected a streamed body");
    pieces.push(streamed.value.body);
    if (streamed.value.endOfStream) break;
  }
  stream.cancel();
  const forwarded = Buffer.concat(pieces);
  const changed = !forwarded.equals(Buffer.from(bytesOf(c.body)));
  // A changed compressed body goes upstream re-encoded; Evaluate shows the decoded one.
  const coding = Object.entries(c.headers).find(([k]) => k.toLowerCase() === "content-encoding")?.[1];
  const shown = !changed ? null : coding === "gzip" ? decoder.decode(gunzipSync(forwarded)) : decoder.decode(forwarded);
  return { status: 200, headersSet, headersRemoved: [...(mutation?.removeHeaders ?? [])], body: shown };
}

/** evaluate runs a case through the admin Evaluate RPC (Connect JSON over HTTP). */
async function evaluate(bbr: RunningBbr, c: Case): Promise<Answer> {
  const res = await fetch(`http://127.0.0.1:${bbr.server.ports.metrics}/bbr.admin.v1.AdminService/Evaluate`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ headers: c.headers, bodyBytes: Buffer.from(bytesOf(c.body)).toString("base64") }),
  });
  expect(res.status).toBe(200);
  const json = (await res.json()) as {
    headersSet?: { name: string; value?: string }[];
    headersRemoved?: string[];
    bodyChanged?: boolean;
    body?: string;
    error?: { httpStatus?: number; body?: string };
  };
  if (json.error) return { status: json.error.httpStatus ?? 0, headersSet: [], headersRemoved: [], body: json.error.body ?? "" };
  return {
    status: 200,
    headersSet: (json.headersSet ?? []).map((h) => [h.name, h.value ?? ""]),
    headersRemoved: json.headersRemoved ?? [],
    body: json.bodyChanged ? (json.body ?? "") : null,
  };
}

describe("Evaluate answers as the live ext_proc path does", () => {
  const servers = new Map<keyof typeof CONFIGS, RunningBbr>();
  beforeAll(async () => {
    for (const name of Object.keys(CONFIGS) as (keyof typeof CONFIGS)[]) {
      servers.set(name, await startBbr(CONFIGS[name], name === "limited" ? { maxBodyBytes: 1024 } : {}));
    }
  });
  afterAll(async () => {
    for (const s of servers.values()) await s.stop();
  });

  it.each(CASES)("$name", async (c) => {
    const bbr = servers.get(c.config)!;
    const viaStream = await live(bbr, c);
    const viaEvaluate = await evaluate(bbr, c);
    expect(viaEvaluate).toEqual(viaStream);
  });

  it("covers answers of every kind", async () => {
    // The table is only worth something if it reaches forwards, changes and each error class.
    const statuses = new Set<number>();
    let changed = 0;
    for (const c of CASES) {
      const a = await live(servers.get(c.config)!, c);
      statuses.add(a.status);
      if (a.status === 200 && a.body !== null) changed++;
    }
    expect([...statuses].sort()).toEqual([200, 400, 403, 413, 500]);
    expect(changed).toBeGreaterThanOrEqual(3);
  });
});
