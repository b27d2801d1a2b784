// The scenario matrix (matrix.ts) on ingress-nginx: nginx configured as ingress-nginx renders the auth-tls annotations.
import { CONTROLLERS, defineMatrix } from './matrix';
import { serveIngress } from './nginx-harness';

defineMatrix('ingress-nginx', CONTROLLERS['ingress-nginx'], (objects) => serveIngress({ objects }));
