import { Redis, type RedisOptions } from 'ioredis';

/** A Redis connection as BullMQ takes it: ioredis options, or a client to copy the settings of. */
export type RedisConnection = RedisOptions | Redis;

/** A client of our own for the run's ledger, never a connection BullMQ blocks on. */
export function openRedis(connection: RedisConnection): Redis {
  if (connection instanceof Redis) return connection.duplicate({ maxRetriesPerRequest: null });
  return new Redis({ ...connection, maxRetriesPerRequest: null, lazyConnect: false });
}
