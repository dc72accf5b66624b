import { runSimCli } from "./cli.js";

// Entry point of the `sim` binary.
process.exitCode = await runSimCli(process.argv.slice(2));
