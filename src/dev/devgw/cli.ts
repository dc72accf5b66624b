import { formatUsage, parseFlags, type FlagSpec } from "../../common/flags.js";
import { createLogger, LOG_LEVELS, type LogLevel } from "../../common/logger.js";
import { untilSignal } from "../../runtime/signals.js";
import { loadDevgwConfig } from "./config.js";
import { DevGateway } from "./gateway.js";

/** DEVGW_FLAGS are the `devgw` command-line flags. */
export const DEVGW_FLAGS: readonly FlagSpec[] = [
  { name: "config", kind: "string", help: "devgw config YAML file (required)" },
  { name: "log-level", kind: "string", help: `log level (${LOG_LEVELS.join(", ")})`, default: "info" },
  { name: "help", kind: "boolean", help: "print this help" },
];

const USAGE = `devgw: development data plane (an Envoy stand-in with ext_proc) for local runs and tests

Usage: devgw --config FILE [flags]

Flags:
${formatUsage(DEVGW_FLAGS)}
`;

/** runDevgwCli runs `devgw`: 0 after a signal, 1 on a bad config or start failure, 2 on bad flags. */
export async function runDevgwCli(argv: readonly string[]): Promise<number> {
  const parsed = parseFlags(argv, DEVGW_FLAGS);
  if (!parsed.ok) {
    process.stderr.write(`devgw: ${parsed.error}\n\n${USAGE}`);
    return 2;
  }
  const { flags, positional } = parsed.value;
  if (flags.get("help") === "true") {
    process.stdout.write(USAGE);
    return 0;
  }
  const configPath = flags.get("config");
  const level = flags.get("log-level") ?? "info";
  if (positional.length > 0 || configPath === undefined || !(LOG_LEVELS as readonly string[]).includes(level)) {
    const why =
      positional.length > 0
        ? `unexpected argument ${JSON.stringify(positional[0])}`
        : configPath === undefined
          ? "--config is required"
          : `--log-level: invalid level ${JSON.stringify(level)}`;
    process.stderr.write(`devgw: ${why}\n\n${USAGE}`);
    return 2;
  }
  const config = loadDevgwConfig(configPath);
  if (!config.ok) {
    process.stderr.write(`devgw: invalid config\n${config.error.join("\n")}\n`);
    return 1;
  }
  const logger = createLogger(level as LogLevel, "devgw");
  let gw: DevGateway;
  try {
    gw = await DevGateway.start(config.value, logger);
  } catch (e) {
    process.stderr.write(`devgw: cannot start: ${(e as Error).message}\n`);
    return 1;
  }
  logger.info({ listeners: Object.fromEntries(gw.listeners.map((l) => [l.name, l.port])) }, "devgw serving");
  return untilSignal(() => gw.stop(), logger, 0, 1);
}
