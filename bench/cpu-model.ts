/**
 * The CPU a Lambda's code spends, in milliseconds of one vCPU, on what dominates it (measured on the 2-core
 * machine the benchmark runs on), for the scale model and the cost model alike: a request on a new HTTPS
 * connection, the TLS handshake most of it (a client's 1.7–2.3 ms), for each feed fetched and each webhook
 * POST (each on a host of its own: the worst case, a receiver of many subscriptions keeps its connection); the
 * parse of a changed feed and the work on its articles (0.5–0.7 ms for 5–20 short items, more for a real feed's
 * content); an AWS SDK request on a kept connection.
 */
export const CPU_MS = { httpsRequest: 2, changedFeed: 2, awsRequest: 0.3 } as const;

/**
 * The share of a vCPU a function of `memoryMb` has (1,769 MB is one), at most one: a Node.js handler's code runs
 * on one thread.
 */
export const vcpuOf = (memoryMb: number): number => Math.min(1, memoryMb / 1769);
