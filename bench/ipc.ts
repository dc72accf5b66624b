import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

// Request/reply over the IPC channel of a forked child: the orchestrator drives the server
// and load-generator processes with it, and they report their measurements back.

interface Envelope {
  readonly id: number;
  readonly cmd: string;
  readonly args?: unknown;
}

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

/** Child is a forked bench process the orchestrator sends commands to. */
export class Child {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly exited: Promise<number | null>;
  private readyValue: Promise<unknown>;

  private constructor(
    readonly name: string,
    private readonly proc: ChildProcess,
  ) {
    let onReady: (v: unknown) => void = () => {};
    let onFail: (e: Error) => void = () => {};
    this.readyValue = new Promise((resolve, reject) => {
      onReady = resolve;
      onFail = reject;
    });
    proc.on("message", (m: Reply | { ready: unknown }) => {
      if ("ready" in m) {
        onReady(m.ready);
        return;
      }
      const waiter = this.pending.get(m.id);
      if (!waiter) return;
      this.pending.delete(m.id);
      if (m.ok) waiter.resolve(m.result);
      else waiter.reject(new Error(`${name}: ${m.error}`));
    });
    this.exited = new Promise((resolve) => {
      proc.on("exit", (code) => {
        const e = new Error(`${name} exited (${code})`);
        onFail(e);
        for (const w of this.pending.values()) w.reject(e);
        this.pending.clear();
        resolve(code);
      });
    });
  }

  /** spawn forks a compiled bench script (path relative to the calling module's URL). */
  static spawn(name: string, script: URL, args: string[], execArgv: string[] = []): Child {
    const proc = fork(fileURLToPath(script), args, { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    return new Child(name, proc);
  }

  /** ready resolves with what the child announced once it was up. */
  ready<T>(): Promise<T> {
    return this.readyValue as Promise<T>;
  }

  /** call sends a command and resolves with the child's answer. */
  call<T>(cmd: string, args?: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.send({ id, cmd, args } satisfies Envelope);
    });
  }

  /** stop asks the child to exit (so --cpu-prof profiles get written) and waits for it. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (this.proc.exitCode !== null) return;
    this.call("exit").catch(() => {});
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Handlers answer commands inside a child. */
export type Handlers = Record<string, (args: unknown) => unknown>;

/**
 * serveCommands answers the orchestrator's commands in a child and announces `ready`. The
 * "exit" command runs `onExit` and ends the process.
 */
export function serveCommands(ready: unknown, handlers: Handlers, onExit: () => Promise<void>): void {
  const send = (m: unknown) => process.send?.(m);
  process.on("message", (m: Envelope) => {
    if (m.cmd === "exit") {
      void onExit().finally(() => process.exit(0));
      return;
    }
    const handler = handlers[m.cmd];
    if (!handler) {
      send({ id: m.id, ok: false, error: `unknown command ${m.cmd}` } satisfies Reply);
      return;
    }
    Promise.resolve()
      .then(() => handler(m.args))
      .then(
        (result) => send({ id: m.id, ok: true, result } satisfies Reply),
        (e: unknown) =>
          send({ id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) } satisfies Reply),
      );
  });
  // The orchestrator going away must not leave servers behind.
  process.on("disconnect", () => {
    void onExit().finally(() => process.exit(0));
  });
  send({ ready });
}
