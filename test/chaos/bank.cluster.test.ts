/** The same tests as bank.test.ts, with every server on a three-master Redis Cluster. */
import { runOnRedisCluster } from '../helpers/redis-cluster.js';

runOnRedisCluster();
await import('./bank.test.js');
