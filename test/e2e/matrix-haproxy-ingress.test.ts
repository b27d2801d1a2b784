// The scenario matrix (matrix.ts) on HAProxy Ingress: haproxy 2.6 configured as HAProxy Ingress v0.16 renders the
// auth-tls annotations (crt-list with verify optional, the tls-* ACLs, the 495/496 Lua services).
import { serveHaproxy } from './haproxy-harness';
import { CONTROLLERS, defineMatrix } from './matrix';

defineMatrix('haproxy-ingress', CONTROLLERS['haproxy-ingress'], (objects) => serveHaproxy({ objects }));
