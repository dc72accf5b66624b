import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startBbr } from "../support/bbr-test-server.js";
import { mutationOf, requestBody, requestHeaders, summarize } from "../support/messages.js";

const SCRIPT = join(import.meta.dirname, "../fixtures/scripts/abandon-streams.mjs");
const JSON_POST = { ":method": "POST", "content-type": "application/json" };

describe("connection faults", () => {
  it("a peer that dies mid-body (connection reset) leaves no open streams behind, and serving goes on", async () => {
    const bbr = await startBbr();
    const child = spawn(process.execPath, [SCRIPT, String(bbr.server.ports.grpc), "50"], { stdio: ["ignore", "pipe", "inherit"] });
    let opened = false;
    child.stdout.on("data", () => {
      opened = true;
    });
    await expect.poll(() => bbr.server.inFlightStreams, { timeout: 5000 }).toBe(50);
    await new Promise((resolve) => child.once("exit", resolve));
    expect(opened).toBe(true);
    await expect.poll(() => bbr.server.inFlightStreams, { timeout: 5000 }).toBe(0);
    const text = await (await fetch(`http://127.0.0.1:${bbr.server.ports.metrics}/metrics`)).text();
    expect(text).toContain("bbr_active_streams 0");
    expect(text).toContain('bbr_requests_total{outcome="cancelled",code="none"} 50');

    const stream = bbr.client.open();
    stream.send(requestHeaders(JSON_POST)).send(requestBody(`{"model":"after"}`, true));
    expect(mutationOf(summarize((await stream.waitFor(2))[0]!))?.set).toContainEqual(["X-Gateway-Model-Name", "after"]);
    await bbr.stop();
  });

  it("a stalled stream stays open without holding others up, and is released when cancelled", async () => {
    const bbr = await startBbr();
    const stalled = bbr.client.open();
    stalled.send(requestHeaders(JSON_POST)).send(requestBody(`{"model":"st`, false));
    const other = bbr.client.open();
    other.send(requestHeaders(JSON_POST)).send(requestBody(`{"model":"ok"}`, true));
    expect(mutationOf(summarize((await other.waitFor(2))[0]!))?.set).toContainEqual(["X-Gateway-Model-Name", "ok"]);
    expect(stalled.responses).toEqual([]);
    stalled.cancel();
    other.cancel();
    await expect.poll(() => bbr.server.inFlightStreams, { timeout: 3000 }).toBe(0);
    await bbr.stop();
  });
});
