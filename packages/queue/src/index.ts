export * from './ingest-queue';
export * from './job-error';
export * from './queues';
export * from './redis-connection';
export * from './redis-errors';
export * from './profile-cache';
export * from './profile-queue';
export * from './llm-batch-queue';
