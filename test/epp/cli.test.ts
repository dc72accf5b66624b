import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ExtProcTestClient } from "../support/ext-proc-client.js";
import { requestBody, requestHeaders } from "../support/messages.js";
import { writeTemp } from "./support/epp-harness.js";

// The real `epp` command, as built by `npm run build` (npm test builds first).
const ROOT = join(import.meta.dirname, "../..");
const NODE = process.execPath;
const EPP = join(ROOT, "bin/epp.js");
const FIXTURES = join(ROOT, "test/fixtures/epp");
const EPHEMERAL = ["--grpc-port", "0", "--grpc-health-port", "0", "--metrics-port", "0", "--bind-address", "127.0.0.1"];

function runEpp(args: string[]) {
  return spawnSync(NODE, [EPP, ...args], { encoding: "utf8", timeout: 20_000 });
}

describe("epp command", () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill("SIGKILL");
  });

  it("prints help and exits 0", () => {
    const r = runEpp(["--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("--pool-name VALUE");
    expect(r.stdout).toContain("--refresh-metrics-interval VALUE");
  });

  it.each([
    { args: ["--grpc-port", "99999"], want: "--grpc-port" },
    { args: ["--kubeconfig", "/x"], want: "--kubeconfig: needs --pool-name" },
    { args: ["stray"], want: 'unexpected argument "stray"' },
  ])("exits 2 on a bad command line: $args", ({ args, want }) => {
    const r = runEpp(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(want);
  });

  it.each([
    {
      flag: "--config-file",
      file: "configs/invalid-many.yaml",
      want: 'plugins[1].type: unknown plugin type "no-such-plugin"',
    },
    {
      flag: "--endpoints-file",
      file: "endpoints/../configs/invalid-many.yaml",
      want: 'Unrecognized keys: "apiVersion", "kind", "plugins"',
    },
  ])("exits 1 naming the file, key and reason for an invalid $flag", ({ flag, file, want }) => {
    const path = join(FIXTURES, file);
    const r = runEpp([flag, path, ...EPHEMERAL]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${path}:`);
    expect(r.stderr).toContain(want);
  });

  it("serves with a static endpoints file, answers a request, and exits 0 on SIGTERM", async () => {
    const endpoints = writeTemp("endpoints:\n- {address: 10.3.0.1, port: 8000}\n", "endpoints.yaml");
    const child = spawn(NODE, [EPP, "--endpoints-file", endpoints, ...EPHEMERAL], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    const ports = await new Promise<{ grpc: number }>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        for (const line of out.split("\n")) if (line.includes('"epp serving"')) resolve(JSON.parse(line).ports);
      });
      child.once("exit", (code) => reject(new Error(`epp exited ${code}`)));
    });
    const client = new ExtProcTestClient(ports.grpc);
    const stream = client.open();
    stream
      .send(requestHeaders({ ":method": "POST", ":path": "/v1/completions" }))
      .send(requestBody(`{"model":"m","prompt":"hi"}`, true));
    const [first] = await stream.waitFor(1);
    expect(first!.dynamicMetadata).toEqual({ "envoy.lb": { "x-gateway-destination-endpoint": "10.3.0.1:8000" } });
    stream.cancel();
    client.close();
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
