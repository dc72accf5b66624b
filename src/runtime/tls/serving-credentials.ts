import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { createSecureContext } from "node:tls";
import { type Disposable, watchFile } from "../../common/file-watch.js";
import type { Logger } from "../../common/logger.js";
import { err, ok, type Result } from "../../common/result.js";
import type { TlsIdentity, TlsIdentitySource } from "../../extproc/transport/transport.js";
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

/** ServingTls is the identity the ext_proc port serves (on any transport) plus what it is. */
export interface ServingTls extends Disposable {
  /** identity is the key pair now and its rotations; each transport turns it into its own TLS setup. */
  readonly identity: TlsIdentitySource;
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

interface KeyPair extends TlsIdentity {
  readonly info: CertificateInfo;
}

/**
 * loadServingTls loads the TLS identity of the ext_proc port. Without a certificate path it
 * generates a self-signed one. With one, the files are checked now (a bad or mismatched pair
 * is an error value, so the process exits instead of serving a broken handshake) and then
 * watched: when cert-manager or a Secret update rotates them, new connections get the new
 * pair; a rotation that fails to load is logged and the last good pair keeps serving.
 */
export function loadServingTls(options: ServingTlsOptions, logger: Logger): Result<ServingTls, string> {
  if (options.certPath === undefined) {
    if (options.keyPath !== undefined) return err("--key-path needs --cert-path");
    const generated = generateSelfSigned();
    const loaded = checkPair(Buffer.from(generated.certPem), Buffer.from(generated.keyPem), "self-signed");
    if (!loaded.ok) return loaded;
    const pair = loaded.value;
    return ok({
      identity: { current: () => pair, onRotate: () => () => {} },
      source: "self-signed",
      certificate: () => pair.info,
      dispose: () => {},
    });
  }
  const paths = resolvePaths(options.certPath, options.keyPath);
  if (!paths.ok) return paths;
  const first = readPair(paths.value.cert, paths.value.key);
  if (!first.ok) return first;
  const provider = new WatchedKeyPair(paths.value.cert, paths.value.key, first.value, logger);
  return ok({
    identity: provider,
    source: paths.value.cert,
    certificate: () => provider.pair.info,
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

/** WatchedKeyPair follows a key pair on disk and tells its listeners about each good rotation. */
class WatchedKeyPair implements TlsIdentitySource {
  private readonly listeners = new Set<(identity: TlsIdentity) => void>();
  private readonly watches: Disposable[];

  constructor(
    private readonly certFile: string,
    private readonly keyFile: string,
    /** pair is the key pair served now. */
    public pair: KeyPair,
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
      next.value.info.fingerprint256 === this.pair.info.fingerprint256 &&
      next.value.privateKey.equals(this.pair.privateKey)
    ) {
      return;
    }
    this.pair = next.value;
    this.logger.info({ certificate: next.value.info }, "TLS certificate reloaded");
    for (const listener of this.listeners) listener(next.value);
  }

  current(): TlsIdentity {
    return this.pair;
  }

  onRotate(listener: (identity: TlsIdentity) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispose(): void {
    for (const w of this.watches) w.dispose();
    this.listeners.clear();
  }
}
