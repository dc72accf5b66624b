import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { ExtProcTestClient } from "../support/ext-proc-client.js";
import { requestBody, requestHeaders, summarize } from "../support/messages.js";
import { type BbrProcess, scrape, startBbrProcess } from "./support/bbr-process.js";
import { HealthTestClient, ServingStatus } from "./support/health-client.js";

// Graceful shutdown of the real `bbr` process: what a pod sees between SIGTERM and exit.
describe("bbr drains on SIGTERM", () => {
  const running: BbrProcess[] = [];
  const clients: { close(): void }[] = [];
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
    for (const p of running.splice(0)) p.child.kill("SIGKILL");
  });

  async function start(args: string[]) {
    const bbr = await startBbrProcess(args);
    running.push(bbr);
    return bbr;
  }
  function connect<T extends { close(): void }>(client: T): T {
    clients.push(client);
    return client;
  }

  it("gives a stream that is mid-body when SIGTERM arrives its full answer, refuses new streams, then exits 0", async () => {
    const bbr = await start(["--drain-timeout", "20"]);
    const client = connect(new ExtProcTestClient(bbr.ports.grpc));
    const health = connect(new HealthTestClient(bbr.ports.health));
    const watch = health.watch("");
    expect(await watch.waitForCount(1)).toEqual([ServingStatus.SERVING]);

    const stream = client.open();
    stream
      .send(requestHeaders({ ":method": "POST", ":path": "/v1/chat/completions", "content-type": "application/json" }))
      .send(requestBody(`{"model":"llama-3",`, false));
    // The server holds the stream (the gauge is the server's own count) before the signal.
    await expect.poll(() => scrape(bbr.ports.metrics, "bbr_active_streams")).toBe(1);

    bbr.child.kill("SIGTERM");
    expect(await watch.waitForCount(2)).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
    const ready = await fetch(`http://127.0.0.1:${bbr.ports.metrics}/readyz`);
    expect(ready.status).toBe(503);

    // A new connection finds the ext_proc listener closed: Envoy retries another replica.
    const late = connect(new ExtProcTestClient(bbr.ports.grpc)).open();
    late.send(requestHeaders({ ":method": "POST" }));
    expect((await late.end()).code).toBe(grpc.status.UNAVAILABLE);

    stream.send(requestBody(`"messages":[]}`, true));
    const body = `{"model":"llama-3","messages":[]}`;
    expect((await stream.waitFor(2)).map(summarize)).toEqual([
      {
        kind: "requestHeaders",
        common: {
          clearRouteCache: true,
          mutation: {
            set: [
              ["X-Gateway-Model-Name", "llama-3"],
              ["X-Gateway-Base-Model-Name", ""],
              ["Content-Length", String(body.length)],
            ],
            remove: [],
          },
        },
      },
      { kind: "requestBody", common: { clearRouteCache: false, mutation: null, streamed: { body, eos: true } } },
    ]);
    expect((await stream.finish()).end.code).toBe(grpc.status.OK);

    expect(await bbr.exited).toBe(0);
    const messages = bbr.logs.map((l) => l["msg"]);
    expect(messages).toContain("signal received; draining");
    expect(messages).not.toContain("drain timeout; closing open streams");
    expect(messages.at(-1)).toBe("stopped");
  });

  it("cuts a stream still open after --drain-timeout and still exits 0", async () => {
    const bbr = await start(["--drain-timeout", "0.5"]);
    const client = connect(new ExtProcTestClient(bbr.ports.grpc));
    const stream = client.open();
    stream
      .send(requestHeaders({ ":method": "POST", "content-type": "application/json" }))
      .send(requestBody(`{"model":`, false));
    await expect.poll(() => scrape(bbr.ports.metrics, "bbr_active_streams")).toBe(1);

    bbr.child.kill("SIGTERM");
    expect(await bbr.exited).toBe(0);
    expect((await stream.end()).code).not.toBe(grpc.status.OK);
    expect(bbr.logs.map((l) => l["msg"])).toContain("drain timeout; closing open streams");
  });

  it("exits 130 without waiting when a second signal arrives during the drain", async () => {
    const bbr = await start(["--drain-timeout", "60"]);
    const stream = connect(new ExtProcTestClient(bbr.ports.grpc)).open();
    stream
      .send(requestHeaders({ ":method": "POST", "content-type": "application/json" }))
      .send(requestBody(`{"model":`, false));
    await expect.poll(() => scrape(bbr.ports.metrics, "bbr_active_streams")).toBe(1);
    bbr.child.kill("SIGTERM");
    await expect.poll(() => bbr.logs.some((l) => l["msg"] === "draining")).toBe(true);
    bbr.child.kill("SIGINT");
    expect(await bbr.exited).toBe(130);
    expect(bbr.logs.at(-1)).toMatchObject({ msg: "second signal; exiting without waiting for the drain", inFlight: 1 });
  });

  it("exits 0 at once on SIGINT when nothing is in flight", async () => {
    const bbr = await start([]);
    bbr.child.kill("SIGINT");
    expect(await bbr.exited).toBe(0);
    expect(bbr.logs.find((l) => l["msg"] === "signal received; draining")).toMatchObject({
      signal: "SIGINT",
      inFlight: 0,
    });
  });
});
