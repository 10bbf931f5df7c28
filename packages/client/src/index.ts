export * from './mnemo-client';
export * from './mnemo-api-error';
export * from './retry-policy';
export type { components, operations, paths } from './generated/openapi';
