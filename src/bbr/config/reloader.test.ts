import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../common/logger.js";
import type { Plugin } from "../../plugin/plugin.js";
import { type LoadedConfig, loadConfigFile } from "./loader.js";
import { BbrMetrics } from "../metrics.js";
import { newInTreeRegistry } from "../plugins/in-tree.js";
import type { BbrSettings } from "../pipeline/settings.js";
import { ConfigReloader, ConfigSnapshots } from "./reloader.js";

function fakeConfig(name: string, closed: string[]): LoadedConfig {
  const plugin: Plugin = { typedName: { type: "t", name }, close: () => void closed.push(name) };
  return { plugins: [plugin], source: name } as unknown as LoadedConfig;
}

const compile = (l: LoadedConfig) => ({ marker: l.source }) as unknown as BbrSettings;
const tick = () => new Promise((r) => setImmediate(r));

describe("ConfigSnapshots", () => {
  it("keeps a leased generation open until its last lease ends", async () => {
    const closed: string[] = [];
    const snaps = new ConfigSnapshots(fakeConfig("v1", closed), compile, silentLogger());
    const a = snaps.lease();
    const b = snaps.lease();
    snaps.swap(fakeConfig("v2", closed));
    expect((snaps.settings() as unknown as { marker: string }).marker).toBe("v2");
    expect(a.generation.loaded.source).toBe("v1");
    a.release();
    a.release(); // a second release is ignored
    await tick();
    expect(closed).toEqual([]);
    expect(snaps.inUse).toBe(2);
    b.release();
    await tick();
    expect(closed).toEqual(["v1"]);
    expect(snaps.inUse).toBe(1);
  });

  it("closes an unused generation at once and everything on closeAll", async () => {
    const closed: string[] = [];
    const snaps = new ConfigSnapshots(fakeConfig("v1", closed), compile, silentLogger());
    snaps.swap(fakeConfig("v2", closed));
    await tick();
    expect(closed).toEqual(["v1"]);
    const held = snaps.lease();
    snaps.swap(fakeConfig("v3", closed));
    await snaps.closeAll();
    expect(closed.sort()).toEqual(["v1", "v2", "v3"]);
    held.release();
    await tick();
    expect(closed).toHaveLength(3);
  });

  it("numbers generations", () => {
    const snaps = new ConfigSnapshots(fakeConfig("v1", []), compile, silentLogger());
    expect(snaps.generation.id).toBe(1);
    expect(snaps.swap(fakeConfig("v2", [])).id).toBe(2);
  });
});

describe("ConfigReloader", () => {
  const v1 = "plugins:\n  - {type: model-alias, parameters: {aliases: {a: b}}}\n";
  const v2 = "plugins:\n  - {type: model-alias, parameters: {aliases: {a: c}}}\n";

  async function setup() {
    const dir = mkdtempSync(join(tmpdir(), "bbr-reload-"));
    const path = join(dir, "config.yaml");
    writeFileSync(path, v1);
    const metrics = new BbrMetrics({ defaultMetrics: false });
    const context = { registry: newInTreeRegistry(), logger: silentLogger(), metrics };
    const first = await loadConfigFile(path, context);
    if (!first.ok) throw new Error("v1 invalid");
    const snapshots = new ConfigSnapshots(first.value, compile, silentLogger());
    const reloader = new ConfigReloader({ path, context, snapshots, logger: silentLogger() });
    const count = async (result: string) =>
      (await metrics.configReloads.get()).values.find((v) => v.labels["result"] === result)?.value ?? 0;
    return { path, snapshots, reloader, count };
  }

  it("applies a valid change, ignores an identical rewrite, refuses an invalid one", async () => {
    const { path, snapshots, reloader, count } = await setup();
    expect(await reloader.reload()).toEqual({ result: "unchanged" });
    writeFileSync(path, v2);
    expect(await reloader.reload()).toEqual({ result: "success", generation: 2 });
    writeFileSync(path, v2);
    expect(await reloader.reload()).toEqual({ result: "unchanged" });
    writeFileSync(path, "plugins:\n  - type: cel-rules\n");
    const failed = await reloader.reload();
    expect(failed.result).toBe("failure");
    expect(failed.result === "failure" && failed.errors).toContain(
      `${path}: plugins[0].type: plugin type "cel-rules" is alpha`,
    );
    expect(snapshots.generation.id).toBe(2);
    expect(await count("success")).toBe(1);
    expect(await count("failure")).toBe(1);
  });

  it("coalesces reloads requested while one runs", async () => {
    const { path, snapshots, reloader } = await setup();
    writeFileSync(path, v2);
    const first = reloader.reload();
    const second = reloader.reload();
    expect(await first).toEqual({ result: "success", generation: 2 });
    expect(second).toBe(first);
    await tick();
    await tick();
    expect(snapshots.generation.id).toBe(2);
  });

  it("counts an unreadable file as a failure and keeps serving", async () => {
    const { path, snapshots, reloader, count } = await setup();
    rmSync(path);
    expect((await reloader.reload()).result).toBe("failure");
    expect(snapshots.generation.id).toBe(1);
    expect(await count("failure")).toBe(1);
  });
});
