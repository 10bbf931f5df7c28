export * from './mnemo-tools';
export * from './mnemo-mcp-server';
