import { SingleFlight } from './single-flight';

describe('SingleFlight', () => {
  it('should run concurrent calls of one key once and share the result', async () => {
    const flight = new SingleFlight();
    let calls = 0;
    const load = () => flight.run('k', async () => (calls++, await new Promise((r) => setTimeout(r, 10)), 'v'));
    await expect(Promise.all([load(), load(), load()])).resolves.toEqual(['v', 'v', 'v']);
    expect(calls).toBe(1);
    expect(flight.size).toBe(0);
  });

  it('should share a failure and allow a new call afterwards', async () => {
    const flight = new SingleFlight();
    await expect(flight.run('k', () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await expect(flight.run('k', async () => 1)).resolves.toBe(1);
  });
});
