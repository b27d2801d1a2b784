import { readInputFile } from '../checks';
import { ServerTlsMaterial } from './mtls-ingress';

/** PEM inputs for `MtlsIngress`, spread into its props: `{ ...MtlsMaterial.fromFiles({...}), host, backend }`. */
export interface MtlsMaterialProps {
  readonly serverTls: ServerTlsMaterial;
  readonly clientCaPem: string;
  readonly crlPem?: string;
}

export interface MtlsFiles {
  /** The server certificate chain, leaf first (server-cert-chain.pem: `cat server-cert.pem server-ca-cert.pem`). */
  readonly serverCertificateChain: string;
  /** The server certificate's key (server-key.pem). */
  readonly serverKey: string;
  /** The client CA certificate(s) (client-ca-cert.pem). */
  readonly clientCa: string;
  /** The CRL(s), PEM. @default - no revocation checking */
  readonly crl?: string;
}

export class MtlsMaterial {
  /**
   * Reads the files an openssl-based setup produces. A missing or unreadable file throws
   * at once, naming the path; content problems are reported by the construct's checks at synth.
   */
  public static fromFiles(files: MtlsFiles): MtlsMaterialProps {
    return {
      serverTls: {
        certificateChainPem: readInputFile(files.serverCertificateChain, 'serverCertificateChain'),
        privateKeyPem: readInputFile(files.serverKey, 'serverKey'),
      },
      clientCaPem: readInputFile(files.clientCa, 'clientCa'),
      ...(files.crl !== undefined ? { crlPem: readInputFile(files.crl, 'crl') } : {}),
    };
  }

  private constructor() {}
}
