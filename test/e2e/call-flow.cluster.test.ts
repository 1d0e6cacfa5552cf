/** The same tests as call-flow.test.ts, with every server on a three-master Redis Cluster. */
import { runOnRedisCluster } from '../helpers/redis-cluster.js';

runOnRedisCluster();
await import('./call-flow.test.js');
