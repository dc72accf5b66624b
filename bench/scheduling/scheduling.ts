// Scheduling quality benchmark (issue 9): the same request sequences through devgw's round-robin
// and through the EPP with several configs, on one simulator pool, at a sweep of request rates.
//
//   npm run bench:scheduling                 # full run, about 8 minutes
//   npm run bench:scheduling -- --quick      # under 2 minutes
//   npm run bench:scheduling -- --help
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadResult, resultOf, writeOutputs } from "./output.js";
import { type BenchPlan, planFor, type Sweep } from "./plan.js";
import { POLICIES } from "./policies.js";
import { repoRoot } from "./stack.js";
import { runPlan } from "./sweep.js";

const USAGE = `bench:scheduling: scheduling quality of round-robin vs EPP policies on a simulator pool

Options:
  --quick                 the short plan (under 2 minutes)
  --workloads a,b         only these workloads (shared-prefix, mixed, priority)
  --policies a,b          only these policies (round-robin, random, load-aware, default, flow-control)
  --rates r1,r2           override every selected workload's rates (simulated requests/s)
  --duration s            override the sending time (simulated seconds)
  --with-bbr              put BBR in front of the EPP in devgw's filter chain
  --out dir               results directory (default bench/results)
  --publish               also write bench/scheduling/results.{md,svg} (default: only after a full, unfiltered run)
  --render file.json      re-render the chart and summary of a saved run (no processes started)
  --keep-logs             keep the generated configs and process logs
`;

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    workloads: { type: "string" },
    policies: { type: "string" },
    rates: { type: "string" },
    duration: { type: "string" },
    "with-bbr": { type: "boolean", default: false },
    out: { type: "string" },
    publish: { type: "boolean" },
    render: { type: "string" },
    "keep-logs": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
const log = (line: string) => process.stdout.write(`${line}\n`);
const root = repoRoot();
const publishDir = join(root, "bench", "scheduling");

if (args.help) {
  process.stdout.write(USAGE);
} else if (args.render !== undefined) {
  const { result, plan } = loadResult(args.render);
  const stem = args.render.replace(/\.json$/, "");
  const { written } = writeOutputs(result, plan, stem, {
    writeJson: false,
    publishTo: args.publish ? publishDir : undefined,
  });
  log(`wrote ${written.join("\n      ")}`);
} else {
  await run();
}

async function run(): Promise<void> {
  const list = (s: string | undefined) =>
    s
      ?.split(",")
      .map((x) => x.trim())
      .filter(Boolean);
  const onlyWorkloads = list(args.workloads);
  const onlyPolicies = list(args.policies);
  const rates = list(args.rates)?.map(Number);
  const duration = args.duration === undefined ? undefined : Number(args.duration);
  for (const p of onlyPolicies ?? []) {
    if (!(p in POLICIES)) throw new Error(`unknown policy ${JSON.stringify(p)}`);
  }
  if (rates?.some((r) => !(r > 0)) || (duration !== undefined && !(duration > 0))) {
    throw new Error("--rates and --duration must be positive numbers");
  }
  const filtered = [onlyWorkloads, onlyPolicies, rates, duration].some((v) => v !== undefined);
  const base = planFor(args.quick ? "quick" : "full");
  const plan: BenchPlan = {
    ...base,
    sweeps: base.sweeps
      .filter((s) => onlyWorkloads === undefined || onlyWorkloads.includes(s.workload.name))
      .map(
        (s): Sweep => ({
          ...s,
          policies: s.policies.filter((p) => onlyPolicies === undefined || onlyPolicies.includes(p)),
          rates: rates ?? s.rates,
          durationS: duration ?? s.durationS,
          warmupS: duration === undefined ? s.warmupS : Math.min(s.warmupS, duration / 4),
        }),
      ),
  };

  const outDir = args.out ?? join(root, "bench", "results");
  mkdirSync(outDir, { recursive: true });
  const workDir = mkdtempSync(join(tmpdir(), "bench-scheduling-"));
  const startedAt = new Date().toISOString();
  const began = performance.now();
  log(`bench:scheduling (${plan.mode}${filtered ? ", filtered" : ""}); logs and configs in ${workDir}`);
  const records = await runPlan(plan, { withBbr: args["with-bbr"], workDir, log });
  const result = resultOf(plan, records, {
    startedAt,
    wallSeconds: Math.round((performance.now() - began) / 100) / 10,
    filtered,
    withBbr: args["with-bbr"],
  });
  const stem = join(outDir, `scheduling-${startedAt.replace(/[:.]/g, "-")}`);
  const publish = args.publish ?? (!filtered && plan.mode === "full");
  const { written, summary } = writeOutputs(result, plan, stem, {
    writeJson: true,
    publishTo: publish ? publishDir : undefined,
  });
  log(`\nwrote ${written.join("\n      ")}\n\n${summary}`);
  if (!args["keep-logs"]) rmSync(workDir, { recursive: true, force: true });
}
