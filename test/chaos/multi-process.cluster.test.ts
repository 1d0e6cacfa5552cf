/** The same tests as multi-process.test.ts, with every server on a three-master Redis Cluster. */
import { runOnRedisCluster } from '../helpers/redis-cluster.js';

runOnRedisCluster();
await import('./multi-process.test.js');
