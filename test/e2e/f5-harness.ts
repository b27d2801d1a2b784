// nginx configured as F5 NGINX Ingress Controller renders an IngressMTLS Policy (render-f5.ts), run by the nginx
// process harness. Same probes as the ingress-nginx harness.
import { serveNginx, ServedNginx } from './nginx-harness';
import { F5MtlsState, renderF5, RenderedF5 } from './render-f5';
import type { K8sObject } from './render-nginx';

export { renderF5 } from './render-f5';
export type { F5MtlsState, RenderedF5 } from './render-f5';

export interface ServedF5 extends ServedNginx<RenderedF5> {
  /** the nginx.conf currently live */
  nginxConf: string;
  /** how the Policy and its Secret were read for the live config */
  mtls: F5MtlsState;
}

export async function serveF5(opts: { objects: K8sObject[]; keepWorkDir?: boolean }): Promise<ServedF5> {
  const inner = await serveNginx({ ...opts, render: (objects, ctx) => renderF5({ ...ctx, objects }) });
  return Object.defineProperties(inner as ServedF5, {
    nginxConf: { get: () => inner.rendered.conf, enumerable: true },
    mtls: { get: () => inner.rendered.mtls, enumerable: true },
  });
}
