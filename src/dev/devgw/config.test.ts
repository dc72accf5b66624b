import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadDevgwConfig, parseDevgwConfig, parseHostPort } from "./config.js";

const fixture = (name: string) => `test/fixtures/devgw/${name}`;

describe("devgw config", () => {
  it("loads every field of a full config", () => {
    const r = loadDevgwConfig(fixture("valid-full.yaml"));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const c = r.value;
    expect(c.listeners).toEqual([
      { name: "http", address: "127.0.0.1", port: 8080 },
      { name: "no-bbr", address: "127.0.0.1", port: 8081, processors: [] },
    ]);
    expect(c.processors[0]).toEqual({
      name: "bbr",
      target: "127.0.0.1:9004",
      failureModeAllow: false,
      messageTimeout: 1500,
      processingMode: {
        requestHeaderMode: "SEND",
        requestBodyMode: "FULL_DUPLEX_STREAMED",
        requestTrailerMode: "SEND",
        responseHeaderMode: "SEND",
        responseBodyMode: "NONE",
        responseTrailerMode: "SKIP",
      },
    });
    expect(c.routes.map((r) => [r.name, r.timeout, r.matches.length])).toEqual([
      ["llama", 300_000, 2],
      ["default", 300_000, 0],
    ]);
    expect(c.pools[0]!.endpoints).toEqual(["127.0.0.1:8000", "[::1]:8001"]);
  });

  it("fills defaults: Envoy's 200 ms message timeout, fail closed, full duplex both ways", () => {
    const r = parseDevgwConfig("listeners: [{name: l, port: 0}]\nprocessors: [{name: p, target: 'h:1'}]\n", "inline");
    expect(r.ok && r.value.processors[0]).toEqual({
      name: "p",
      target: "h:1",
      failureModeAllow: false,
      messageTimeout: 200,
      processingMode: {
        requestHeaderMode: "SEND",
        requestBodyMode: "FULL_DUPLEX_STREAMED",
        requestTrailerMode: "SEND",
        responseHeaderMode: "SEND",
        responseBodyMode: "FULL_DUPLEX_STREAMED",
        responseTrailerMode: "SEND",
      },
    });
  });

  it.each([
    {
      file: "invalid-references.yaml",
      want: [
        'listeners[0].processors[1]: no processor named "epp"',
        'processors[1].name: duplicate name "bbr"',
        'processors[1].target: must be "host:port"',
        'routes[0].backendRef: no pool named "missing"',
        "pools[0].endpoints: a pool needs at least one endpoint",
        "routes[0].matches[0].headers[0].value: invalid regular expression",
      ],
    },
    {
      file: "invalid-modes.yaml",
      want: [
        "listeners[0].port:",
        "processors[0].messageTimeout:",
        "processors[0].processingMode.requestBodyMode:",
        "processors[0]: Unrecognized key",
      ],
    },
    { file: "invalid-yaml.yaml", want: ["invalid YAML"] },
  ])("reports every problem of $file with its path", ({ file, want }) => {
    const r = loadDevgwConfig(fixture(file));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    for (const w of want)
      expect(
        r.error.some((line) => line.startsWith(`${fixture(file)}: `) && line.includes(w)),
        `${w}\n${r.error.join("\n")}`,
      ).toBe(true);
  });

  it("reports a bad regular expression and a missing trailer mode", () => {
    const regex = parseDevgwConfig(
      "listeners: [{name: l, port: 0}]\nroutes: [{name: r, backendRef: p, matches: [{headers: [{type: RegularExpression, name: x, value: '('}]}]}]\npools: [{name: p, endpoints: ['h:1']}]\n",
      "inline",
    );
    expect(!regex.ok && regex.error[0]).toMatch(
      /^inline: routes\[0\]\.matches\[0\]\.headers\[0\]\.value: invalid regular expression/,
    );
    const trailers = parseDevgwConfig(
      "listeners: [{name: l, port: 0}]\nprocessors: [{name: p, target: 'h:1', processingMode: {responseTrailerMode: SKIP}}]\n",
      "inline",
    );
    expect(!trailers.ok && trailers.error).toEqual([
      "inline: processors[0].processingMode.responseTrailerMode: FULL_DUPLEX_STREAMED requires responseTrailerMode SEND",
    ]);
  });

  it("reports an unreadable file", () => {
    const r = loadDevgwConfig(fixture("does-not-exist.yaml"));
    expect(!r.ok && r.error[0]).toMatch(/^test\/fixtures\/devgw\/does-not-exist\.yaml: cannot read config: /);
  });

  it("the minimal config is one listener", () => {
    expect(parseDevgwConfig(readFileSync(fixture("minimal.yaml"), "utf8"), "minimal")).toEqual({
      ok: true,
      value: { listeners: [{ name: "http", address: "127.0.0.1", port: 0 }], processors: [], routes: [], pools: [] },
    });
  });
});

describe("parseHostPort", () => {
  it.each([
    { s: "127.0.0.1:8000", want: { host: "127.0.0.1", port: 8000 } },
    { s: "[::1]:9", want: { host: "::1", port: 9 } },
    { s: "sim.local:65535", want: { host: "sim.local", port: 65535 } },
    { s: "127.0.0.1", want: undefined },
    { s: "h:0", want: undefined },
    { s: "h:70000", want: undefined },
    { s: "::1:80", want: undefined },
  ])("$s", ({ s, want }) => {
    expect(parseHostPort(s)).toEqual(want);
  });
});
