import { execFileSync } from "node:child_process";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { integer, oid, smallInteger, time } from "../../src/runtime/tls/der.js";
import { generateSelfSigned, SELF_SIGNED_VALID_DAYS } from "../../src/runtime/tls/self-signed.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("DER encoding", () => {
  it.each([
    { name: "OID serverAuth", got: () => oid("1.3.6.1.5.5.7.3.1"), want: "06082b06010505070301" },
    { name: "OID prime256v1 (multi-byte arc)", got: () => oid("1.2.840.10045.3.1.7"), want: "06082a8648ce3d030107" },
    { name: "INTEGER 2", got: () => smallInteger(2), want: "020102" },
    { name: "INTEGER 0", got: () => smallInteger(0), want: "020100" },
    { name: "INTEGER with high bit gets a 0x00 pad", got: () => integer(Uint8Array.of(0x80, 1)), want: "0203008001" },
    { name: "INTEGER drops redundant leading zeros", got: () => integer(Uint8Array.of(0, 0, 5)), want: "020105" },
    {
      name: "UTCTime before 2050",
      got: () => time(new Date(Date.UTC(2036, 0, 2, 3, 4, 5))),
      want: hex(Buffer.from("\x17\x0d360102030405Z", "latin1")),
    },
    {
      name: "GeneralizedTime from 2050",
      got: () => time(new Date(Date.UTC(2050, 11, 31, 23, 59, 59))),
      want: hex(Buffer.from("\x18\x0f20501231235959Z", "latin1")),
    },
  ])("$name", ({ got, want }) => {
    expect(hex(got())).toBe(want);
  });
});

describe("generateSelfSigned", () => {
  const dir = mkdtempSync(join(tmpdir(), "bbr-cert-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const now = new Date(Date.UTC(2026, 5, 1, 12, 0, 0));
  const pair = generateSelfSigned({ hosts: ["localhost", "bbr.ns.svc", "127.0.0.1", "::1", "::ffff:10.0.0.1"], now });
  const cert = new X509Certificate(pair.certPem);

  it("is a self-signed serving certificate whose key matches", () => {
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(pair.keyPem))).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.subject).toBe("O=inference-bbr\nCN=inference-bbr self-signed");
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    expect(cert.publicKey.asymmetricKeyDetails).toEqual({ namedCurve: "prime256v1" });
  });

  it("lists every host in subjectAltName, IPv6 included", () => {
    expect(cert.subjectAltName).toBe(
      "DNS:localhost, DNS:bbr.ns.svc, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:0:0:0:0:0:FFFF:A00:1",
    );
    expect(cert.checkHost("bbr.ns.svc")).toBe("bbr.ns.svc");
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
  });

  it("is valid from an hour before now for ten years", () => {
    expect(new Date(cert.validFrom).toISOString()).toBe("2026-06-01T11:00:00.000Z");
    const days = (Date.parse(cert.validTo) - now.getTime()) / 86_400_000;
    expect(days).toBe(SELF_SIGNED_VALID_DAYS);
  });

  it("gets a fresh key and serial number each time", () => {
    const other = generateSelfSigned({ now });
    expect(other.keyPem).not.toBe(pair.keyPem);
    expect(new X509Certificate(other.certPem).serialNumber).not.toBe(cert.serialNumber);
  });

  it("passes openssl's own parser and verification as a TLS server certificate", () => {
    const path = join(dir, "tls.crt");
    writeFileSync(path, pair.certPem);
    let out: string;
    try {
      out = execFileSync(
        "openssl",
        ["verify", "-CAfile", path, "-purpose", "sslserver", "-attime", String(now.getTime() / 1000), path],
        {
          encoding: "utf8",
        },
      );
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return; // no openssl binary: node's checks above stand
      throw e;
    }
    expect(out.trim()).toBe(`${path}: OK`);
  });
});
