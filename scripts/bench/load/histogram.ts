/**
 * Latencies recorded into an HdrHistogram (`hdr-histogram-js`): microsecond resolution, three significant digits,
 * constant memory whatever the number of requests, mergeable across runs, and written as the standard HDR
 * interval log (`HistogramLogWriter`), which HdrHistogram's tools (HistogramLogProcessor, the plotter) read.
 */
import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

/** The percentiles every report states (p99.9 as `p99_9`). */
export const REPORTED_PERCENTILES = [50, 90, 99, 99.9] as const;

export interface LatencyStats {
  count: number;
  meanMs: number;
  minMs: number;
  p50: number;
  p90: number;
  p99: number;
  p99_9: number;
  maxMs: number;
}

/** Longest latency tracked exactly (a minute); longer ones are clamped to it and counted in `clamped`. */
const HIGHEST_US = 60_000_000;

export class LatencyHistogram {
  /** The underlying histogram, in microseconds. */
  readonly h: Histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3 });
  clamped = 0;

  /** Records one latency given in milliseconds (rounded to the microsecond, at least 1 µs). */
  record(ms: number): void {
    let us = Math.max(1, Math.round(ms * 1000));
    if (us > HIGHEST_US) {
      us = HIGHEST_US;
      this.clamped++;
    }
    this.h.recordValue(us);
  }

  get count(): number {
    return this.h.totalCount;
  }

  /**
   * The latency in ms at or below which `percentile` % of the recorded ones fall; 0 when empty. HdrHistogram
   * answers with the top of the value's bucket, which can pass the largest value recorded: capped at it.
   */
  percentileMs(percentile: number): number {
    return this.count === 0 ? 0 : Math.min(this.h.getValueAtPercentile(percentile), this.h.maxValue) / 1000;
  }

  add(other: LatencyHistogram): void {
    this.h.add(other.h);
    this.clamped += other.clamped;
  }

  stats(): LatencyStats {
    const empty = this.count === 0;
    return {
      count: this.count,
      meanMs: empty ? 0 : this.h.mean / 1000,
      minMs: empty ? 0 : this.h.minNonZeroValue / 1000,
      p50: this.percentileMs(50),
      p90: this.percentileMs(90),
      p99: this.percentileMs(99),
      p99_9: this.percentileMs(99.9),
      maxMs: empty ? 0 : this.h.maxValue / 1000,
    };
  }

  /** The percentile distribution as HdrHistogram prints it (values in ms). */
  distribution(): string {
    return this.h.outputPercentileDistribution(5, 1000);
  }

  /** The whole histogram as one compressed base64 string (the body of an HDR log line). */
  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.h);
  }

  static decode(base64: string): LatencyHistogram {
    const out = new LatencyHistogram();
    out.h.add(hdr.decodeFromCompressedBase64(base64));
    return out;
  }

  destroy(): void {
    this.h.destroy();
  }
}

/** An HDR interval log (format 1.3) of named histograms, values in microseconds, the max column in ms. */
export function hdrLog(entries: { tag: string; startMs: number; endMs: number; histogram: LatencyHistogram }[], comment: string): string {
  let text = '';
  const writer = new hdr.HistogramLogWriter((line) => {
    text += line;
  });
  writer.outputLogFormatVersion();
  writer.outputComment(comment);
  writer.outputComment('values in microseconds; the max column in milliseconds');
  const base = Math.min(...entries.map((e) => e.startMs));
  if (Number.isFinite(base)) writer.outputStartTime(base);
  writer.baseTime = Number.isFinite(base) ? base : 0;
  writer.outputLegend();
  for (const e of entries) {
    e.histogram.h.tag = e.tag;
    writer.outputIntervalHistogram(e.histogram.h, (e.startMs - writer.baseTime) / 1000, (e.endMs - writer.baseTime) / 1000, 1000);
  }
  return text;
}
