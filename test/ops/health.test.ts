import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { EXT_PROC_SERVICE } from "../../src/extproc/transport/service.js";
import { type RunningBbr, startBbr } from "../support/bbr-test-server.js";
import { requestBody, requestHeaders, summarize } from "../support/messages.js";
import { HealthTestClient, ServingStatus } from "./support/health-client.js";

async function get(port: number, path: string, method = "GET") {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: res.status, body: await res.text() };
}

describe("grpc.health.v1 and HTTP probes", () => {
  let bbr: RunningBbr | undefined;
  let health: HealthTestClient | undefined;
  afterEach(async () => {
    health?.close();
    await bbr?.stop();
    bbr = undefined;
    health = undefined;
  });

  it("answers Check and List with SERVING for the server and the ext_proc service once started", async () => {
    bbr = await startBbr();
    health = new HealthTestClient(bbr.server.ports.health);
    expect(await health.check("")).toEqual({ status: ServingStatus.SERVING });
    expect(await health.check(EXT_PROC_SERVICE)).toEqual({ status: ServingStatus.SERVING });
    expect(await health.list()).toEqual({ "": ServingStatus.SERVING, [EXT_PROC_SERVICE]: ServingStatus.SERVING });
  });

  it("answers NOT_FOUND for a service it does not serve (the gRPC health contract; GIE says SERVING)", async () => {
    bbr = await startBbr();
    health = new HealthTestClient(bbr.server.ports.health);
    expect(await health.check("no.such.Service")).toEqual({
      code: grpc.status.NOT_FOUND,
      details: 'unknown service "no.such.Service"',
    });
    const watch = health.watch("no.such.Service");
    expect(await watch.waitForCount(1)).toEqual([ServingStatus.SERVICE_UNKNOWN]);
    watch.call.cancel();
  });

  it.each([
    { path: "/healthz", status: 200, body: "ok\n" },
    { path: "/readyz", status: 200, body: "ready\n" },
    { path: "/readyz?verbose=1", status: 200, body: "ready\n" },
    { path: "/nope", status: 404, body: "not found\n" },
  ])("GET $path answers $status", async ({ path, status, body }) => {
    bbr = await startBbr();
    expect(await get(bbr.server.ports.metrics, path)).toEqual({ status, body });
  });

  it("refuses methods other than GET and HEAD on the ops port", async () => {
    bbr = await startBbr();
    expect(await get(bbr.server.ports.metrics, "/healthz", "POST")).toEqual({ status: 405, body: "" });
  });

  it("flips Check, Watch and /readyz to NOT_SERVING while draining, keeps /healthz up, and lets the open stream finish", async () => {
    bbr = await startBbr(undefined, { drainTimeoutMs: 10_000 });
    const { server, client } = bbr;
    health = new HealthTestClient(server.ports.health);
    const watchAll = health.watch("");
    const watchExtProc = health.watch(EXT_PROC_SERVICE);
    expect(await watchAll.waitForCount(1)).toEqual([ServingStatus.SERVING]);
    expect(await watchExtProc.waitForCount(1)).toEqual([ServingStatus.SERVING]);

    const stream = client.open();
    stream
      .send(requestHeaders({ ":method": "POST", "content-type": "application/json" }))
      .send(requestBody(`{"model":`, false));
    await expect.poll(() => server.inFlightStreams).toBe(1);

    const stopped = server.stop();
    expect(await watchAll.waitForCount(2)).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
    expect(await watchExtProc.waitForCount(2)).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
    expect(await health.check("")).toEqual({ status: ServingStatus.NOT_SERVING });
    expect(await get(server.ports.metrics, "/readyz")).toEqual({ status: 503, body: "not ready\n" });
    expect(await get(server.ports.metrics, "/healthz")).toEqual({ status: 200, body: "ok\n" });

    stream.send(requestBody(`"llama"}`, true));
    const [headers, body] = (await stream.waitFor(2)).map(summarize);
    expect(headers).toMatchObject({
      kind: "requestHeaders",
      common: {
        mutation: {
          set: [
            ["X-Gateway-Model-Name", "llama"],
            ["X-Gateway-Base-Model-Name", ""],
            ["Content-Length", "17"],
          ],
        },
      },
    });
    expect(body).toMatchObject({ kind: "requestBody", common: { streamed: { body: `{"model":"llama"}`, eos: true } } });
    expect((await stream.finish()).end.code).toBe(grpc.status.OK);
    await stopped;
    expect(server.inFlightStreams).toBe(0);
  });
});
