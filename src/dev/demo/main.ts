import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatUsage, parseFlags, type FlagSpec } from "../../common/flags.js";
import type { ChildService } from "./processes.js";
import {
  adapterMappingYaml,
  bbrConfigWithMappingFile,
  devgwConfigYaml,
  eppEndpointsYaml,
  type SimPoolSpec,
  type StartedPool,
  startBbr,
  startDevgw,
  startEpp,
  startSimPool,
} from "./stack.js";

// `npm run demo`: the whole local stack (two simulator pools, BBR, EPP, devgw) in one command.

const FLAGS: readonly FlagSpec[] = [
  { name: "port", kind: "string", help: "devgw listener port", default: "8080" },
  { name: "time-scale", kind: "string", help: "simulator real ms per simulated ms", default: "1" },
  { name: "help", kind: "boolean", help: "print this help" },
];

const POOLS: readonly SimPoolSpec[] = [
  { name: "llama", model: "llama-3-8b", loraModules: ["sql-lora", "chat-lora"], replicas: 2 },
  { name: "qwen", model: "qwen-2.5-7b", loraModules: [], replicas: 2 },
];

function curlExamples(port: number): string {
  const url = `http://localhost:${port}/v1/chat/completions`;
  const json = "-H 'content-type: application/json'";
  const chat = (model: string, extra = "") =>
    `'{"model":"${model}","messages":[{"role":"user","content":"Hello!"}],"max_tokens":8${extra}}'`;
  return [
    "# a qwen replica answers; the EPP picks the replica by load and prefix (see x-inference-pod)",
    `curl -si ${url} ${json} -d ${chat("qwen-2.5-7b")}`,
    "# the same long system prompt keeps landing on the replica that has it cached (prefix affinity)",
    "P=$(printf 'You are a meticulous assistant. %.0s' $(seq 1 60))",
    `for q in 1 2 3; do curl -s -o /dev/null -D - ${url} ${json} -d "{\\"model\\":\\"qwen-2.5-7b\\",\\"messages\\":[{\\"role\\":\\"system\\",\\"content\\":\\"$P\\"},{\\"role\\":\\"user\\",\\"content\\":\\"Q$q\\"}],\\"max_tokens\\":8}" | grep -i x-inference-pod; done`,
    "# a LoRA adapter lands on its base model's pool",
    `curl -si ${url} ${json} -d ${chat("sql-lora")}`,
    "# streaming: SSE events arrive as the tokens are produced",
    `curl -sN ${url} ${json} -d ${chat("llama-3-8b", ',"stream":true')}`,
    "# an unknown model: no replica serves it, so the EPP answers 503 model_not_served",
    `curl -si ${url} ${json} -d ${chat("no-such-model")}`,
    "# a spoofed routing header cannot redirect: BBR overwrites it, so this lands on llama",
    `curl -si ${url} ${json} -H 'X-Gateway-Model-Name: qwen-2.5-7b' -d ${chat("chat-lora")}`,
    "# malformed JSON: BBR answers 400",
    `curl -si ${url} ${json} -d '{"model":'`,
  ].join("\n");
}

