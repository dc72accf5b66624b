import { X509Certificate } from "node:crypto";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import { BbrMetrics } from "../../src/bbr/metrics.js";
import { BbrServer } from "../../src/bbr/server/bbr-server.js";
import { BBR_FLAGS, defaultOptions, optionsFromFlags } from "../../src/bbr/server/options.js";
import { parseFlags } from "../../src/common/flags.js";
import { generateSelfSigned, type KeyPairPem } from "../../src/runtime/tls/self-signed.js";
import { type RunningBbr, startBbr } from "../support/bbr-test-server.js";
import { ExtProcTestClient } from "../support/ext-proc-client.js";
import { requestBody, requestHeaders, summarize } from "../support/messages.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "bbr-tls-"));
  dirs.push(dir);
  return dir;
}

/** writePair writes tls.crt and tls.key the way a Secret volume update lands: each file replaced whole. */
function writePair(dir: string, pair: KeyPairPem): void {
  for (const [name, text] of [
    ["tls.crt", pair.certPem],
    ["tls.key", pair.keyPem],
  ] as const) {
    writeFileSync(join(dir, `.${name}.tmp`), text);
    renameSync(join(dir, `.${name}.tmp`), join(dir, name));
  }
}

/** servedCertificate fetches the certificate the port presents, without trusting it. */
function servedCertificate(port: number): Promise<{ pem: string; alpn: string | false }> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: "127.0.0.1", port, rejectUnauthorized: false, ALPNProtocols: ["h2"], servername: "localhost" },
      () => {
        const raw = socket.getPeerCertificate().raw;
        const alpn = socket.alpnProtocol ?? false;
        socket.end();
        resolve({ pem: new X509Certificate(raw).toString(), alpn });
      },
    );
    socket.on("error", reject);
  });
}

/** tlsClient trusts exactly `rootPem` and expects the name "localhost" (the self-signed SAN). */
function tlsClient(port: number, rootPem: string): ExtProcTestClient {
  return new ExtProcTestClient(port, grpc.credentials.createSsl(Buffer.from(rootPem)), {
    "grpc.ssl_target_name_override": "localhost",
  });
}

/** roundTrip sends one complete request and returns the summarised answers and the stream end. */
async function roundTrip(client: ExtProcTestClient) {
  const stream = client.open();
  stream
    .send(requestHeaders({ ":method": "POST", "content-type": "application/json" }))
    .send(requestBody(`{"model":"llama"}`, true));
  try {
    const answers = (await stream.waitFor(2)).map(summarize);
    return { answers, end: (await stream.finish()).end };
  } catch {
    return { answers: [], end: await stream.end() };
  }
}

const routed = [
  {
    kind: "requestHeaders",
    common: {
      clearRouteCache: true,
      mutation: {
        set: [
          ["X-Gateway-Model-Name", "llama"],
          ["X-Gateway-Base-Model-Name", ""],
          ["Content-Length", "17"],
        ],
        remove: [],
      },
    },
  },
  {
    kind: "requestBody",
    common: { clearRouteCache: false, mutation: null, streamed: { body: `{"model":"llama"}`, eos: true } },
  },
];

