// The AppDeployment kind's outside view of an app: public DNS, the certificate served for its host, and its health path.

/** CertificateView is what the edge presents for a host. */
export interface CertificateView {
  /** A certificate for this host from a trusted issuer, not expired. */
  valid: boolean;
  /** Traefik's self-signed default certificate (no certificate was issued yet). */
  traefikDefault: boolean;
  issuer?: string;
  /** Why it is not valid (handshake error, name mismatch, untrusted issuer). */
  error?: string;
}

/** AppProbe checks an app from outside, as a user would reach it. */
export interface AppProbe {
  /** resolve returns the A addresses public resolvers give for the host (real: 1.1.1.1 and 8.8.8.8 must agree). */
  resolve(host: string): Promise<string[]>;
  /** certificate connects to the server's address with the host as SNI and reports what it presents. */
  certificate(host: string, address: string): Promise<CertificateView>;
  /** health requests https://host/path at the server's address and returns the status code (0 when unreachable). */
  health(host: string, address: string, path: string): Promise<{ status: number; error?: string }>;
}
