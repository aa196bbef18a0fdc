/**
 * Preloaded into each process of a profiled benchmark run (`npm run bench -- --profile`) through
 * NODE_OPTIONS=--require, because Node 20 does not allow --cpu-prof there. Samples the process with the V8
 * profiler from start to exit and writes <CHANPAY_CPU_PROFILE_DIR>/<pid>.cpuprofile (open it in Chrome DevTools
 * or summarize it with scripts/bench/profile-top.ts). The in-process inspector session answers synchronously,
 * so the profile can be written from the 'exit' handler.
 */
'use strict';
const dir = process.env.CHANPAY_CPU_PROFILE_DIR;
if (dir) {
  const inspector = require('node:inspector');
  const fs = require('node:fs');
  const path = require('node:path');
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  process.on('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (!err) fs.writeFileSync(path.join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
