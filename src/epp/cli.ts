import { formatConfigError } from "../common/config-error.js";
import { formatUsage, parseFlags } from "../common/flags.js";
import { packageVersion } from "../common/version.js";
import { untilSignal } from "../server/signals.js";
import { EppServer } from "./server/epp-server.js";
import { EPP_FLAGS, optionsFromFlags } from "./server/options.js";

const USAGE = `epp: Endpoint Picker ext_proc server for LLM inference Gateways

Usage: epp [flags]

Flags:
${formatUsage(EPP_FLAGS)}
`;

/** Exit codes: 0 ok, 1 config or start-up error, 2 bad command line. */
export const EXIT_OK = 0;
export const EXIT_CONFIG = 1;
export const EXIT_USAGE = 2;

/**
 * runCli starts the server from command-line arguments. It resolves with an exit code when the
 * process should exit without serving; while serving it resolves only after a signal-driven
 * drain.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const parsed = parseFlags(argv, EPP_FLAGS);
  if (!parsed.ok) {
    process.stderr.write(`epp: ${parsed.error}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const { flags, positional } = parsed.value;
  if (flags.get("help") === "true") {
    process.stdout.write(USAGE);
    return EXIT_OK;
  }
  if (flags.get("version") === "true") {
    process.stdout.write(`${packageVersion()}\n`);
    return EXIT_OK;
  }
  if (positional.length > 0) {
    process.stderr.write(`epp: unexpected argument ${JSON.stringify(positional[0])}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  flags.delete("help");
  flags.delete("version");
  const options = optionsFromFlags(flags);
  if (!options.ok) {
    process.stderr.write(`epp: ${options.error.join("\n")}\n`);
    return EXIT_USAGE;
  }
  let server: EppServer;
  try {
    const started = await EppServer.start(options.value);
    if (!started.ok) {
      process.stderr.write(`epp: invalid configuration\n${formatConfigError(started.error)}\n`);
      return EXIT_CONFIG;
    }
    server = started.value;
  } catch (e) {
    process.stderr.write(`epp: cannot start: ${(e as Error).message}\n`);
    return EXIT_CONFIG;
  }
  return untilSignal(() => server.stop(), server.logger, EXIT_OK, EXIT_CONFIG);
}
