export * from './pki';
export * from './checks';
export * from './controllers';
export * from './constructs';
export * from './store';
