import { Redis, type RedisOptions } from 'ioredis';

/** A Redis connection as BullMQ takes it: ioredis options, or a client to copy the settings of. */
export type RedisConnection = RedisOptions | Redis;

/** A client of our own for the run's ledger, never a connection BullMQ blocks on. */
export function openRedis(connection: RedisConnection): Redis {
  const client =
    connection instanceof Redis
      ? connection.duplicate({ maxRetriesPerRequest: null })
      : new Redis({ ...connection, maxRetriesPerRequest: null, lazyConnect: false });
  // Connection errors reach the caller through the commands that fail; an 'error' event
  // without a listener would only print them (ioredis reconnects on its own).
  client.on('error', () => undefined);
  return client;
}
