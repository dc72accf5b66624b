import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Child } from "./ipc.js";
import type { LoadSpec, LoadStats } from "./load/load-generator.js";
import { type MicroResult, runMicro } from "./micro/extraction.js";
import { type Plan, type Position, planFrom } from "./plan.js";
import { type LoadResult, medians, printReport, ratios, sizeLabel, targets } from "./report.js";
import { summariseProfile } from "./profile.js";
import { isBbr, isEpp, type ServerKind } from "./servers/kinds.js";
import type { ServerReady, WindowArgs } from "./servers/server-main.js";
import type { WindowStats } from "./servers/window.js";

/**
 * `npm run bench` — BBR against a no-op ext_proc floor on each transport (grpc-js and
 * connect-node), side by side, plus extraction micro-benchmarks; `--servers=epp,noop-grpc` puts
 * the EPP (default plugins, 16 static endpoints) against the grpc-js floor. See bench/README.md
 * for how to read the output.
 *
 *   npm run bench                 full matrix, one round (~13 min)
 *   npm run bench -- --quick      the targets' scenarios only (< 2 min)
 *   npm run bench:smoke           one tiny iteration of everything (CI: catches rot, not regressions)
 *
 * Options: --rounds=N  --sizes=1k,100k,1m,10m  --concurrency=1,16  --positions=first,last
 *          --servers=bbr,noop-grpc,bbr-connect,noop-connect[,epp]  --content=chat|code|image  --no-micro
 *          --no-load  --cpu-prof (a CPU profile of every measurement window, in
 *          bench/results/profiles/<run>/, summarised in µs per exchange in the JSON)
 *          --node-options="--flag ..." (Node/V8 flags for every server process, e.g. heap sizing)
 */

const MiB = 1024 * 1024;
const resultsDir = new URL("../../bench/results/", import.meta.url);
const serverScript = new URL("./servers/server-main.js", import.meta.url);
const loadScript = new URL("./load/load-generator.js", import.meta.url);

interface Running {
  readonly kind: ServerKind;
  readonly child: Child;
  readonly port: number;
  /** destinations (EPP only) are the endpoints a destination header may name. */
  readonly destinations: readonly string[] | undefined;
}

async function startServers(plan: Plan): Promise<Running[]> {
  return Promise.all(
    plan.servers.map(async (kind) => {
      const child = Child.spawn(kind, serverScript, [kind], [...plan.nodeOptions]);
      const { port, destinations } = await child.ready<ServerReady>();
      return { kind, child, port, destinations };
    }),
  );
}

/** destinationsOf is the EPP's destination check for a load spec (nothing for the other servers). */
function destinationsOf(server: Running): Pick<LoadSpec, "expectDestinations"> {
  if (!isEpp(server.kind)) return {};
  if (!server.destinations) throw new Error("the epp server announced no endpoints");
  return { expectDestinations: server.destinations };
}

/** measure runs one scenario against one server: warm up, then a measurement window on both sides. */
async function measure(
  plan: Plan,
  load: Child,
  server: Running,
  scenario: { size: number; concurrency: number; modelPosition: Position },
  round: number,
  profileDir: string,
): Promise<LoadResult> {
  const spec: LoadSpec = {
    port: server.port,
    body: { size: scenario.size, modelPosition: scenario.modelPosition, content: plan.content },
    concurrency: scenario.concurrency,
    expectModel: isBbr(server.kind),
    ...destinationsOf(server),
  };
  const { bodyBytes, chunks } = await load.call<{ bodyBytes: number; chunks: number }>("prepare", spec);
  const { warmupMs, measureMs } = plan.window(scenario.size);
  const window: WindowArgs = plan.cpuProf
    ? {
        profile: `${profileDir}${server.kind}-${sizeLabel(scenario.size).replace(" ", "")}-c${scenario.concurrency}-${scenario.modelPosition}-r${round}.cpuprofile`,
      }
    : {};
  await load.call("start");
  await sleep(warmupMs);
  await Promise.all([server.child.call("window-start", window), load.call("mark")]);
  await sleep(measureMs);
  const [serverStats, loadStats] = await Promise.all([
    server.child.call<WindowStats>("window-stop", window),
    load.call<LoadStats>("collect"),
  ]);
  await load.call("stop");
  const profile = window.profile ? profileOf(window.profile, loadStats.exchanges) : undefined;
  const perExchange = (us: number) => (loadStats.exchanges > 0 ? us / loadStats.exchanges : Number.NaN);
  return {
    server: server.kind,
    size: scenario.size,
    bodyBytes,
    chunks,
    content: plan.content,
    concurrency: scenario.concurrency,
    modelPosition: scenario.modelPosition,
    round,
    exchangesPerSec: (loadStats.exchanges * 1000) / loadStats.windowMs,
    p50Ms: loadStats.p50Ms,
    p99Ms: loadStats.p99Ms,
    serverCpuUsPerExchange: perExchange(serverStats.cpuUs),
    serverCpuCores: serverStats.cpuUs / 1000 / serverStats.wallMs,
    clientCpuUsPerExchange: perExchange(loadStats.clientCpuUs),
    serverRssPeakMiB: serverStats.rssPeakBytes / MiB,
    eventLoopDelayMs: serverStats.eventLoopDelayMs,
    load: loadStats,
    ...(profile ? { profile } : {}),
  };
}

