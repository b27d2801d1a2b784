export * from './finding';
export * from './server-tls';
export * from './client-trust';
export * from './ingress-settings';
export * from './secret-size';
export * from './check-files';
export * from './check-manifests';
