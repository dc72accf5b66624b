import { formatConfigError } from "../../common/config-error.js";
import { formatUsage } from "../../common/flags.js";
import { EXIT_CONFIG, EXIT_OK, EXIT_USAGE, readServerCommandLine } from "../../runtime/command-line.js";
import { untilSignal } from "../../runtime/signals.js";
import { EppServer } from "../server/epp-server.js";
import { EPP_FLAGS, optionsFromFlags } from "../server/options.js";

const USAGE = `epp: Endpoint Picker ext_proc server for LLM inference Gateways

Usage: epp [flags]

Flags:
${formatUsage(EPP_FLAGS)}
`;

/** Exit codes: 0 ok, 1 config or start-up error, 2 bad command line. */
export { EXIT_CONFIG, EXIT_OK, EXIT_USAGE };

/**
 * runCli starts the server from command-line arguments. It resolves with an exit code when the
 * process should exit without serving; while serving it resolves only after a signal-driven
 * drain.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const commandLine = readServerCommandLine("epp", argv, EPP_FLAGS, USAGE, optionsFromFlags);
  if ("exit" in commandLine) return commandLine.exit;
  let server: EppServer;
  try {
    const started = await EppServer.start(commandLine.options);
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
