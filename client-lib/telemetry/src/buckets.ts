/**
 * Latency histogram buckets of every chanpay process (services and payment servers), in seconds: 0.05 ms to 5 s.
 * prom-client's default buckets start at 5 ms, but a payment adds tens of microseconds to a call.
 */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];
