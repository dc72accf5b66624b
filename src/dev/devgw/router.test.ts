import { describe, expect, it } from "vitest";
import { parseDevgwConfig } from "./config.js";
import type { HeaderList } from "./headers.js";
import { RouteTable } from "./router.js";

function table(yaml: string): RouteTable {
  const r = parseDevgwConfig(`listeners: [{name: l, port: 0}]\n${yaml}`, "inline");
  if (!r.ok) throw new Error(r.error.join("\n"));
  return new RouteTable(r.value);
}

const routes = table(`
routes:
  - name: by-base
    matches:
      - headers: [{name: X-Gateway-Base-Model-Name, value: llama}]
      - headers: [{name: X-Gateway-Model-Name, value: llama}]
    backendRef: llama
  - name: regex-post
    matches:
      - method: POST
        path: {type: PathPrefix, value: /v1/}
        headers: [{type: RegularExpression, name: X-Gateway-Model-Name, value: "qwen-[0-9.]+"}]
    backendRef: qwen
  - name: exact-path
    matches: [{path: {type: Exact, value: /health}}]
    backendRef: qwen
pools:
  - name: llama
    endpoints: [127.0.0.1:1, 127.0.0.1:2]
  - name: qwen
    endpoints: [127.0.0.1:3]
`);

const req = (path: string, extra: HeaderList = [], method = "POST"): HeaderList => [
  [":method", method],
  [":path", path],
  ...extra,
];

describe("RouteTable.match", () => {
  it.each([
    {
      name: "base model header",
      h: req("/v1/chat/completions", [["x-gateway-base-model-name", "llama"]]),
      want: "by-base",
    },
    {
      name: "model header, second match of the rule",
      h: req("/v1/completions", [["x-gateway-model-name", "llama"]]),
      want: "by-base",
    },
    {
      name: "values are case-sensitive",
      h: req("/v1/completions", [["x-gateway-model-name", "Llama"]]),
      want: undefined,
    },
    {
      name: "regex must match the whole value",
      h: req("/v1/completions", [["x-gateway-model-name", "qwen-2.5"]]),
      want: "regex-post",
    },
    {
      name: "regex partial match is no match",
      h: req("/v1/completions", [["x-gateway-model-name", "qwen-2.5-x"]]),
      want: undefined,
    },
    {
      name: "method must match",
      h: req("/v1/completions", [["x-gateway-model-name", "qwen-2"]], "GET"),
      want: undefined,
    },
    {
      name: "PathPrefix is per segment",
      h: req("/v1x/completions", [["x-gateway-model-name", "qwen-2"]]),
      want: undefined,
    },
    { name: "Exact path ignores the query", h: req("/health?x=1", [], "GET"), want: "exact-path" },
    { name: "no match", h: req("/v1/completions"), want: undefined },
  ])("$name", ({ h, want }) => {
    expect(routes.match(h)?.name).toBe(want);
  });

  it("a rule without matches matches everything", () => {
    const t = table("routes: [{name: all, backendRef: p}]\npools: [{name: p, endpoints: ['h:1']}]");
    expect(t.match(req("/anything"))?.name).toBe("all");
  });
});

describe("RouteTable.pick", () => {
  const route = routes.routes[0]!;

  it("round-robins without a destination", () => {
    const picks = [1, 2, 3, 4].map(() => routes.pick(route, undefined));
    expect(picks.map((p) => p.ok && p.value.address)).toEqual([
      "127.0.0.1:1",
      "127.0.0.1:2",
      "127.0.0.1:1",
      "127.0.0.1:2",
    ]);
  });

  it.each([
    { name: "the picked endpoint", dest: "127.0.0.1:2", want: "127.0.0.1:2" },
    {
      name: "the first listed endpoint in the pool",
      dest: "10.0.0.9:80, 127.0.0.1:1,127.0.0.1:2",
      want: "127.0.0.1:1",
    },
  ])("follows a destination: $name", ({ dest, want }) => {
    const p = routes.pick(route, dest);
    expect(p.ok && p.value.address).toBe(want);
  });

  it("refuses a destination outside the pool with 503", () => {
    expect(routes.pick(route, "127.0.0.1:3")).toEqual({
      ok: false,
      error: {
        status: 503,
        code: "destination_not_in_pool",
        message: 'destination endpoint "127.0.0.1:3" is not in pool "llama"',
      },
    });
  });
});
