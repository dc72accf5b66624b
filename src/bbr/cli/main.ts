import { runCli } from "./cli.js";

// Entry point of the `bbr` binary and `npm start`.
process.exitCode = await runCli(process.argv.slice(2));
