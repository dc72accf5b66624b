import { formatUsage } from "../../common/flags.js";
import { EXIT_CONFIG, EXIT_OK, EXIT_USAGE, readServerCommandLine } from "../../runtime/command-line.js";
import { runSubcommand, SUBCOMMANDS_USAGE } from "./dispatch.js";
import { formatConfigError } from "../../common/config-error.js";
import { BbrServer } from "../server/bbr-server.js";
import { BBR_FLAGS, type BbrServerOptions, optionsFromFlags } from "../server/options.js";

const USAGE = `bbr: Body-Based Routing ext_proc server for LLM inference Gateways

Usage: bbr [flags]
${SUBCOMMANDS_USAGE}

Flags:
${formatUsage(BBR_FLAGS)}
`;

/** Exit codes: 0 ok (including a completed drain), 1 config or start-up error, 2 bad command line, 130 forced stop. */
export { EXIT_CONFIG, EXIT_OK, EXIT_USAGE };
export const EXIT_INTERRUPTED = 130;

/**
 * runCli starts the server from command-line arguments. It resolves with an exit code when the
 * process should exit without serving; while serving it resolves only after a signal-driven
 * drain.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const subcommand = runSubcommand(argv);
  if (subcommand) return subcommand;
  const commandLine = readServerCommandLine("bbr", argv, BBR_FLAGS, USAGE, optionsFromFlags);
  if ("exit" in commandLine) return commandLine.exit;
  return serveUntilSignalled(commandLine.options);
}

/**
 * serveUntilSignalled starts the server and resolves with the exit code after a SIGTERM or
 * SIGINT drain. Handlers are installed before starting, so a signal that arrives while the
 * config loads (or right after "bbr serving" is logged) drains instead of killing the process.
 * A second signal exits at once.
 */
async function serveUntilSignalled(options: BbrServerOptions): Promise<number> {
  let server: BbrServer | undefined;
  let signalled: NodeJS.Signals | undefined;
  let drained: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    drained = resolve;
  });
  const drain = (running: BbrServer, signal: NodeJS.Signals) => {
    running.logger.info({ signal, inFlight: running.inFlightStreams }, "signal received; draining");
    running.stop().then(
      () => drained(EXIT_OK),
      () => drained(EXIT_CONFIG),
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled !== undefined) {
      // A second signal means "now": an operator's Ctrl-C twice, or a kubelet past its grace period.
      const detail = { signal, inFlight: server?.inFlightStreams ?? 0 };
      if (server) server.logger.warn(detail, "second signal; exiting without waiting for the drain");
      else process.stderr.write(`bbr: ${signal} during start-up; exiting\n`);
      process.exit(EXIT_INTERRUPTED);
    }
    signalled = signal;
    if (server) drain(server, signal);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  const failed = (code: number, message: string) => {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    process.stderr.write(message);
    return code;
  };
  try {
    const started = await BbrServer.start(options);
    if (!started.ok) return failed(EXIT_CONFIG, `bbr: invalid config\n${formatConfigError(started.error)}\n`);
    server = started.value;
  } catch (e) {
    return failed(EXIT_CONFIG, `bbr: cannot start: ${(e as Error).message}\n`);
  }
  if (signalled !== undefined) drain(server, signalled);
  return done;
}
