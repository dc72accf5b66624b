import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";
import { hostname } from "node:os";
import {
  bitString,
  boolean,
  type Der,
  explicit,
  implicitPrimitive,
  integer,
  octetString,
  oid,
  sequence,
  set,
  smallInteger,
  time,
  utf8String,
} from "./der.js";

/** KeyPairPem is a certificate and its private key, PEM-encoded. */
export interface KeyPairPem {
  readonly certPem: string;
  readonly keyPem: string;
}

/** SelfSignedOptions tune the generated certificate (defaults suit a pod's ext_proc port). */
export interface SelfSignedOptions {
  /** DNS names and IP addresses for subjectAltName; default localhost, the host name, 127.0.0.1, ::1. */
  readonly hosts?: readonly string[];
  readonly validDays?: number;
  readonly now?: Date;
}

/** SELF_SIGNED_VALID_DAYS is ten years, as GIE's BBR: the pod is replaced long before. */
export const SELF_SIGNED_VALID_DAYS = 3650;

const OID = {
  ecPublicKey: "1.2.840.10045.2.1",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
} as const;

/** defaultHosts are the names a self-signed serving certificate lists. */
export function defaultHosts(): string[] {
  return [...new Set(["localhost", hostname(), "127.0.0.1", "::1"])];
}

/**
 * generateSelfSigned creates an ECDSA P-256 key and a self-signed X.509 v3 serving certificate
 * (serverAuth, digitalSignature, not a CA). P-256 rather than GIE's RSA-4096: generating it takes
 * about a millisecond instead of seconds at every start, and every Envoy and Google front end
 * accepts it. Clients are expected to skip verification (Istio DestinationRule
 * insecureSkipVerify, GKE) or to pin this exact certificate.
 */
export function generateSelfSigned(options: SelfSignedOptions = {}): KeyPairPem {
  const now = options.now ?? new Date();
  const hosts = options.hosts ?? defaultHosts();
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const jwk = publicKey.export({ format: "jwk" });
  const point = Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);

  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40; // positive and exactly 16 bytes long
  const name = sequence(
    set(sequence(oid(OID.organization), utf8String("inference-bbr"))),
    set(sequence(oid(OID.commonName), utf8String("inference-bbr self-signed"))),
  );
  const notBefore = new Date(now.getTime() - 60 * 60 * 1000); // tolerate an hour of clock skew
  const notAfter = new Date(now.getTime() + (options.validDays ?? SELF_SIGNED_VALID_DAYS) * 24 * 60 * 60 * 1000);
  notBefore.setUTCMilliseconds(0);
  notAfter.setUTCMilliseconds(0);
  const signatureAlgorithm = sequence(oid(OID.ecdsaWithSha256));

  const extensions = sequence(
    extension(OID.basicConstraints, true, sequence()),
    extension(OID.keyUsage, true, bitString(Uint8Array.of(0x80), 7)), // digitalSignature
    extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))),
    extension(OID.subjectAltName, false, sequence(...hosts.map(generalName))),
    extension(OID.subjectKeyIdentifier, false, octetString(createHash("sha1").update(point).digest())),
  );
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    integer(serial),
    signatureAlgorithm,
    name,
    sequence(time(notBefore), time(notAfter)),
    name,
    spki,
    explicit(3, extensions),
  );
  const signature = sign("sha256", tbs, privateKey); // DER-encoded ECDSA-Sig-Value, as X.509 wants
  const certificate = sequence(tbs, signatureAlgorithm, bitString(signature));
  return {
    certPem: pem("CERTIFICATE", certificate),
    keyPem: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
  };
}

function extension(id: string, critical: boolean, value: Der): Der {
  return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
}

function generalName(host: string): Der {
  if (isIPv4(host)) return implicitPrimitive(7, Uint8Array.from(host.split(".").map(Number)));
  if (isIPv6(host)) return implicitPrimitive(7, ipv6Bytes(host));
  return implicitPrimitive(2, new TextEncoder().encode(host)); // dNSName, IA5String
}

/** ipv6Bytes expands a valid IPv6 literal (at most one "::", maybe a trailing dotted IPv4) to 16 bytes. */
function ipv6Bytes(literal: string): Uint8Array {
  let address = literal;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    address = `${address.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = address.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = Number.parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