async function main(): Promise<number> {
  const parsed = parseFlags(process.argv.slice(2), FLAGS);
  if (!parsed.ok || parsed.value.flags.get("help") === "true") {
    const out = parsed.ok ? process.stdout : process.stderr;
    out.write(
      `${parsed.ok ? "" : `demo: ${parsed.error}\n\n`}Usage: npm run demo -- [flags]\n\nFlags:\n${formatUsage(FLAGS)}\n`,
    );
    return parsed.ok ? 0 : 2;
  }
  const port = Number(parsed.value.flags.get("port") ?? "8080");
  const timeScale = Number(parsed.value.flags.get("time-scale") ?? "1");
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !(timeScale >= 0)) {
    process.stderr.write("demo: --port must be a port number and --time-scale a non-negative number\n");
    return 2;
  }

  const dir = mkdtempSync(join(tmpdir(), "inference-bbr-demo-"));
  const log = (name: string) => join(dir, `${name}.log`);
  const services: ChildService[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      for (const s of [...services].reverse()) await s.stop();
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  try {
    const pools: StartedPool[] = [];
    for (const spec of POOLS) {
      const pool = await startSimPool(spec, { timeScale, logFile: log(`sim-${spec.name}`) });
      services.push(pool.service);
      pools.push(pool);
    }
    writeFileSync(join(dir, "adapters.yaml"), adapterMappingYaml(POOLS));
    writeFileSync(join(dir, "bbr.yaml"), bbrConfigWithMappingFile("adapters.yaml"));
    const bbr = await startBbr({ configPath: join(dir, "bbr.yaml"), logFile: log("bbr") });
    services.push(bbr.service);
    writeFileSync(join(dir, "endpoints.yaml"), eppEndpointsYaml(pools));
    const epp = await startEpp({ endpointsPath: join(dir, "endpoints.yaml"), logFile: log("epp") });
    services.push(epp.service);
    // BBR first (model headers, so the route is known), then the EPP (the replica).
    writeFileSync(
      join(dir, "devgw.yaml"),
      devgwConfigYaml({
        listeners: [{ name: "http", port }],
        processors: [
          { name: "bbr", grpcPort: bbr.grpcPort },
          { name: "epp", grpcPort: epp.grpcPort, messageTimeout: "10s" },
        ],
        pools,
      }),
    );
    const gw = await startDevgw({ configPath: join(dir, "devgw.yaml"), logFile: log("devgw") });
    services.push(gw.service);
    const gwPort = gw.listeners["http"]!;

    const lines = [
      "",
      "inference-bbr local stack (development tools, not a production gateway)",
      "",
      ...pools.map((p) => {
        const adapters = p.spec.loraModules.length ? ` (+ ${p.spec.loraModules.join(", ")})` : "";
        const where = p.instances.map((i) => `${i.name} @ 127.0.0.1:${i.port}`).join(", ");
        return `  ${`pool ${p.spec.name}`.padEnd(12)} ${p.spec.model}${adapters}: ${where}`;
      }),
      `  ${"bbr".padEnd(12)} ext_proc gRPC 127.0.0.1:${bbr.grpcPort}, metrics http://127.0.0.1:${bbr.metricsPort}/metrics`,
      `  ${"epp".padEnd(12)} ext_proc gRPC 127.0.0.1:${epp.grpcPort}, metrics http://127.0.0.1:${epp.metricsPort}/metrics`,
      `  ${"devgw".padEnd(12)} http://localhost:${gwPort} (HTTP/1.1 and h2c)`,
      `  configs and logs: ${dir} (edit adapters.yaml to remap LoRA adapters live)`,
      "",
      "Try:",
      "",
      curlExamples(gwPort),
      "",
      "Press Ctrl-C to stop everything.",
      "",
    ];
    process.stdout.write(lines.join("\n"));
  } catch (e) {
    process.stderr.write(`demo: ${(e as Error).message}\n`);
    await stopAll();
    return 1;
  }

  return new Promise<number>((resolve) => {
    const onSignal = (signal: string) => {
      process.stdout.write(`\n${signal}: stopping devgw, bbr and the simulators...\n`);
      stopAll().then(
        () => {
          process.stdout.write("stopped.\n");
          resolve(0);
        },
        () => resolve(1),
      );
    };
    process.once("SIGINT", () => onSignal("SIGINT"));
    process.once("SIGTERM", () => onSignal("SIGTERM"));
    // A child dying on its own leaves a broken stack: stop the rest and say so.
    for (const s of services) {
      s.child.once("exit", (code, signal) => {
        // Ctrl-C reaches the children too; give our own SIGINT handler the first word.
        setTimeout(() => {
          if (stopping) return;
          process.stderr.write(`demo: ${s.name} exited (${signal ?? `code ${code}`}); stopping\n`);
          stopAll().then(() => resolve(1));
        }, 200);
      });
    }
  });
}

process.exitCode = await main();
