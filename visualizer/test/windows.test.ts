import { windowTimeline } from '../src/lib/windows';

describe('windowTimeline', () => {
  it('lays the server’s windows on a fixed timeline ending at the current window, gaps as zero', () => {
    const timeline = windowTimeline(
      [
        { start: 1_200, calls: 3, amount: 30n },
        { start: 1_020, calls: 1, amount: 10n },
      ],
      60,
      1_234,
      5,
    );
    expect(timeline).toEqual([
      { start: 960, calls: 0, amount: 0n },
      { start: 1_020, calls: 1, amount: 10n },
      { start: 1_080, calls: 0, amount: 0n },
      { start: 1_140, calls: 0, amount: 0n },
      { start: 1_200, calls: 3, amount: 30n },
    ]);
  });

  it('keeps windows ahead of the wall clock (a chain moved forward in time) and drops older ones', () => {
    const timeline = windowTimeline(
      [
        { start: 6_000, calls: 2, amount: 5n },
        { start: 60, calls: 9, amount: 9n },
      ],
      60,
      1_000,
      3,
    );
    expect(timeline.map((w) => [w.start, w.calls])).toEqual([
      [5_880, 0],
      [5_940, 0],
      [6_000, 2],
    ]);
  });

  it('merges windows that fall into the same slot and copes with no windows', () => {
    expect(
      windowTimeline(
        [
          { start: 61, calls: 1, amount: 1n },
          { start: 90, calls: 2, amount: 2n },
        ],
        60,
        100,
        1,
      ),
    ).toEqual([{ start: 60, calls: 3, amount: 3n }]);
    expect(windowTimeline([], 0, 10, 2)).toEqual([
      { start: 9, calls: 0, amount: 0n },
      { start: 10, calls: 0, amount: 0n },
    ]);
  });
});
