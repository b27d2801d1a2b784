// The scenario matrix (matrix.ts) on F5 NGINX Ingress Controller, both forms: nginx configured as F5 renders an
// IngressMTLS Policy attached to an Ingress (nginx.org/policies) and to a VirtualServer.
import { serveF5 } from './f5-harness';
import { CONTROLLERS, defineMatrix } from './matrix';

defineMatrix('f5-nginx', CONTROLLERS['f5-nginx'], (objects) => serveF5({ objects }));
defineMatrix('f5-nginx (VirtualServer)', CONTROLLERS['f5-nginx (VirtualServer)'], (objects) => serveF5({ objects }));
