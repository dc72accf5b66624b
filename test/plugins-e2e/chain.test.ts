import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stickyPoint } from "../../src/bbr/plugins/weighted-split/weighted-split.js";
import { type RunningBbr, startBbr } from "../support/bbr-test-server.js";
import { requestBody, requestHeaders, type Summary, summarize } from "../support/messages.js";

// The routing chain of issue 3 through the real server over a real grpc-js socket:
// api-detector → model-alias → cel-rules → weighted-split → model-allow-list.
const CONFIG = readFileSync(join(import.meta.dirname, "../fixtures/plugin-configs/chain.yaml"), "utf8");
const CHAT = { ":method": "POST", ":path": "/v1/chat/completions", "content-type": "application/json" };

// Sticky keys that land on each side of the 90/10 canary split of the "canary" plugin.
function userOn(side: "stable" | "canary"): string {
  for (let i = 0; ; i++) {
    const user = `user-${i}`;
    if (stickyPoint("canary", user) >= 0.9 === (side === "canary")) return user;
  }
}
const STABLE_USER = userOn("stable");
const CANARY_USER = userOn("canary");

function forwarded(set: [string, string][], body: string): Summary[] {
  return [
    {
      kind: "requestHeaders",
      common: {
        clearRouteCache: true,
        mutation: { set: [...set, ["Content-Length", String(Buffer.byteLength(body))]], remove: [] },
      },
    },
    { kind: "requestBody", common: { clearRouteCache: false, mutation: null, streamed: { body, eos: true } } },
  ];
}

function rejected(status: number, type: string, code: string, message: string): Summary[] {
  return [
    {
      kind: "immediate",
      status,
      headers: { set: [["content-type", "application/json"]], remove: [] },
      body: JSON.stringify({ error: { message, type, code } }),
      details: `bbr_${code}`,
    },
  ];
}

describe("alias → cel-rules → weighted-split → allow-list over a real socket", () => {
  let bbr: RunningBbr;
  beforeAll(async () => {
    bbr = await startBbr(CONFIG);
  });
  afterAll(() => bbr.stop());

  async function exchange(headers: Record<string, string>, body: unknown): Promise<Summary[]> {
    const text = JSON.stringify(body);
    const stream = bbr.client.open();
    stream.send(requestHeaders({ ...CHAT, ...headers }));
    stream.send(requestBody(text, true));
    const first = summarize((await stream.waitFor(1))[0]!);
    if (first.kind === "immediate") {
      await stream.end();
      return [first];
    }
    const answers = (await stream.waitFor(2)).map(summarize);
    stream.cancel();
    return answers;
  }

  const api: [string, string] = ["X-Gateway-Api-Kind", "openai-chat-completions"];
  const messages = [{ role: "user", content: "hi" }];

  it.each([
    {
      name: "alias rewrites the model; the allow-list admits it",
      headers: { "x-tenant-id": "team-a" },
      body: { model: "gpt-4o", messages },
      want: forwarded(
        [api, ["X-Gateway-Model-Name", "llama-3-70b"]],
        JSON.stringify({ model: "llama-3-70b", messages }),
      ),
    },
    {
      name: "auto → default model → stable side of the sticky split",
      headers: { "x-tenant-id": "team-b", "x-user-id": STABLE_USER },
      body: { model: "auto", messages },
      want: forwarded([api, ["X-Gateway-Model-Name", "llama-3-8b"]], JSON.stringify({ model: "llama-3-8b", messages })),
    },
    {
      name: "auto → canary side of the sticky split",
      headers: { "x-tenant-id": "team-b", "x-user-id": CANARY_USER },
      body: { model: "auto", messages },
      want: forwarded(
        [api, ["X-Gateway-Model-Name", "llama-3-8b-canary"]],
        JSON.stringify({ model: "llama-3-8b-canary", messages }),
      ),
    },
    {
      name: "no model → defaultModel, and a client-sent model header is overwritten",
      headers: { "x-tenant-id": "team-a", "x-user-id": STABLE_USER, "x-gateway-model-name": "spoofed" },
      body: { messages },
      want: forwarded([api, ["X-Gateway-Model-Name", "llama-3-8b"]], JSON.stringify({ messages, model: "llama-3-8b" })),
    },
    {
      name: "a CEL rule sends long requests to the long-context model",
      headers: { "x-tenant-id": "team-a" },
      body: { model: "gpt-4o", messages, max_tokens: 9000 },
      want: forwarded(
        [api, ["X-Gateway-Model-Name", "llama-3-70b-long"]],
        JSON.stringify({ model: "llama-3-70b-long", messages, max_tokens: 9000 }),
      ),
    },
    {
      name: "a CEL rule rejects the free tier with its own status and reason",
      headers: { "x-tenant-id": "team-a", "x-tier": "free" },
      body: { model: "gpt-4o", messages },
      want: rejected(429, "rate_limit_error", "tier_limit", "free tier cannot use llama-3-70b"),
    },
    {
      name: "the allow-list refuses a model the tenant may not use",
      headers: { "x-tenant-id": "team-b" },
      body: { model: "gpt-4o", messages },
      want: rejected(
        403,
        "permission_error",
        "model_not_allowed",
        'model "llama-3-70b" is not allowed for this tenant',
      ),
    },
    {
      name: "an unknown tenant may use nothing",
      headers: { "x-tenant-id": "team-z", "x-user-id": STABLE_USER },
      body: { model: "auto", messages },
      want: rejected(403, "permission_error", "model_not_allowed", 'model "llama-3-8b" is not allowed for this tenant'),
    },
  ])("$name", async ({ headers, body, want }) => {
    expect(await exchange(headers, body)).toEqual(want);
  });

  it("answers invalid JSON with 400 before any plugin runs", async () => {
    const stream = bbr.client.open();
    stream.send(requestHeaders({ ...CHAT, "x-tenant-id": "team-a" }));
    stream.send(requestBody('{"model":', true));
    const [answer] = (await stream.waitFor(1)).map(summarize);
    expect(answer).toMatchObject({ kind: "immediate", status: 400, details: "bbr_invalid_json" });
  });
});
