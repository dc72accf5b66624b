import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { fileURLToPath } from "node:url";

/** REPO_ROOT is the package root (src/dev/demo and dist/dev/demo are both three levels down). */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** ENTRY_POINTS are the commands' compiled entry points, relative to dist/ (the bins import the same). */
export const ENTRY_POINTS = {
  bbr: "bbr/cli/main.js",
  epp: "epp/cli/main.js",
  sim: "dev/sim/main.js",
  devgw: "dev/devgw/main.js",
  demo: "dev/demo/main.js",
} as const;

/** Command names a binary. */
export type Command = keyof typeof ENTRY_POINTS;

/** distEntry is the compiled entry point of a command, e.g. distEntry("sim"). */
export function distEntry(command: Command, root = REPO_ROOT): string {
  return `${root}${root.endsWith("/") ? "" : "/"}dist/${ENTRY_POINTS[command]}`;
}

/** ChildService is a started process and the JSON log line that said it was ready. */
export interface ChildService {
  readonly name: string;
  readonly child: ChildProcess;
  readonly ready: Record<string, unknown>;
  /** stop sends SIGTERM and waits for exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/** SpawnOptions for startService. */
export interface SpawnOptions {
  readonly name: string;
  readonly args: readonly string[];
  /** The `msg` of the JSON log line that means "serving" (logged at info: keep --log-level at info or below). */
  readonly readyMsg: string;
  /** File to append the child's stdout and stderr to; default: discarded (stderr kept for errors). */
  readonly logFile?: string;
  readonly timeoutMs?: number;
  readonly cwd?: string;
}

/**
 * startService runs `node <args>` and resolves once the child logs the ready line. A child that
 * exits or stays silent first is an error carrying its stderr, and is killed.
 */
export function startService(o: SpawnOptions): Promise<ChildService> {
  const child = spawn(process.execPath, [...o.args], {
    stdio: ["ignore", "pipe", "pipe"],
    cwd: o.cwd ?? process.cwd(),
  });
  const log = o.logFile === undefined ? undefined : createWriteStream(o.logFile, { flags: "a" });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    log?.write(d);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async (graceMs = 5000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    }
    log?.end();
  };
  return new Promise<ChildService>((resolve, reject) => {
    let buffered = "";
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      void stop(1000);
      reject(new Error(`${o.name}: ${why}${stderr ? `\n${stderr}` : ""}`));
    };
    const timer = setTimeout(() => fail(`not ready within ${o.timeoutMs ?? 20_000} ms`), o.timeoutMs ?? 20_000);
    child.stdout!.on("data", (d: Buffer) => {
      log?.write(d);
      if (settled) return;
      buffered += d.toString();
      for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        if (parsed["msg"] === o.readyMsg) {
          settled = true;
          clearTimeout(timer);
          resolve({ name: o.name, child, ready: parsed, stop });
          return;
        }
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      fail(`exited (${signal ?? `code ${code}`}) before it was ready`);
    });
  });
}
