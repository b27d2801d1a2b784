/** What the data plane (the proxy that verifies clients) does, named in the messages of the common checks. */
export interface DataPlaneBehaviour {
  /** Who refuses clients, e.g. "nginx" or "haproxy". */
  readonly server: string;
  /** The status a refused client gets, e.g. "400" (nginx) or "495" (HAProxy Ingress). */
  readonly refusal: string;
  /** Its setting that loads the CRL, e.g. "ssl_crl" (nginx) or "crl-file" (haproxy). */
  readonly crlSetting: string;
  /**
   * What every client meets once a CRL has expired, when that is not "<server> rejects every client: <refusal>",
   * e.g. Envoy Gateway's 500 on every route of the listener. A sentence without the final full stop.
   * @default - "<server> then rejects EVERY client certificate ("CRL has expired"): <refusal> for every client"
   */
  readonly crlExpiry?: string;
  /**
   * The CRL is checked for the client certificate only, not for the CAs above it (Envoy's
   * only_verify_leaf_cert_crl): a CA that issues no other CA of the bundle still needs its CRL, the others do not.
   * @default false
   */
  readonly leafOnlyCrl?: boolean;
}

/** ingress-nginx and F5 NGINX Ingress Controller: nginx answers 400 to a client it refuses. */
export const NGINX_DATA_PLANE: DataPlaneBehaviour = { server: 'nginx', refusal: '400', crlSetting: 'ssl_crl' };

/** What every client meets once a CRL has expired on this data plane. */
export function crlExpiryOf(dataPlane: DataPlaneBehaviour): string {
  return dataPlane.crlExpiry ?? `${dataPlane.server} then rejects EVERY client certificate ("CRL has expired"): ${dataPlane.refusal} for every client`;
}
