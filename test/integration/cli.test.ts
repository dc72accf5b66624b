import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeConfig } from "../support/bbr-test-server.js";
import { ExtProcTestClient } from "../support/ext-proc-client.js";
import { requestBody, requestHeaders, summarize } from "../support/messages.js";

// The real `bbr` command, as built by `npm run build` (npm test builds first).
const ROOT = join(import.meta.dirname, "../..");
const NODE = process.execPath;
const BBR = join(ROOT, "bin/bbr.js");
const FIXTURES = join(ROOT, "test/fixtures/configs");

function runBbr(args: string[]) {
  return spawnSync(NODE, [BBR, ...args], { encoding: "utf8", timeout: 20_000 });
}

describe("bbr command", () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill("SIGKILL");
  });

  it("prints help and exits 0", () => {
    const r = runBbr(["--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("--grpc-port VALUE");
    expect(r.stdout).toContain("--max-body-bytes");
    expect(r.stdout).toMatch(/--transport VALUE +ext_proc server library: grpc or connect .*\(default grpc\)/);
  });

  it.each([
    { argv: ["--grpc-port", "99999"], want: "--grpc-port" },
    { argv: ["--transport", "quic"], want: 'bbr: --transport: "quic" is not a transport (choose grpc or connect)' },
  ])("exits 2 on a bad command line: $argv", ({ argv, want }) => {
    const r = runBbr(argv);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(want);
  });

  it.each([
    { file: "invalid-unknown-plugin.yaml", want: 'plugins[1].type: unknown plugin type "model-guesser"' },
    { file: "invalid-parameters.yaml", want: "plugins[0].parameters.headerName" },
  ])("exits 1 naming file, key and reason for $file (GIE exits 0 on an unknown plugin)", ({ file, want }) => {
    const path = join(FIXTURES, file);
    const r = runBbr(["--config", path, "--grpc-port", "0", "--grpc-health-port", "0", "--metrics-port", "0"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${path}: ${want}`);
  });

  it("serves on the embedded default config, routes a request, and exits 0 on SIGTERM", async () => {
    const child = spawn(NODE, [BBR, "--grpc-port", "0", "--grpc-health-port", "0", "--metrics-port", "0", "--bind-address", "127.0.0.1"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    const ports = await new Promise<{ grpc: number }>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        for (const line of out.split("\n")) {
          if (line.includes('"bbr serving"')) resolve(JSON.parse(line).ports);
        }
      });
      child.once("exit", (code) => reject(new Error(`bbr exited ${code}`)));
    });
    const client = new ExtProcTestClient(ports.grpc);
    const stream = client.open();
    stream.send(requestHeaders({ ":method": "POST", "content-type": "application/json" })).send(requestBody(`{"model":"llama"}`, true));
    const [h] = (await stream.waitFor(2)).map(summarize);
    expect(h).toMatchObject({ kind: "requestHeaders", common: { mutation: { set: [["X-Gateway-Model-Name", "llama"], ["X-Gateway-Base-Model-Name", ""], ["Content-Length", "17"]] } } });
    await stream.finish();
    client.close();
    const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
  });

  it("never logs request bodies, even at trace level", async () => {
    const config = writeConfig("plugins:\n  - type: body-field-to-header\n    parameters: {fieldName: model, headerName: X-Gateway-Model-Name}\n");
    const child = spawn(NODE, [BBR, "--config", config, "--log-level", "trace", "--grpc-port", "0", "--grpc-health-port", "0", "--metrics-port", "0", "--bind-address", "127.0.0.1"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let output = "";
    const ports = await new Promise<{ grpc: number }>((resolve) => {
      child.stdout!.on("data", (d: Buffer) => {
        output += d.toString();
        const line = output.split("\n").find((l) => l.includes('"bbr serving"'));
        if (line) resolve(JSON.parse(line).ports);
      });
      child.stderr!.on("data", (d: Buffer) => {
        output += d.toString();
      });
    });
    const client = new ExtProcTestClient(ports.grpc);
    for (const body of [`{"model":"m","prompt":"SECRET-PROMPT-1"}`, `{"model":"m","prompt":"SECRET-PROMPT-2"`]) {
      const stream = client.open();
      stream.send(requestHeaders({ ":method": "POST", "x-request-id": "rid-1" })).send(requestBody(body, true));
      await stream.waitFor(1);
      stream.cancel();
    }
    client.close();
    await new Promise((r) => setTimeout(r, 200));
    expect(output).toContain("rid-1"); // the rejected request was logged, with its id
    expect(output).not.toContain("SECRET-PROMPT");
  });
});