/** profileOf boils a window's profile down to µs per exchange by owner (top 12). */
function profileOf(file: string, exchanges: number): NonNullable<LoadResult["profile"]> {
  const s = summariseProfile(file);
  const per = (us: number) => (exchanges > 0 ? us / exchanges : Number.NaN);
  return {
    file,
    busyUsPerExchange: per(s.busyMs * 1000),
    owners: s.owners.slice(0, 12).map(([owner, us]) => ({ owner, usPerExchange: per(us) })),
    functions: s.functions.slice(0, 12).map(([fn, us]) => ({ fn, usPerExchange: per(us) })),
  };
}

/** prime loads a server, unmeasured, so its hot paths are optimised before the first window. */
async function prime(plan: Plan, load: Child, server: Running, size: number): Promise<void> {
  const spec: LoadSpec = {
    port: server.port,
    body: { size, modelPosition: "last", content: plan.content },
    concurrency: 16,
    expectModel: isBbr(server.kind),
    ...destinationsOf(server),
  };
  await load.call("prepare", spec);
  await load.call("start");
  await sleep(plan.primeMs);
  await load.call("stop");
}

async function runLoad(plan: Plan, profileDir: string, log: (s: string) => void): Promise<LoadResult[]> {
  const results: LoadResult[] = [];
  if (plan.sizes.length === 0) return results;
  if (plan.cpuProf) mkdirSync(profileDir, { recursive: true });
  const load = Child.spawn("load-generator", loadScript, []);
  await load.ready();
  try {
    for (const size of plan.sizes) {
      // Fresh server processes per body size, so peak RSS is this size's, not a larger one's.
      const servers = await startServers(plan);
      try {
        // A fresh process runs cold code: load each one unmeasured until the JIT has settled.
        for (const server of servers) await prime(plan, load, server, size);
        for (const concurrency of plan.concurrency) {
          if (concurrency * size > plan.maxInFlightBytes) {
            log(`skip ${sizeLabel(size)} x ${concurrency}: over ${plan.maxInFlightBytes / MiB} MiB in flight`);
            continue;
          }
          for (const modelPosition of plan.positions) {
            for (let round = 0; round < plan.rounds; round++) {
              // Rotate the order each round so no server always runs first (or last) in a burst.
              const order = servers.map((_, i) => servers[(i + round) % servers.length]!);
              for (const server of order) {
                const r = await measure(plan, load, server, { size, concurrency, modelPosition }, round, profileDir);
                results.push(r);
                const problems = r.load.errors + r.load.wrong;
                log(
                  `${sizeLabel(size).padEnd(7)} c=${String(concurrency).padEnd(3)} model ${modelPosition.padEnd(5)} ${r.server.padEnd(12)} ` +
                    `${r.exchangesPerSec.toFixed(0).padStart(6)} exch/s  p50 ${r.p50Ms.toFixed(3)} ms  cpu ${r.serverCpuUsPerExchange.toFixed(0)} µs/ex` +
                    (problems ? `  PROBLEMS ${problems}: ${r.load.firstProblem}` : ""),
                );
                if (r.profile) {
                  const top = r.profile.owners.slice(0, 8).map((o) => `${o.owner} ${o.usPerExchange.toFixed(0)}`);
                  log(`    profile: ${r.profile.busyUsPerExchange.toFixed(0)} µs/ex busy: ${top.join(", ")}`);
                }
              }
            }
          }
        }
      } finally {
        await Promise.all(servers.map((s) => s.child.stop()));
      }
    }
  } finally {
    await load.stop();
  }
  return results;
}

function gitCommit(): string | undefined {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  const plan = planFrom(process.argv.slice(2));
  const started = new Date();
  const stamp = started.toISOString().replace(/[:.]/g, "-");
  const profileDir = fileURLToPath(new URL(`profiles/${stamp}/`, resultsDir));
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const loadAvgStart = loadavg();
  log(`bench ${plan.mode}: ${cpus().length} cores, load average ${loadAvgStart.map((l) => l.toFixed(2)).join(" ")}`);

  const load = await runLoad(plan, profileDir, log);
  let micro: MicroResult[] = [];
  if (plan.micro) {
    log(
      `load done after ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s; micro-benchmarks: model extraction vs JSON.parse`,
    );
    micro = await runMicro(plan.micro);
  }

  const rows = medians(load);
  const rs = ratios(rows);
  const ts = plan.mode === "smoke" ? [] : targets(rows, rs, micro);
  const problems = load.reduce((a, r) => a + r.load.errors + r.load.wrong, 0);
  const report = {
    version: 1,
    mode: plan.mode,
    startedAt: started.toISOString(),
    durationSec: (Date.now() - started.getTime()) / 1000,
    environment: {
      node: process.version,
      v8: process.versions.v8,
      cpu: cpus()[0]?.model,
      cores: cpus().length,
      totalMemMiB: Math.round(totalmem() / MiB),
      freeMemMiB: Math.round(freemem() / MiB),
      loadAverageStart: loadAvgStart,
      loadAverageEnd: loadavg(),
      commit: gitCommit(),
    },
    plan: { ...plan, window: plan.sizes.map((s) => ({ size: s, ...plan.window(s) })) },
    load,
    medians: rows,
    ratios: rs,
    micro,
    targets: ts,
    problems,
  };
  mkdirSync(resultsDir, { recursive: true });
  const file = new URL(`${stamp}-${plan.mode}.json`, resultsDir);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${printReport(rows, rs, micro, ts)}\n\nresults: ${fileURLToPath(file)}\n`);
  if (plan.cpuProf) process.stdout.write(`profiles: ${profileDir}\n`);
  if (problems > 0)
    process.stdout.write(`\n${problems} exchanges failed or were answered wrongly (see "load" in the JSON)\n`);
  return problems > 0 ? 1 : 0;
}

process.exitCode = await main();
