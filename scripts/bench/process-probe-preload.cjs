/**
 * Preloaded into every process of an open-loop benchmark run (NODE_OPTIONS=--require, set through the network
 * builder's `env`): keeps an event-loop delay histogram (perf_hooks.monitorEventLoopDelay, 10 ms resolution)
 * (reported as lag: the delay beyond the timer's 10 ms) and, on SIGUSR2 from the benchmark, writes what it saw since the previous signal to
 * <CHANPAY_PROBE_DIR>/<pid>.json, then starts a fresh window. The benchmark signals at the start of a measured
 * window (to reset) and at its end (to read); the report written at start-up tells it the probe is there. Nothing leaves the machine; the file holds figures only.
 */
'use strict';
const dir = process.env.CHANPAY_PROBE_DIR;
if (dir) {
  const { monitorEventLoopDelay } = require('node:perf_hooks');
  const fs = require('node:fs');
  const path = require('node:path');
  // The histogram records the time between ticks of a 10 ms timer: the lag is what exceeds the 10 ms.
  const RESOLUTION_MS = 10;
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  delay.enable();
  let seq = 0;
  const file = path.join(dir, `${process.pid}.json`);
  const write = () => {
    const ms = (ns) => (Number.isFinite(ns) && delay.count > 0 ? Math.max(0, ns / 1e6 - RESOLUTION_MS) : 0);
    const report = {
      pid: process.pid,
      seq: ++seq,
      at: Date.now(),
      eventLoopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max), mean: ms(delay.mean) },
      samples: delay.count,
      rssBytes: process.memoryUsage.rss(),
      // Lifetime peak, in kilobytes (getrusage's ru_maxrss).
      maxRssKb: process.resourceUsage().maxRSS,
    };
    delay.reset();
    try {
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(report));
      fs.renameSync(`${file}.tmp`, file);
    } catch {
      /* the benchmark reports the figure as missing */
    }
  };
  process.on('SIGUSR2', write);
  // The first report (seq 1) announces the probe: the benchmark signals only processes that have one.
  write();
}
