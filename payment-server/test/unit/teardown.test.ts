import { Teardown } from '../../src/startup/teardown';

describe('Teardown', () => {
  test('undoes in reverse order, goes on after a failing step, and runs each step once', async () => {
    const done: string[] = [];
    const t = new Teardown();
    t.add(() => void done.push('db'));
    t.add(async () => {
      done.push('chain');
      throw new Error('already stopped');
    });
    t.add(
      () => void done.push('http'),
      async () => {
        await new Promise((r) => setTimeout(r, 5));
        done.push('loop');
      },
    );
    await t.run();
    expect(done).toEqual(['loop', 'http', 'chain', 'db']);
    await t.run();
    expect(done).toHaveLength(4);
  });
});
