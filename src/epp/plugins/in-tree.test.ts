import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { testHandle } from "../../../test/epp/support/scheduling.js";
import { silentLogger } from "../../common/logger.js";
import { closePlugins } from "../../plugin/close.js";
import { loadConfigText } from "../config/loader.js";
import { IN_TREE_TYPES, newInTreeRegistry } from "./in-tree.js";

const PLUGINS_DIR = import.meta.dirname;
const EPP_DOCS = readFileSync(join(PLUGINS_DIR, "../../../docs/epp.md"), "utf8");

/** PLUGIN_FOLDERS are the `<area>/<type-name>` folders under src/epp/plugins (areas also hold shared helpers as files). */
const PLUGIN_FOLDERS: readonly string[] = readdirSync(PLUGINS_DIR, { withFileTypes: true })
  .filter((area) => area.isDirectory())
  .flatMap((area) =>
    readdirSync(join(PLUGINS_DIR, area.name), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${area.name}/${entry.name}`),
  )
  .sort();

function readme(folder: string): string {
  return readFileSync(join(PLUGINS_DIR, folder, "README.md"), "utf8");
}

/** headerLine is a README's `**Type:** … · **Extension point:** … · **Stability:** …` line (it may wrap once). */
function headerLine(markdown: string): string {
  const start = markdown.indexOf("**Type:**");
  if (start < 0) return "";
  const end = markdown.indexOf("\n\n", start);
  return markdown.slice(start, end < 0 ? undefined : end).replace(/\s+/g, " ");
}

/** yamlBlocks returns the bodies of a Markdown text's ```yaml fenced blocks. */
function yamlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/** foldersDocumenting lists the plugin folders whose README header names `type` (exactly one is expected). */
function foldersDocumenting(type: string): string[] {
  return PLUGIN_FOLDERS.filter(
    (folder) =>
      existsSync(join(PLUGINS_DIR, folder, "README.md")) && headerLine(readme(folder)).includes(`\`${type}\``),
  );
}

describe("in-tree EPP registry", () => {
  it("registers every built-in type", () => {
    expect(
      newInTreeRegistry()
        .types()
        .map((t) => t.type),
    ).toEqual(IN_TREE_TYPES.map((t) => t.type));
  });
});

describe("EPP plugin folders", () => {
  it("are found under every area", () => {
    const areas = readdirSync(PLUGINS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory());
    for (const area of areas)
      expect(
        PLUGIN_FOLDERS.some((f) => f.startsWith(`${area.name}/`)),
        area.name,
      ).toBe(true);
    expect(areas.length).toBeGreaterThan(0);
  });

  it.each(PLUGIN_FOLDERS)("%s holds its code, its test and a README", (folder) => {
    const name = folder.split("/")[1]!;
    for (const file of [`${name}.ts`, `${name}.test.ts`, "README.md"]) {
      expect(existsSync(join(PLUGINS_DIR, folder, file)), `${folder}/${file}`).toBe(true);
    }
  });

  it.each(PLUGIN_FOLDERS)("%s is linked from docs/epp.md", (folder) => {
    const link = `(../src/epp/plugins/${folder}/README.md)`;
    expect(EPP_DOCS.includes(link), `docs/epp.md links ${link}`).toBe(true);
  });

  it.each(PLUGIN_FOLDERS)("%s README: every YAML block loads as an EndpointPickerConfig", async (folder) => {
    const blocks = yamlBlocks(readme(folder));
    expect(blocks.length, "a config example").toBeGreaterThan(0);
    const documented = IN_TREE_TYPES.filter((spec) => foldersDocumenting(spec.type).includes(folder)).map(
      (s) => s.type,
    );
    const loadedTypes = new Set<string>();
    for (const [i, block] of blocks.entries()) {
      const source = `${folder}/README.md yaml block ${i + 1}`;
      const loaded = await loadConfigText(block, source, { registry: newInTreeRegistry(), handle: await testHandle() });
      if (!loaded.ok) expect.fail(`${source}: ${JSON.stringify(loaded.error.issues)}`);
      for (const plugin of loaded.value.plugins) loadedTypes.add(plugin.typedName.type);
      await closePlugins(loaded.value.plugins, silentLogger());
    }
    for (const type of documented) expect([...loadedTypes], `an example uses ${type}`).toContain(type);
  });
});

describe.each(IN_TREE_TYPES.map((spec) => [spec.type, spec] as const))("%s", (type, spec) => {
  it("is documented in exactly one plugin README, with its extension points and stability", () => {
    const folders = foldersDocumenting(type);
    expect(folders).toHaveLength(1);
    const header = headerLine(readme(folders[0]!));
    for (const point of spec.extensionPoints) expect(header).toContain(point);
    expect(header).toContain(`**Stability:** ${spec.stability}`);
    if (spec.featureGate !== undefined) expect(header).toContain(`\`${spec.featureGate}\``);
  });

  it("is listed in docs/epp.md", () => {
    expect(EPP_DOCS.includes(`\`${type}\``), `docs/epp.md names \`${type}\``).toBe(true);
  });
});
