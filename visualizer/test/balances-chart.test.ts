import { BalanceHistory, sampleBlocks } from '../src/lib/balances';
import { integerTicks, lineChart, niceTicks } from '../src/lib/chart';

describe('sampleBlocks', () => {
  it('takes every block when there are few', () => {
    expect(sampleBlocks(3, 7, 10)).toEqual([3, 4, 5, 6, 7]);
  });
  it('spreads at most maxPoints blocks evenly, both ends included', () => {
    const blocks = sampleBlocks(0, 1000, 11);
    expect(blocks).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    const uneven = sampleBlocks(5, 17, 4);
    expect(uneven[0]).toBe(5);
    expect(uneven[uneven.length - 1]).toBe(17);
    expect(uneven.length).toBeLessThanOrEqual(4);
  });
  it('handles empty and single-point requests', () => {
    expect(sampleBlocks(5, 4, 10)).toEqual([]);
    expect(sampleBlocks(0, 10, 0)).toEqual([]);
    expect(sampleBlocks(0, 10, 1)).toEqual([10]);
  });
});

describe('BalanceHistory', () => {
  it('keeps points sorted per address, case-insensitively, and gives changes against the first', () => {
    const history = new BalanceHistory();
    history.add('0xAA', 5, 100n);
    history.add('0xaa', 2, 150n);
    history.add('0xaa', 9, 40n);
    expect(history.points('0xaa')).toEqual([
      { block: 2, balance: 150n },
      { block: 5, balance: 100n },
      { block: 9, balance: 40n },
    ]);
    expect(history.deltas('0xAA').map((p) => p.balance)).toEqual([0n, -50n, -110n]);
    expect(history.points('0xbb')).toEqual([]);
  });
  it('drops the oldest points beyond its bound', () => {
    const history = new BalanceHistory(3);
    for (let b = 1; b <= 5; b++) history.add('0xaa', b, BigInt(b));
    expect(history.points('0xaa').map((p) => p.block)).toEqual([3, 4, 5]);
  });
});

describe('chart geometry', () => {
  it('picks round ticks covering the range', () => {
    expect(niceTicks(0, 10, 5)).toEqual([0, 5, 10]);
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.5, 1]);
    expect(niceTicks(0.1, 0.7, 4)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(-0.013, 0.004, 5)).toEqual([-0.015, -0.01, -0.005, 0, 0.005]);
    expect(niceTicks(0, 10, 6)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(3, 3, 5)[0]).toBeLessThan(3);
  });
  it('picks whole block numbers', () => {
    expect(integerTicks(0, 100, 5)).toEqual([0, 50, 100]);
    expect(integerTicks(3, 5, 5)).toEqual([3, 4, 5]);
  });
  it('maps series into the plot box as step lines', () => {
    const box = { width: 200, height: 100, left: 10, right: 10, top: 10, bottom: 10 };
    const chart = lineChart(
      [
        {
          key: 'a',
          points: [
            { x: 0, y: 0 },
            { x: 10, y: -1 },
          ],
        },
        {
          key: 'b',
          points: [
            { x: 0, y: 0 },
            { x: 5, y: 1 },
            { x: 10, y: 1 },
          ],
        },
      ],
      box,
    );
    expect(chart.lines.map((l) => l.key)).toEqual(['a', 'b']);
    expect(chart.lines[0]!.d).toBe('M 10 50 H 190 V 90');
    expect(chart.lines[1]!.last).toEqual({ x: 190, y: 10 });
    expect(chart.zeroY).toBe(50);
    expect(chart.yTicks[0]!.position).toBe(90);
    expect(chart.yTicks[chart.yTicks.length - 1]!.position).toBe(10);
    expect(lineChart([], box)).toEqual({ lines: [], xTicks: [], yTicks: [], zeroY: null });
  });
});
