import { formatUsage, parseFlags } from "../../common/flags.js";
import { createLogger } from "../../common/logger.js";
import { SIM_FLAGS, type SimOptions, simOptionsFromFlags } from "./options.js";
import { SimInstance } from "./server.js";

const USAGE = `sim: a simulated vLLM model server (OpenAI API, vLLM metrics) for development and tests

Usage: sim [flags]

Flags:
${formatUsage(SIM_FLAGS)}
`;

/** startSimReplicas starts every replica of a sim process; on failure, started ones are stopped. */
export async function startSimReplicas(
  options: SimOptions,
  logger = createLogger(options.logLevel, "sim"),
): Promise<SimInstance[]> {
  const instances: SimInstance[] = [];
  try {
    for (let i = 0; i < options.replicas; i++) {
      const name =
        options.name === undefined ? undefined : options.replicas > 1 ? `${options.name}-${i}` : options.name;
      const instance = new SimInstance(options, logger, name);
      instances.push(instance);
      await instance.start(options.port === 0 ? 0 : options.port + i);
    }
  } catch (e) {
    await Promise.all(instances.map((s) => s.stop()));
    throw e;
  }
  return instances;
}

/** runSimCli runs `sim`; it resolves with the exit code after SIGINT/SIGTERM. */
export async function runSimCli(argv: readonly string[]): Promise<number> {
  const parsed = parseFlags(argv, SIM_FLAGS);
  if (!parsed.ok) {
    process.stderr.write(`sim: ${parsed.error}\n\n${USAGE}`);
    return 2;
  }
  const { flags, positional } = parsed.value;
  if (flags.get("help") === "true") {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positional.length > 0) {
    process.stderr.write(`sim: unexpected argument ${JSON.stringify(positional[0])}\n\n${USAGE}`);
    return 2;
  }
  flags.delete("help");
  const options = simOptionsFromFlags(flags);
  if (!options.ok) {
    process.stderr.write(`sim: ${options.error.join("\n")}\n`);
    return 2;
  }
  const logger = createLogger(options.value.logLevel, "sim");
  let instances: SimInstance[];
  try {
    instances = await startSimReplicas(options.value, logger);
  } catch (e) {
    process.stderr.write(`sim: cannot start: ${(e as Error).message}\n`);
    return 1;
  }
  logger.info(
    {
      model: options.value.model,
      loraModules: options.value.loraModules,
      instances: instances.map((s) => ({ name: s.instanceName, port: s.port })),
      timeScale: options.value.engine.timeScale,
    },
    "sim serving",
  );
  return new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, "stopping");
      Promise.all(instances.map((s) => s.stop())).then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
}
