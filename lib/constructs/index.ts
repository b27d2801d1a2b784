export * from './mtls-ingress';
export * from './material';
