import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { createSecureContext } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { type Disposable, watchFile } from "../../common/file-watch.js";
import type { Logger } from "../../common/logger.js";
import { err, ok, type Result } from "../../common/result.js";
import { generateSelfSigned } from "./self-signed.js";

/** ServingTlsOptions say where the serving certificate comes from. */
export interface ServingTlsOptions {
  /**
   * certPath is a PEM certificate (chain) file, or a directory holding tls.crt and tls.key (a
   * mounted kubernetes.io/tls Secret, as GIE's --cert-path expects). Absent: self-signed.
   */
  readonly certPath?: string | undefined;
  /** keyPath is the PEM private key; required when certPath is a file. */
  readonly keyPath?: string | undefined;
}

/** ServingTls is ready-to-bind gRPC server credentials plus what they serve. */
export interface ServingTls extends Disposable {
  readonly credentials: grpc.ServerCredentials;
  /** source is "self-signed" or the certificate file path. */
  readonly source: string;
  /** certificate describes the certificate served now (for logs and tests). */
  certificate(): CertificateInfo;
}

/** CertificateInfo is what operators want to see about a serving certificate. */
export interface CertificateInfo {
  readonly subject: string;
  readonly fingerprint256: string;
  readonly validTo: string;
}

interface KeyPair {
  readonly certificate: Buffer;
  readonly privateKey: Buffer;
  readonly info: CertificateInfo;
}

/**
 * loadServingTls builds TLS credentials for the ext_proc port. Without a certificate path it
 * generates a self-signed one. With one, the files are checked now (a bad or mismatched pair
 * is an error value, so the process exits instead of serving a broken handshake) and then
 * watched: when cert-manager or a Secret update rotates them, new connections get the new
 * pair; a rotation that fails to load is logged and the last good pair keeps serving.
 */
export function loadServingTls(options: ServingTlsOptions, logger: Logger): Result<ServingTls, string> {
  if (options.certPath === undefined) {
    if (options.keyPath !== undefined) return err("--key-path needs --cert-path");
    const pair = generateSelfSigned();
    const loaded = checkPair(Buffer.from(pair.certPem), Buffer.from(pair.keyPem), "self-signed");
    if (!loaded.ok) return loaded;
    return ok({
      credentials: grpc.ServerCredentials.createSsl(null, [
        { cert_chain: loaded.value.certificate, private_key: loaded.value.privateKey },
      ]),
      source: "self-signed",
      certificate: () => loaded.value.info,
      dispose: () => {},
    });
  }
  const paths = resolvePaths(options.certPath, options.keyPath);
  if (!paths.ok) return paths;
  const first = readPair(paths.value.cert, paths.value.key);
  if (!first.ok) return first;
  const provider = new WatchedKeyPair(paths.value.cert, paths.value.key, first.value, logger);
  return ok({
    // grpc-js names its parameters the other way round: the first provider is the identity.
    credentials: grpc.experimental.createCertificateProviderServerCredentials(provider, null, false),
    source: paths.value.cert,
    certificate: () => provider.current.info,
    dispose: () => provider.dispose(),
  });
}

function resolvePaths(certPath: string, keyPath: string | undefined): Result<{ cert: string; key: string }, string> {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(certPath).isDirectory();
  } catch (e) {
    return err(`--cert-path ${certPath}: ${(e as Error).message}`);
  }
  if (isDirectory) return ok({ cert: join(certPath, "tls.crt"), key: keyPath ?? join(certPath, "tls.key") });
  if (keyPath === undefined) return err("--cert-path names a file, so --key-path is required");
  return ok({ cert: certPath, key: keyPath });
}

function readPair(certFile: string, keyFile: string): Result<KeyPair, string> {
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(certFile);
    key = readFileSync(keyFile);
  } catch (e) {
    return err(`cannot read the TLS certificate or key: ${(e as Error).message}`);
  }
  return checkPair(cert, key, certFile);
}

function checkPair(certificate: Buffer, privateKey: Buffer, source: string): Result<KeyPair, string> {
  try {
    const x509 = new X509Certificate(certificate);
    if (!x509.checkPrivateKey(createPrivateKey(privateKey))) {
      return err(`${source}: the private key does not belong to the certificate`);
    }
    createSecureContext({ cert: certificate, key: privateKey }); // what the TLS server will do
    return ok({
      certificate,
      privateKey,
      info: {
        subject: x509.subject,
        fingerprint256: x509.fingerprint256,
        validTo: new Date(x509.validTo).toISOString(),
      },
    });
  } catch (e) {
    return err(`${source}: not a usable PEM certificate and key: ${(e as Error).message}`);
  }
}

type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;

/** WatchedKeyPair is a grpc-js certificate provider that follows a key pair on disk. */
class WatchedKeyPair implements grpc.experimental.CertificateProvider {
  private readonly listeners = new Set<IdentityListener>();
  private readonly watches: Disposable[];

  constructor(
    private readonly certFile: string,
    private readonly keyFile: string,
    public current: KeyPair,
    private readonly logger: Logger,
  ) {
    const reload = () => this.reload();
    this.watches = [...new Set([certFile, keyFile])].map((f) => watchFile(f, reload));
  }

  private reload(): void {
    const next = readPair(this.certFile, this.keyFile);
    if (!next.ok) {
      // A Secret update writes both files; between the two writes the pair may not match.
      this.logger.warn({ error: next.error }, "TLS certificate reload failed; serving the previous certificate");
      return;
    }
    if (
      next.value.info.fingerprint256 === this.current.info.fingerprint256 &&
      next.value.privateKey.equals(this.current.privateKey)
    ) {
      return;
    }
    this.current = next.value;
    this.logger.info({ certificate: next.value.info }, "TLS certificate reloaded");
    for (const listener of this.listeners) listener(this.update());
  }

  private update() {
    return { certificate: this.current.certificate, privateKey: this.current.privateKey };
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.listeners.add(listener);
    // Deferred: grpc-js registers its own watcher only after this call returns.
    process.nextTick(() => {
      if (this.listeners.has(listener)) listener(this.update());
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.listeners.delete(listener);
  }

  addCaCertificateListener(): void {
    /* server-only TLS: no client CA */
  }

  removeCaCertificateListener(): void {}

  dispose(): void {
    for (const w of this.watches) w.dispose();
    this.listeners.clear();
  }
}
