import { type ChildProcess, fork, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/**
 * `npm run bench:idle` — idle RSS of the built binaries on their default configs (issue 14's
 * "idle RSS, default config" row), and which modules they load.
 *
 * Each target is spawned as an operator runs it (`node dist/bbr/cli/main.js`, no --config) with
 * ports 0; once its readiness endpoint answers, the script waits --settle ms without forcing a GC
 * and reads VmRSS from /proc/<pid>/status. Targets alternate within each round and the median of
 * --rounds spawns is reported. A separate spawn per target, preloading bench/module-list-hook.js,
 * lists the modules loaded once serving (the hook costs memory, so it never runs in a measured
 * spawn). Build first: `npm run build && npm run build:bench`.
 *
 *   --rounds=N     spawns per target (default 5)
 *   --settle=MS    wait after readiness before reading RSS (default 3000)
 *   --only=a,b     targets: bbr, epp, noop-grpc (default all)
 *   --modules=all  list every loaded file, not only the per-package and per-folder counts
 *   --out=PATH     also write the figures as JSON
 */

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    settle: { type: "string", default: "3000" },
    only: { type: "string" },
    modules: { type: "string", default: "summary" },
    out: { type: "string" },
  },
});
const rounds = Number(values.rounds);
const settleMs = Number(values.settle);
const root = fileURLToPath(new URL("../../", import.meta.url));
const hook = fileURLToPath(new URL("./module-list-hook.js", import.meta.url));
const SERVE_ARGS = ["--grpc-port", "0", "--grpc-health-port", "0", "--metrics-port", "0", "--bind-address", "127.0.0.1"];

/** Target is one process shape under measurement. */
interface Target {
  readonly name: string;
  /** start spawns it (execArgv before the script, env extra) and resolves once it is serving. */
  start(execArgv: readonly string[], env: NodeJS.ProcessEnv): Promise<Running>;
}

interface Running {
  readonly proc: ChildProcess;
  stop(): Promise<void>;
}

/**
 * binaryTarget runs a product's CLI; it is serving when the "<name> serving" log line has named
 * the metrics port and /readyz answers 200 there.
 */
