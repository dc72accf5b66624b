import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { testTransport } from "../../support/transport.js";

// The real `bbr` command as built by `npm run build` (npm test builds first), on the Node 24
// that runs the tests.
const ROOT = join(import.meta.dirname, "../../..");
const BBR = join(ROOT, "bin/bbr.js");

/** BbrProcess is a running `bbr` child process with its bound ports and JSON log lines. */
export interface BbrProcess {
  readonly child: ChildProcess;
  readonly ports: { grpc: number; health: number; metrics: number };
  /** logs are the parsed JSON lines written to stdout so far. */
  readonly logs: Record<string, unknown>[];
  /** exited resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

/**
 * startBbrProcess runs `bbr` on ephemeral loopback ports and resolves once it logs
 * "bbr serving". Callers kill it in afterEach (SIGKILL is harmless after a normal exit).
 */
export async function startBbrProcess(args: string[] = []): Promise<BbrProcess> {
  if (!existsSync(join(ROOT, "dist/bbr/cli/main.js"))) throw new Error("dist/ is missing: run `npm run build` first");
  const child = spawn(
    process.execPath,
    [BBR, "--grpc-port", "0", "--grpc-health-port", "0", "--metrics-port", "0", "--bind-address", "127.0.0.1", "--transport", testTransport(), ...args],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const ports = await new Promise<BbrProcess["ports"]>((resolve, reject) => {
    let pending = "";
    child.stdout!.on("data", (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.trim() === "") continue;
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry["msg"] === "bbr serving") resolve(entry["ports"] as BbrProcess["ports"]);
      }
    });
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    void exited.then((code) => reject(new Error(`bbr exited ${code} before serving: ${stderr}`)));
  });
  return { child, ports, logs, exited };
}

/** scrape reads one metric sample's value from /metrics (undefined when absent). */
export async function scrape(metricsPort: number, sample: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}
