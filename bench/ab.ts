import { writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { Child } from "./ipc.js";
import type { LoadSpec, LoadStats } from "./load/load-generator.js";
import type { WindowStats } from "./servers/window.js";

/**
 * `npm run bench:ab -- --old=<server-main.js of another build>` — BBR at another commit against
 * BBR now, with the grpc-js no-op, side by side in one run: each round measures all three in
 * rotating order, and the medians over rounds are compared. It answers "did this change make
 * the hot path slower?" (a refactor's acceptance), which the main bench cannot, as it only
 * knows the servers of this checkout. See bench/README.md for the commands that build the old
 * side.
 *
 *   --old=PATH      compiled bench/servers/server-main.js of the other checkout (required)
 *   --rounds=N      rounds per scenario (default 5)
 *   --out=PATH      where to write the JSON (default: stdout only)
 */

interface Side {
  readonly name: string;
  readonly script: URL;
  readonly kind: "bbr" | "noop-grpc";
}

interface Scenario {
  readonly label: string;
  readonly size: number;
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly measureMs: number;
}

const SCENARIOS: readonly Scenario[] = [
  { label: "1 KiB x 64", size: 1024, concurrency: 64, warmupMs: 1500, measureMs: 4000 },
  { label: "1 MiB x 4, model last", size: 1024 * 1024, concurrency: 4, warmupMs: 1500, measureMs: 5000 },
];

const { values } = parseArgs({
  options: { old: { type: "string" }, rounds: { type: "string", default: "5" }, out: { type: "string" } },
});
if (!values.old) {
  process.stderr.write("bench:ab: --old=<path to the other build's bench/servers/server-main.js> is required\n");
  process.exit(2);
}
const rounds = Number(values.rounds);
const here = new URL("./servers/server-main.js", import.meta.url);
const sides: readonly Side[] = [
  { name: "bbr-old", script: pathToFileURL(values.old), kind: "bbr" },
  { name: "bbr-new", script: here, kind: "bbr" },
  { name: "noop-grpc", script: here, kind: "noop-grpc" },
];

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

async function measureScenario(load: Child, scenario: Scenario): Promise<Record<string, number[]>> {
  const running = await Promise.all(
    sides.map(async (side) => {
      const child = Child.spawn(side.name, side.script, [side.kind]);
      const { port } = await child.ready<{ port: number }>();
      return { side, child, port };
    }),
  );
  const spec = (port: number, kind: Side["kind"]): LoadSpec => ({
    port,
    body: { size: scenario.size, modelPosition: "last", content: "chat" },
    concurrency: scenario.concurrency,
    expectModel: kind === "bbr",
  });
  const cpu: Record<string, number[]> = {};
  try {
    // Cold code first runs unmeasured, until the JIT has settled.
    for (const r of running) {
      await load.call("prepare", spec(r.port, r.side.kind));
      await load.call("start");
      await sleep(3000);
      await load.call("stop");
    }
    for (let round = 0; round < rounds; round++) {
      const order = running.map((_, i) => running[(i + round) % running.length]!);
      for (const r of order) {
        await load.call("prepare", spec(r.port, r.side.kind));
        await load.call("start");
        await sleep(scenario.warmupMs);
        await Promise.all([r.child.call("window-start", {}), load.call("mark")]);
        await sleep(scenario.measureMs);
        const [server, client] = await Promise.all([
          r.child.call<WindowStats>("window-stop", {}),
          load.call<LoadStats>("collect"),
        ]);
        await load.call("stop");
        if (client.errors + client.wrong > 0) throw new Error(`${r.side.name}: ${client.firstProblem}`);
        const perExchange = server.cpuUs / client.exchanges;
        const samples = cpu[r.side.name] ?? [];
        samples.push(perExchange);
        cpu[r.side.name] = samples;
        process.stderr.write(`${scenario.label} ${r.side.name} round ${round}: ${perExchange.toFixed(1)} µs/ex\n`);
      }
    }
  } finally {
    await Promise.all(running.map((r) => r.child.stop()));
  }
  return cpu;
}

const load = Child.spawn("load-generator", new URL("./load/load-generator.js", import.meta.url), []);
await load.ready();
const report: Record<string, unknown> = { rounds, old: values.old };
const lines: string[] = ["scenario                 old µs/ex  new µs/ex  no-op µs/ex  new/old  new/no-op  old/no-op"];
try {
  for (const scenario of SCENARIOS) {
    const cpu = await measureScenario(load, scenario);
    const [o, n, f] = [median(cpu["bbr-old"]!), median(cpu["bbr-new"]!), median(cpu["noop-grpc"]!)];
    report[scenario.label] = { cpuUsPerExchange: { old: o, new: n, noop: f, samples: cpu }, newOverOld: n / o };
    lines.push(
      `${scenario.label.padEnd(24)} ${o.toFixed(1).padStart(9)}  ${n.toFixed(1).padStart(9)}  ${f.toFixed(1).padStart(11)}  ${(n / o).toFixed(3).padStart(7)}  ${(n / f).toFixed(2).padStart(9)}  ${(o / f).toFixed(2).padStart(9)}`,
    );
  }
} finally {
  await load.stop();
}
process.stdout.write(`${lines.join("\n")}\n`);
if (values.out) writeFileSync(values.out, JSON.stringify(report, null, 2));