describe("TLS on the ext_proc port", () => {
  let bbr: RunningBbr | undefined;
  const clients: ExtProcTestClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await bbr?.stop();
    bbr = undefined;
  });
  const client = (c: ExtProcTestClient) => {
    clients.push(c);
    return c;
  };

  it("serves a generated self-signed certificate over h2, and a client trusting it routes a request", async () => {
    bbr = await startBbr(undefined, { secureServing: true });
    const served = await servedCertificate(bbr.server.ports.grpc);
    expect(served.alpn).toBe("h2");
    const cert = new X509Certificate(served.pem);
    expect(cert.subject).toBe("O=inference-bbr\nCN=inference-bbr self-signed");
    expect(bbr.server.tlsSummary()).toEqual({
      source: "self-signed",
      fingerprint256: cert.fingerprint256,
      validTo: new Date(cert.validTo).toISOString(),
    });

    expect(await roundTrip(client(tlsClient(bbr.server.ports.grpc, served.pem)))).toEqual({
      answers: routed,
      end: { code: grpc.status.OK, details: "OK" },
    });
  });

  it("refuses a plaintext client and a client that does not trust the certificate", async () => {
    bbr = await startBbr(undefined, { secureServing: true });
    const port = bbr.server.ports.grpc;
    const plaintext = await roundTrip(client(new ExtProcTestClient(port)));
    expect(plaintext.end.code).toBe(grpc.status.UNAVAILABLE);
    const stranger = await roundTrip(client(tlsClient(port, generateSelfSigned().certPem)));
    expect(stranger.end.code).toBe(grpc.status.UNAVAILABLE);
  });

  it("keeps the health port plaintext (kubelet and GKE health checks speak plaintext gRPC)", async () => {
    bbr = await startBbr(undefined, { secureServing: true });
    const plaintextHealth = new grpc.Client(`127.0.0.1:${bbr.server.ports.health}`, grpc.credentials.createInsecure());
    await new Promise<void>((resolve, reject) =>
      plaintextHealth.waitForReady(Date.now() + 5000, (e) => (e ? reject(e) : resolve())),
    );
    plaintextHealth.close();
  });

  it("serves a mounted tls.crt/tls.key directory and follows a rotation without a restart", async () => {
    const dir = tempDir();
    const first = generateSelfSigned();
    const second = generateSelfSigned();
    writePair(dir, first);
    bbr = await startBbr(undefined, { secureServing: true, certPath: dir });
    const port = bbr.server.ports.grpc;
    expect(bbr.server.tlsSummary()).toMatchObject({
      source: join(dir, "tls.crt"),
      fingerprint256: new X509Certificate(first.certPem).fingerprint256,
    });
    expect((await servedCertificate(port)).pem).toBe(new X509Certificate(first.certPem).toString());
    expect((await roundTrip(client(tlsClient(port, first.certPem)))).answers).toEqual(routed);

    writePair(dir, second);
    const secondFingerprint = new X509Certificate(second.certPem).fingerprint256;
    await expect
      .poll(() => (bbr!.server.tlsSummary() || { fingerprint256: "" }).fingerprint256, { timeout: 5000 })
      .toBe(secondFingerprint);
    expect((await servedCertificate(port)).pem).toBe(new X509Certificate(second.certPem).toString());
    expect((await roundTrip(client(tlsClient(port, second.certPem)))).answers).toEqual(routed);
    expect((await roundTrip(client(tlsClient(port, first.certPem)))).end.code).toBe(grpc.status.UNAVAILABLE);
  });

  it("keeps serving the last good pair when a rotation leaves a key that does not match", async () => {
    const dir = tempDir();
    const good = generateSelfSigned();
    writePair(dir, good);
    const logs: Record<string, unknown>[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => logs.push(JSON.parse(line)) });
    const started = await BbrServer.start(
      defaultOptions({
        grpcPort: 0,
        grpcHealthPort: 0,
        metricsPort: 0,
        bindAddress: "127.0.0.1",
        secureServing: true,
        certPath: dir,
      }),
      { logger, metrics: new BbrMetrics({ defaultMetrics: false }) },
    );
    if (!started.ok) throw new Error("config did not load");
    const server = started.value;
    try {
      writeFileSync(join(dir, "tls.key"), generateSelfSigned().keyPem);
      await expect
        .poll(() => logs.map((l) => l["msg"]))
        .toContain("TLS certificate reload failed; serving the previous certificate");
      expect(logs.at(-1)).toMatchObject({
        error: `${join(dir, "tls.crt")}: the private key does not belong to the certificate`,
      });
      expect(server.tlsSummary()).toMatchObject({ fingerprint256: new X509Certificate(good.certPem).fingerprint256 });
      expect((await roundTrip(client(tlsClient(server.ports.grpc, good.certPem)))).answers).toEqual(routed);
    } finally {
      await server.stop(100);
    }
  });

  it("serves a certificate and key given as two files", async () => {
    const dir = tempDir();
    const pair = generateSelfSigned();
    writeFileSync(join(dir, "cert.pem"), pair.certPem);
    writeFileSync(join(dir, "key.pem"), pair.keyPem);
    bbr = await startBbr(undefined, {
      secureServing: true,
      certPath: join(dir, "cert.pem"),
      keyPath: join(dir, "key.pem"),
    });
    expect((await roundTrip(client(tlsClient(bbr.server.ports.grpc, pair.certPem)))).answers).toEqual(routed);
  });

  it.each([
    {
      name: "a key that does not match",
      files: () => ({ crt: generateSelfSigned().certPem, key: generateSelfSigned().keyPem }),
      want: "the private key does not belong to the certificate",
    },
    {
      name: "text that is not PEM",
      files: () => ({ crt: "not a certificate", key: "nor a key" }),
      want: "not a usable PEM certificate and key",
    },
  ])("refuses to start with $name", async ({ files, want }) => {
    const dir = tempDir();
    const { crt, key } = files();
    writeFileSync(join(dir, "tls.crt"), crt);
    writeFileSync(join(dir, "tls.key"), key);
    await expect(startBbr(undefined, { secureServing: true, certPath: dir })).rejects.toThrow(want);
  });

  it("refuses to start when the certificate path does not exist or a certificate file has no key", async () => {
    const dir = tempDir();
    await expect(startBbr(undefined, { secureServing: true, certPath: join(dir, "missing") })).rejects.toThrow(
      "ENOENT",
    );
    writeFileSync(join(dir, "cert.pem"), generateSelfSigned().certPem);
    await expect(startBbr(undefined, { secureServing: true, certPath: join(dir, "cert.pem") })).rejects.toThrow(
      "--cert-path names a file, so --key-path is required",
    );
  });
});

describe("TLS and tracing flags", () => {
  function parse(argv: string[]) {
    const flags = parseFlags(argv, BBR_FLAGS);
    if (!flags.ok) return { error: [flags.error] };
    const options = optionsFromFlags(flags.value.flags);
    return options.ok ? { value: options.value } : { error: options.error };
  }

  it("defaults to plaintext with tracing allowed", () => {
    expect(parse([]).value).toMatchObject({
      secureServing: false,
      certPath: undefined,
      keyPath: undefined,
      tracing: true,
    });
  });

  it("reads --secure-serving, --cert-path, --key-path and --tracing=false", () => {
    expect(
      parse(["--secure-serving", "--cert-path", "/tls/c.pem", "--key-path=/tls/k.pem", "--tracing=false"]).value,
    ).toMatchObject({
      secureServing: true,
      certPath: "/tls/c.pem",
      keyPath: "/tls/k.pem",
      tracing: false,
    });
  });

  it.each([
    { argv: ["--cert-path", "/tls"], want: "--cert-path: --cert-path needs --secure-serving" },
    { argv: ["--secure-serving", "--key-path", "/k.pem"], want: "--key-path: --key-path needs --cert-path" },
    { argv: ["--secure-serving=yes"], want: "--secure-serving takes true or false" },
  ])("refuses $argv", ({ argv, want }) => {
    expect(parse(argv).error?.join("\n")).toContain(want);
  });
});
