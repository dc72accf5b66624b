import { runCli } from "./cli.js";

// Entry point of the `epp` binary.
process.exitCode = await runCli(process.argv.slice(2));
