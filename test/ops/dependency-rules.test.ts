import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { cruise } from "dependency-cruiser";
import extractDepcruiseOptions from "dependency-cruiser/config-utl/extract-depcruise-options";
import { describe, expect, it } from "vitest";

// Runs the project's dependency-cruiser config (the one `npm run deps` and .ci/run use) over tiny
// trees under test/fixtures/dependency-rules/: one tree per rule, named after it, that breaks
// exactly that rule, and one clean tree shaped like src/ that breaks none. This proves each rule
// fires on what it is meant to catch and stays quiet on the layering it protects.
const PROJECT_CONFIG = join(import.meta.dirname, "../../.dependency-cruiser.cjs");
const FIXTURES = join(import.meta.dirname, "../fixtures/dependency-rules");

type Violation = { rule: string; from: string; to: string };

const byPosition = (a: Violation, b: Violation) =>
  `${a.rule} ${a.from} ${a.to}`.localeCompare(`${b.rule} ${b.from} ${b.to}`);

/** violationsIn cruises `baseDir`/src with the project config; paths are relative to baseDir. */
async function violationsIn(baseDir: string): Promise<Violation[]> {
  const options = await extractDepcruiseOptions(PROJECT_CONFIG);
  // baseDir must be absolute: relative to it, packages resolve from the project's node_modules.
  const result = await cruise(["src"], { ...options, baseDir });
  if (typeof result.output === "string") throw new Error("cruise returned a report, not a result");
  return result.output.summary.violations
    .map((violation) => ({ rule: violation.rule.name, from: violation.from, to: violation.to }))
    .sort(byPosition);
}

const CASES: { tree: string; expected: Violation[] }[] = [
  { tree: "clean", expected: [] },
  {
    tree: "no-circular",
    expected: [{ rule: "no-circular", from: "src/runtime/server.ts", to: "src/runtime/signals.ts" }],
  },
  {
    // admin → server and server → admin through four different modules: no module cycle.
    tree: "no-folder-cycles",
    expected: [
      { rule: "no-folder-cycles", from: "src/bbr/admin", to: "src/bbr/server" },
      { rule: "no-folder-cycles", from: "src/bbr/server", to: "src/bbr/admin" },
    ],
  },
  {
    tree: "core-not-to-products",
    expected: [
      { rule: "core-not-to-products", from: "src/extproc/lifecycle.ts", to: "src/bbr/pipeline/decision.ts" },
      { rule: "core-not-to-products", from: "src/plugin/registry.ts", to: "src/dev/sim/sim.ts" },
      { rule: "core-not-to-products", from: "src/plugin/registry.ts", to: "src/epp/api/plugin.ts" },
    ],
  },
  {
    tree: "bbr-epp-independent",
    expected: [
      { rule: "bbr-epp-independent", from: "src/bbr/pipeline/chain.ts", to: "src/epp/api/endpoint.ts" },
      { rule: "bbr-epp-independent", from: "src/epp/scheduling/scheduler.ts", to: "src/bbr/api/headers.ts" },
    ],
  },
  {
    tree: "bbr-plugin-not-to-other-plugin",
    expected: [
      {
        rule: "bbr-plugin-not-to-other-plugin",
        from: "src/bbr/plugins/base-model-to-header/base-model-to-header.ts",
        to: "src/bbr/plugins/body-field-to-header/body-field-to-header.ts",
      },
    ],
  },
  {
    // Within one area and across areas.
    tree: "epp-plugin-not-to-other-plugin",
    expected: [
      {
        rule: "epp-plugin-not-to-other-plugin",
        from: "src/epp/plugins/prefix/prefix-cache-scorer/prefix-cache-scorer.ts",
        to: "src/epp/plugins/prefix/approx-prefix-cache-producer/approx-prefix-cache-producer.ts",
      },
      {
        rule: "epp-plugin-not-to-other-plugin",
        from: "src/epp/plugins/scorer/queue-scorer/queue-scorer.ts",
        to: "src/epp/plugins/picker/random-picker/random-picker.ts",
      },
    ],
  },
  {
    tree: "epp-plugin-helper-not-to-plugin",
    expected: [
      {
        rule: "epp-plugin-helper-not-to-plugin",
        from: "src/epp/plugins/picker/random.ts",
        to: "src/epp/plugins/picker/random-picker/random-picker.ts",
      },
    ],
  },
  {
    tree: "plugin-not-to-config",
    expected: [
      {
        rule: "plugin-not-to-config",
        from: "src/bbr/plugins/model-alias/model-alias.ts",
        to: "src/bbr/config/loader.ts",
      },
      {
        rule: "plugin-not-to-config",
        from: "src/epp/plugins/filter/model-filter/model-filter.ts",
        to: "src/epp/config/schema.ts",
      },
    ],
  },
  {
    // Both gen files also import @bufbuild/protobuf and envoy_pb imports base_pb: both allowed.
    tree: "gen-only-protobuf",
    expected: [
      { rule: "gen-only-protobuf", from: "src/gen/envoy_pb.ts", to: "path" },
      { rule: "gen-only-protobuf", from: "src/gen/envoy_pb.ts", to: "src/common/result.ts" },
    ],
  },
  {
    tree: "production-not-to-test-or-bench",
    expected: [
      { rule: "production-not-to-test-or-bench", from: "src/runtime/server.ts", to: "bench/corpus.ts" },
      { rule: "production-not-to-test-or-bench", from: "src/runtime/server.ts", to: "test/support/ports.ts" },
    ],
  },
  {
    tree: "common-is-bottom",
    expected: [{ rule: "common-is-bottom", from: "src/common/logger.ts", to: "src/runtime/tracing/tracer.ts" }],
  },
];

describe("dependency rules (.dependency-cruiser.cjs)", () => {
  it.each(CASES)("$tree", async ({ tree, expected }) => {
    expect(await violationsIn(join(FIXTURES, tree))).toEqual([...expected].sort(byPosition));
  });

  it("has one violating tree per rule, breaking only that rule", async () => {
    const options = await extractDepcruiseOptions(PROJECT_CONFIG);
    const ruleNames = (options.ruleSet?.forbidden ?? []).map((rule) => rule.name).sort();
    const violatingTrees = CASES.filter(({ expected }) => expected.length > 0);
    expect(violatingTrees.map(({ tree }) => tree).sort()).toEqual(ruleNames);
    for (const { tree, expected } of violatingTrees) {
      expect(new Set(expected.map(({ rule }) => rule))).toEqual(new Set([tree]));
    }
  });

  // Unit tests may import across layers to build fixtures, so *.test.ts files are not cruised.
  it.each([
    { importer: "src/extproc/lifecycle.ts", expected: ["core-not-to-products"] },
    { importer: "src/extproc/lifecycle.test.ts", expected: [] },
  ])("$importer importing src/bbr → $expected", async ({ importer, expected }) => {
    const baseDir = await mkdtemp(join(tmpdir(), "dependency-rules-"));
    try {
      const files = {
        "src/bbr/decision.ts": "export const decision = 1;\n",
        [importer]: 'import { decision } from "../bbr/decision.js";\nexport const lifecycle = decision;\n',
      };
      for (const [path, text] of Object.entries(files)) {
        await mkdir(dirname(join(baseDir, path)), { recursive: true });
        await writeFile(join(baseDir, path), text);
      }
      expect((await violationsIn(baseDir)).map(({ rule }) => rule)).toEqual(expected);
    } finally {
      await rm(baseDir, { recursive: true, force: true });
    }
  });
});
