export * from './pki';
export * from './checks';
export * from './constructs';
export * from './store';