function binaryTarget(name: string, script: string): Target {
  return {
    name,
    async start(execArgv, env) {
      const proc = spawn(process.execPath, [...execArgv, join(root, script), ...SERVE_ARGS, "--drain-timeout", "1"], {
        cwd: root,
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      proc.stderr!.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      const metricsPort = await new Promise<number>((resolve, reject) => {
        let buffered = "";
        proc.stdout!.on("data", (d: Buffer) => {
          buffered += d.toString();
          for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
            const line = buffered.slice(0, nl);
            buffered = buffered.slice(nl + 1);
            if (!line.includes(`"${name} serving"`)) continue;
            resolve((JSON.parse(line) as { ports: { metrics: number } }).ports.metrics);
          }
        });
        proc.on("exit", (code) => reject(new Error(`${name} exited (${code}) before serving: ${stderr}`)));
      });
      // Keep draining stdout so a chatty process never blocks on a full pipe.
      proc.stdout!.resume();
      await waitReady(metricsPort);
      return { proc, stop: () => stopProcess(proc) };
    },
  };
}

/** noopTarget is the bench's grpc-js no-op (bench/servers/server-main.js), with its IPC channel. */
const noopTarget: Target = {
  name: "noop-grpc",
  async start(execArgv, env) {
    const proc = fork(join(root, "dist-bench/bench/servers/server-main.js"), ["noop-grpc"], {
      execArgv: [...execArgv],
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    await new Promise<void>((resolve, reject) => {
      proc.on("message", (m: { ready?: unknown }) => {
        if (m && typeof m === "object" && "ready" in m) resolve();
      });
      proc.on("exit", (code) => reject(new Error(`noop-grpc exited (${code}) before serving`)));
    });
    return {
      proc,
      stop: async () => {
        proc.send({ id: 1, cmd: "exit" });
        await exited(proc, 5000);
      },
    };
  },
};

async function waitReady(port: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`readiness on port ${port} did not answer 200 within 15 s`);
}

function exited(proc: ChildProcess, timeoutMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
    proc.on("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** stopProcess drains the process with SIGTERM (so its exit handlers, such as the hook's, run). */
function stopProcess(proc: ChildProcess): Promise<void> {
  proc.kill("SIGTERM");
  return exited(proc, 5000);
}

/** memory reads the resident set of a process, in KiB, from /proc. */
function memory(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rss: field("VmRSS"), anon: field("RssAnon"), file: field("RssFile") };
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const mib = (kib: number) => (kib / 1024).toFixed(1);

/** ModuleSummary groups loaded module URLs by package (node_modules) and by folder of ours. */
interface ModuleSummary {
  readonly total: number;
  readonly packages: Record<string, number>;
  readonly ours: Record<string, number>;
  readonly builtins: number;
  readonly files: readonly string[];
}

function summarise(urls: readonly string[]): ModuleSummary {
  const packages: Record<string, number> = {};
  const ours: Record<string, number> = {};
  let builtins = 0;
  const files: string[] = [];
  for (const url of urls) {
    if (!url.startsWith("file:")) {
      builtins++;
      continue;
    }
    const path = fileURLToPath(url);
    files.push(path.startsWith(root) ? path.slice(root.length) : path);
    const inPackage = /.*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
    if (inPackage) {
      packages[inPackage[1]!] = (packages[inPackage[1]!] ?? 0) + 1;
      continue;
    }
    const relative = path.startsWith(root) ? path.slice(root.length) : path;
    // Two levels (dist/bbr/plugins, dist/gen/envoy) say which part of the product was loaded.
    const folder = relative.split("/").slice(0, -1).slice(0, 3).join("/");
    ours[folder] = (ours[folder] ?? 0) + 1;
  }
  return { total: urls.length, packages, ours, builtins, files };
}

async function listModules(target: Target): Promise<ModuleSummary> {
  const dir = mkdtempSync(join(tmpdir(), "idle-rss-"));
  const out = join(dir, "modules.txt");
  try {
    const running = await target.start(["--import", hook], { MODULE_LIST_OUT: out });
    await sleep(500);
    await running.stop();
    return summarise(readFileSync(out, "utf8").split("\n").filter(Boolean));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ALL_TARGETS: readonly Target[] = [
  binaryTarget("bbr", "dist/bbr/cli/main.js"),
  binaryTarget("epp", "dist/epp/cli/main.js"),
  noopTarget,
];
const wanted = values.only?.split(",");
const targets = ALL_TARGETS.filter((t) => !wanted || wanted.includes(t.name));

const samples = new Map<string, { rss: number; anon: number; file: number }[]>(targets.map((t) => [t.name, []]));
for (let round = 0; round < rounds; round++) {
  // Rotate the order, so no target always runs first after a quiet machine or right after another.
  for (let i = 0; i < targets.length; i++) {
    const target = targets[(round + i) % targets.length]!;
    const running = await target.start([], {});
    await sleep(settleMs);
    const m = memory(running.proc.pid!);
    await running.stop();
    samples.get(target.name)!.push(m);
    process.stderr.write(`round ${round + 1}/${rounds} ${target.name}: VmRSS ${mib(m.rss)} MiB\n`);
  }
}

const report: Record<string, unknown> = {};
process.stdout.write(
  `\nidle RSS, default config, median of ${rounds} spawns, ${settleMs} ms after ready (MiB)\n` +
    `${"target".padEnd(10)} ${"VmRSS".padStart(7)} ${"anon".padStart(7)} ${"file".padStart(7)}   all VmRSS\n`,
);
for (const target of targets) {
  const s = samples.get(target.name)!;
  const med = { rss: median(s.map((x) => x.rss)), anon: median(s.map((x) => x.anon)), file: median(s.map((x) => x.file)) };
  process.stdout.write(
    `${target.name.padEnd(10)} ${mib(med.rss).padStart(7)} ${mib(med.anon).padStart(7)} ${mib(med.file).padStart(7)}   ${s.map((x) => mib(x.rss)).join(" ")}\n`,
  );
  report[target.name] = { medianKiB: med, samplesKiB: s };
}

for (const target of targets) {
  const modules = await listModules(target);
  (report[target.name] as Record<string, unknown>)["modules"] = modules;
  const byCount = (r: Record<string, number>) =>
    Object.entries(r)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
  process.stdout.write(
    `\n${target.name}: ${modules.total} modules (${modules.builtins} node: builtins)\n` +
      `  packages: ${byCount(modules.packages)}\n` +
      `  ours:     ${byCount(modules.ours)}\n`,
  );
  if (values.modules === "all") for (const f of modules.files) process.stdout.write(`    ${f}\n`);
}

if (values.out) writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
