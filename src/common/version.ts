import { readFileSync } from "node:fs";

let cached: string | undefined;

/** packageVersion reads the version from package.json (src/ and dist/ sit at the same depth). */
export function packageVersion(): string {
  if (cached === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string };
      cached = pkg.version ?? "unknown";
    } catch {
      cached = "unknown";
    }
  }
  return cached;
}
