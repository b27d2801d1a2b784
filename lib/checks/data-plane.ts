/** What the data plane (the proxy that verifies clients) does, named in the messages of the common checks. */
export interface DataPlaneBehaviour {
  /** Who refuses clients, e.g. "nginx" or "haproxy". */
  readonly server: string;
  /** The status a refused client gets, e.g. "400" (nginx) or "495" (HAProxy Ingress). */
  readonly refusal: string;
  /** Its setting that loads the CRL, e.g. "ssl_crl" (nginx) or "crl-file" (haproxy). */
  readonly crlSetting: string;
}

/** ingress-nginx and F5 NGINX Ingress Controller: nginx answers 400 to a client it refuses. */
export const NGINX_DATA_PLANE: DataPlaneBehaviour = { server: 'nginx', refusal: '400', crlSetting: 'ssl_crl' };
