import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { formatProfile, summariseProfile } from "./profile.js";

/**
 * Summarise .cpuprofile files (from `npm run bench -- --cpu-prof`): self time per owner and
 * per function, heaviest first.
 *
 *   node dist-bench/bench/profile-summary.js <file | directory> [top] [exchanges]
 *
 * With `exchanges` (from the results JSON), times print as µs per exchange.
 */

const [target, topText, exchangesText] = process.argv.slice(2);
if (!target) {
  process.stderr.write("usage: profile-summary <file.cpuprofile | directory> [top] [exchanges]\n");
  process.exit(2);
}
const files = statSync(target).isDirectory()
  ? readdirSync(target)
      .filter((f) => f.endsWith(".cpuprofile"))
      .map((f) => join(target, f))
  : [target];
for (const f of files) {
  const summary = summariseProfile(f);
  process.stdout.write(
    `${f}\n${formatProfile(summary, Number(topText ?? 25), exchangesText ? Number(exchangesText) : undefined)}\n\n`,
  );
}
