import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../common/logger.js";
import { defaultSimOptions } from "./options.js";
import { SimInstance } from "./server.js";

// One simulator instance on a loopback port, spoken to over real HTTP.

let sim: SimInstance;
let base: string;

beforeAll(async () => {
  const defaults = defaultSimOptions();
  sim = new SimInstance(
    defaultSimOptions({
      loraModules: ["sql-lora"],
      maxModelLen: 64,
      maxBodyBytes: 1024,
      engine: { ...defaults.engine, timeScale: 0 },
    }),
    silentLogger(),
    "sim-a",
  );
  base = `http://127.0.0.1:${await sim.start(0)}`;
});

afterAll(() => sim.stop());

const post = (path: string, body: string) =>
  fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });

describe("sim HTTP API", () => {
  it("answers a completion, echoing the model and naming the instance", async () => {
    const r = await post("/v1/completions", JSON.stringify({ model: "sql-lora", prompt: "abcdefgh", max_tokens: 2 }));
    expect(r.status).toBe(200);
    expect(r.headers.get("x-inference-pod")).toBe("sim-a");
    expect(r.headers.get("x-inference-port")).toBe(String(sim.port));
    expect(r.headers.get("x-sim-request-bytes")).toBe("55");
    const body = (await r.json()) as { usage: { completion_tokens: number }; choices: { finish_reason: string }[] };
    expect(body).toMatchObject({
      object: "text_completion",
      model: "sql-lora",
      choices: [{ index: 0, text: "This is ", finish_reason: "length" }],
      usage: { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4, prompt_tokens_details: { cached_tokens: 0 } },
    });
  });

  it("uses --default-max-tokens and finish_reason stop without max_tokens", async () => {
    const r = await post(
      "/v1/chat/completions",
      JSON.stringify({ model: "llama-3-8b", messages: [{ role: "user", content: "x" }] }),
    );
    const body = (await r.json()) as { usage: { completion_tokens: number }; choices: { finish_reason: string }[] };
    expect(body.usage.completion_tokens).toBe(32);
    expect(body.choices[0]?.finish_reason).toBe("stop");
  });

  it.each([
    {
      name: "unknown model",
      path: "/v1/completions",
      body: JSON.stringify({ model: "nope", prompt: "x" }),
      status: 404,
      want: '{"error":{"message":"The model `nope` does not exist.","type":"NotFoundError","param":"model","code":404}}',
    },
    {
      name: "malformed JSON",
      path: "/v1/completions",
      body: "{",
      status: 400,
      want: /^\{"error":\{"message":"invalid JSON body: .*","type":"BadRequestError","param":null,"code":400\}\}$/,
    },
    {
      name: "prompt + output over max-model-len",
      path: "/v1/completions",
      body: JSON.stringify({ model: "llama-3-8b", prompt: "x".repeat(200), max_tokens: 20 }),
      status: 400,
      want: '{"error":{"message":"This model\'s maximum context length is 64 tokens. However, you requested 70 tokens (50 in the messages, 20 in the completion). Please reduce the length of the messages or completion.","type":"BadRequestError","param":null,"code":400}}',
    },
    {
      name: "body over --max-body-bytes",
      path: "/v1/completions",
      body: JSON.stringify({ model: "llama-3-8b", prompt: "x".repeat(2000) }),
      status: 413,
      want: '{"error":{"message":"request body exceeds 1024 bytes","type":"BadRequestError","param":null,"code":413}}',
    },
    {
      name: "unknown path",
      path: "/v2/nothing",
      body: "{}",
      status: 404,
      want: '{"error":{"message":"no route for POST /v2/nothing","type":"NotFoundError","param":null,"code":404}}',
    },
  ])("answers $name with an OpenAI-shaped $status", async ({ path, body, status, want }) => {
    const r = await post(path, body);
    expect(r.status).toBe(status);
    expect(r.headers.get("content-type")).toBe("application/json");
    const text = await r.text();
    if (typeof want === "string") expect(text).toBe(want);
    else expect(text).toMatch(want);
  });

  it("lists the base model and its adapters", async () => {
    const body = (await (await fetch(`${base}/v1/models`)).json()) as { data: { id: string; parent: string | null }[] };
    expect(body.data.map((m: { id: string; parent: string | null }) => [m.id, m.parent])).toEqual([
      ["llama-3-8b", null],
      ["sql-lora", "llama-3-8b"],
    ]);
  });

  it("answers /health", async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });
});
