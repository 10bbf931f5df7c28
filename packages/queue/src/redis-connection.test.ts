import { EventEmitter } from 'node:events';
import { reportConnection } from './redis-connection';

describe('reportConnection', () => {
  it('warns once when Redis goes away and tells once when it is back', () => {
    const redis = new EventEmitter();
    const logger = { warn: jest.fn(), info: jest.fn() };
    reportConnection(redis as never, logger, 'api');
    redis.emit('ready');
    redis.emit('error', new Error('connect ECONNREFUSED'));
    redis.emit('error', new Error('connect ECONNREFUSED'));
    redis.emit('error', new Error('connect ECONNREFUSED'));
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith('Redis unreachable; reconnecting', { connection: 'api', error: 'connect ECONNREFUSED' });
    redis.emit('ready');
    redis.emit('ready');
    expect(logger.info).toHaveBeenCalledTimes(1);
    redis.emit('error', new Error('again'));
    expect(logger.warn).toHaveBeenCalledTimes(2);
  });
});
