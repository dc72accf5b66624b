import { describe, expect, it } from "vitest";
import { startBbr } from "../support/bbr-test-server.js";
import { mutationOf, requestBody, requestHeaders, summarize } from "../support/messages.js";

const JSON_POST = { ":method": "POST", "content-type": "application/json" };

async function scrape(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

describe("plugin faults", () => {
  it.each([
    { name: "throws", fail: "{phase: request}", reason: "plugin_failed", metric: 'reason="error"' },
    { name: "rejects", fail: "{phase: request, async: true}", reason: "plugin_failed", metric: 'reason="error"' },
  ])("a plugin that $name gets the request a 500, counts it, and the server keeps serving", async ({ fail, reason, metric }) => {
    const bbr = await startBbr(`
plugins:
  - type: test-fail
    name: broken
    parameters: ${fail}
  - type: body-field-to-header
    parameters: {fieldName: model, headerName: X-Gateway-Model-Name}
`);
    for (let i = 0; i < 3; i++) {
      const stream = bbr.client.open();
      stream.send(requestHeaders(JSON_POST)).send(requestBody(`{"model":"m"}`, true));
      const [answer] = (await stream.waitFor(1)).map(summarize);
      expect(answer).toMatchObject({ kind: "immediate", status: 500, details: `bbr_${reason}` });
      expect((await stream.end()).code).toBe(0);
    }
    expect(await scrape(bbr.server.ports.metrics)).toContain(
      `bbr_plugin_failures_total{plugin_type="test-fail",plugin_name="broken",${metric}} 3`,
    );
    await bbr.stop();
  });

  it("a plugin past its timeout gets a 500 plugin_timeout", async () => {
    const bbr = await startBbr(`
plugins:
  - type: test-delay
    name: slow
    timeout: 50ms
    parameters: {ms: 2000}
`);
    const stream = bbr.client.open();
    stream.send(requestHeaders(JSON_POST)).send(requestBody(`{"model":"m"}`, true));
    const [answer] = (await stream.waitFor(1, 1500)).map(summarize);
    expect(answer).toMatchObject({ kind: "immediate", status: 500, details: "bbr_plugin_timeout" });
    expect(await scrape(bbr.server.ports.metrics)).toContain('bbr_plugin_failures_total{plugin_type="test-delay",plugin_name="slow",reason="timeout"} 1');
    await bbr.stop();
  });

  it.each([
    { name: "throws", plugin: "type: test-fail\n    parameters: {phase: request}" },
    { name: "times out", plugin: "type: test-delay\n    timeout: 30ms\n    parameters: {ms: 1000}" },
  ])("failurePolicy Ignore skips a plugin that $name and routes the request (fail open)", async ({ plugin }) => {
    const bbr = await startBbr(`
plugins:
  - ${plugin}
    failurePolicy: Ignore
  - type: body-field-to-header
    parameters: {fieldName: model, headerName: X-Gateway-Model-Name}
`);
    const stream = bbr.client.open();
    stream.send(requestHeaders(JSON_POST)).send(requestBody(`{"model":"m"}`, true));
    const [h] = (await stream.waitFor(2)).map(summarize);
    expect(mutationOf(h)?.set).toContainEqual(["X-Gateway-Model-Name", "m"]);
    await bbr.stop();
  });

  it("a plugin's RequestError is an answer, not a failure: Ignore does not swallow it", async () => {
    const bbr = await startBbr(`
plugins:
  - type: test-fail
    failurePolicy: Ignore
    parameters: {phase: request, status: ResourceExhausted}
`);
    const stream = bbr.client.open();
    stream.send(requestHeaders(JSON_POST)).send(requestBody(`{"model":"m"}`, true));
    const [answer] = (await stream.waitFor(1)).map(summarize);
    expect(answer).toMatchObject({ kind: "immediate", status: 429 });
    expect(await scrape(bbr.server.ports.metrics)).not.toContain("bbr_plugin_failures_total{");
    await bbr.stop();
  });

  it("refuses a bad timeout or policy at load, naming the key", async () => {
    await expect(
      startBbr(`
plugins:
  - type: test-delay
    timeout: soon
    failurePolicy: Maybe
    parameters: {ms: 1}
`),
    ).rejects.toThrow(/plugins\[0\]\.timeout: invalid duration "soon"[\s\S]*plugins\[0\]\.failurePolicy/);
  });
});
