export * from './api-key';
export * from './api-key-repository';
export * from './principal';
