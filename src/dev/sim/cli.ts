import { formatUsage } from "../../common/flags.js";
import { createLogger } from "../../common/logger.js";
import { EXIT_CONFIG, EXIT_OK, readServerCommandLine } from "../../runtime/command-line.js";
import { untilSignal } from "../../runtime/signals.js";
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
    await stopAll(instances);
    throw e;
  }
  return instances;
}

/** runSimCli runs `sim`; it resolves with the exit code after SIGINT/SIGTERM. */
export async function runSimCli(argv: readonly string[]): Promise<number> {
  const commandLine = readServerCommandLine("sim", argv, SIM_FLAGS, USAGE, simOptionsFromFlags);
  if ("exit" in commandLine) return commandLine.exit;
  const { options } = commandLine;
  const logger = createLogger(options.logLevel, "sim");
  let instances: SimInstance[];
  try {
    instances = await startSimReplicas(options, logger);
  } catch (e) {
    process.stderr.write(`sim: cannot start: ${(e as Error).message}\n`);
    return EXIT_CONFIG;
  }
  logger.info(
    {
      model: options.model,
      loraModules: options.loraModules,
      instances: instances.map((s) => ({ name: s.instanceName, port: s.port })),
      timeScale: options.engine.timeScale,
    },
    "sim serving",
  );
  return untilSignal(() => stopAll(instances), logger, EXIT_OK, EXIT_CONFIG);
}

function stopAll(instances: readonly SimInstance[]): Promise<void> {
  return Promise.all(instances.map((s) => s.stop())).then(() => undefined);
}
