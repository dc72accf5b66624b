import { mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/common/logger.js";
import { BbrMetrics } from "../../src/bbr/metrics.js";
import { newInTreeRegistry } from "../../src/bbr/plugins/in-tree.js";
import { BbrServer } from "../../src/bbr/server/bbr-server.js";
import { defaultOptions } from "../../src/bbr/server/options.js";
import { type RunningBbr, startBbr } from "../support/bbr-test-server.js";
import { ExtProcTestClient, type TestStream } from "../support/ext-proc-client.js";
import { requestBody, requestHeaders, type Summary, summarize } from "../support/messages.js";

const CHAT = { ":method": "POST", ":path": "/v1/chat/completions", "content-type": "application/json" };
const config = (target: string) => `plugins:\n  - type: model-alias\n    parameters: {aliases: {auto: ${target}}}\n`;
const BODY = '{"model":"auto"}';

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function reloads(metrics: BbrMetrics, result: "success" | "failure"): Promise<number> {
  return (await metrics.configReloads.get()).values.find((v) => v.labels["result"] === result)?.value ?? 0;
}

function modelHeader(answer: Summary | undefined): string | undefined {
  if (answer?.kind !== "requestHeaders") return undefined;
  return answer.common?.mutation?.set.find(([k]) => k === "X-Gateway-Model-Name")?.[1];
}

async function routedModel(client: ExtProcTestClient): Promise<string | undefined> {
  const stream = client.open();
  stream.send(requestHeaders(CHAT));
  stream.send(requestBody(BODY, true));
  const [answer] = (await stream.waitFor(1)).map(summarize);
  // Finish (not cancel) so the server has closed the stream when this returns: the in-flight
  // count below must only see the stream under test.
  await stream.finish();
  return modelHeader(answer);
}

describe("hot reload over a real socket", () => {
  let bbr: RunningBbr | undefined;
  afterEach(async () => {
    await bbr?.stop();
    bbr = undefined;
  });

  it("applies a valid change without dropping an in-flight stream, then refuses an invalid one", async () => {
    bbr = await startBbr(config("model-v1"));
    const { server, client } = bbr;
    const path = server.options.configPath!;
    expect(await routedModel(client)).toBe("model-v1");

    // A stream that started on v1: headers now, body after the reload.
    const inFlight: TestStream = client.open();
    inFlight.send(requestHeaders(CHAT));
    await until("the in-flight stream to open", () => server.inFlightStreams === 1);

    writeFileSync(path, config("model-v2"));
    await until("the reload", () => server.snapshots.generation.id === 2);
    expect(await reloads(server.metrics, "success")).toBe(1);
    expect(await routedModel(client)).toBe("model-v2");

    // The old stream finishes on the config it started with; v1 stays open until it ends.
    expect(server.snapshots.inUse).toBe(2);
    inFlight.send(requestBody(BODY, true));
    const answers = (await inFlight.waitFor(2)).map(summarize);
    expect(modelHeader(answers[0])).toBe("model-v1");
    expect(answers[1]).toEqual({
      kind: "requestBody",
      common: { clearRouteCache: false, mutation: null, streamed: { body: '{"model":"model-v1"}', eos: true } },
    });
    const end = await inFlight.finish();
    expect(end.end.code).toBe(0);
    await until("the retired config to close", () => server.snapshots.inUse === 1);

    // An invalid version is refused; v2 keeps serving.
    writeFileSync(path, "plugins:\n  - type: cel-rules\n    parameters: {rules: ['true => \"x\"']}\n");
    await until("the failed reload", async () => (await reloads(server.metrics, "failure")) === 1);
    expect(server.snapshots.generation.id).toBe(2);
    expect(await routedModel(client)).toBe("model-v2");

    // Fixing it applies again.
    writeFileSync(path, config("model-v3"));
    await until("the second reload", () => server.snapshots.generation.id === 3);
    expect(await routedModel(client)).toBe("model-v3");
  });

  it("follows a Kubernetes ConfigMap volume update (symlink swap of ..data)", async () => {
    // The kubelet layout: config.yaml -> ..data/config.yaml, ..data -> ..<timestamp>.
    const dir = mkdtempSync(join(tmpdir(), "bbr-configmap-"));
    const publish = (version: string, yaml: string) => {
      mkdirSync(join(dir, version));
      writeFileSync(join(dir, version, "config.yaml"), yaml);
      symlinkSync(version, join(dir, "..data_tmp"));
      renameSync(join(dir, "..data_tmp"), join(dir, "..data"));
    };
    publish("..2024_01_01", config("model-v1"));
    symlinkSync(join("..data", "config.yaml"), join(dir, "config.yaml"));

    const metrics = new BbrMetrics({ defaultMetrics: false });
    const started = await BbrServer.start(
      defaultOptions({
        grpcPort: 0,
        grpcHealthPort: 0,
        metricsPort: 0,
        bindAddress: "127.0.0.1",
        configPath: join(dir, "config.yaml"),
        logLevel: "silent",
      }),
      { registry: newInTreeRegistry(), logger: silentLogger(), metrics },
    );
    if (!started.ok) throw new Error("start failed");
    const server = started.value;
    const client = new ExtProcTestClient(server.ports.grpc);
    bbr = {
      server,
      client,
      stop: async () => {
        client.close();
        await server.stop(500);
      },
    };
    expect(await routedModel(client)).toBe("model-v1");

    publish("..2024_01_02", config("model-v2"));
    await until("the reload", () => server.snapshots.generation.id === 2);
    expect(await routedModel(client)).toBe("model-v2");
  });

  it("does not watch when --watch-config=false", async () => {
    bbr = await startBbr(config("model-v1"), { watchConfig: false });
    writeFileSync(bbr.server.options.configPath!, config("model-v2"));
    expect(await bbr.server.reloadConfig()).toBeUndefined();
    expect(await routedModel(bbr.client)).toBe("model-v1");
  });
});
