import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

// The real commands as built by `npm run build` (npm test builds first).
const ROOT = join(import.meta.dirname, "../..");

/** ServerBinary is a server command in bin/. */
export type ServerBinary = "bbr" | "epp";

/** ServerProcess is a running bbr or epp child process, ready to serve. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly ports: { grpc: number; health: number; metrics: number };
  /** serving is the parsed "<binary> serving" log line. */
  readonly serving: Record<string, unknown>;
  /** stop sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * startServerProcess runs bin/<binary> on ephemeral loopback ports with extra arguments and
 * resolves once it logs "<binary> serving".
 */
export async function startServerProcess(binary: ServerBinary, args: readonly string[]): Promise<ServerProcess> {
  if (!existsSync(join(ROOT, `dist/${binary}/cli/main.js`))) throw new Error("dist/ is missing: run `npm run build`");
  const child = spawn(
    process.execPath,
    [
      join(ROOT, `bin/${binary}.js`),
      ...["--grpc-port", "0", "--grpc-health-port", "0", "--metrics-port", "0", "--bind-address", "127.0.0.1"],
      ...args,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const serving = new Promise<Record<string, unknown>>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.includes(`"${binary} serving"`)) resolve(JSON.parse(line) as Record<string, unknown>);
    });
    void exited.then((code) => reject(new Error(`${binary} exited ${code} before serving: ${stderr}`)));
  });
  const servingLine = await serving;
  return {
    child,
    ports: servingLine["ports"] as ServerProcess["ports"],
    serving: servingLine,
    stop() {
      child.kill("SIGTERM");
      return exited;
    },
  };
}
