import { writeFileSync } from "node:fs";
import { registerHooks } from "node:module";

/**
 * Preloaded with `--import` by bench/idle-rss.ts (in a separate spawn from the RSS ones, since
 * hooks cost memory of their own): records the URL of every module loaded, ESM or CommonJS,
 * and writes them one per line to $MODULE_LIST_OUT when the process exits.
 */
const out = process.env["MODULE_LIST_OUT"];
const loaded = new Set<string>();
registerHooks({
  load(url, context, nextLoad) {
    loaded.add(url);
    return nextLoad(url, context);
  },
});
process.on("exit", () => {
  if (out) writeFileSync(out, `${[...loaded].join("\n")}\n`);
});
