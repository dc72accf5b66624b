import { runDevgwCli } from "./cli.js";

// Entry point of the `devgw` binary.
process.exitCode = await runDevgwCli(process.argv.slice(2));
