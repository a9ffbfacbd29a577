import { exceedsDepth } from './json-depth';

const nest = (levels: number) => JSON.parse(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`);

describe('exceedsDepth', () => {
  it('should count object and array levels', () => {
    expect(exceedsDepth({ a: 1 }, 1)).toBe(false);
    expect(exceedsDepth({ a: { b: 1 } }, 1)).toBe(true);
    expect(exceedsDepth([[1]], 2)).toBe(false);
    expect(exceedsDepth([[[1]]], 2)).toBe(true);
    expect(exceedsDepth('text', 0)).toBe(false);
    expect(exceedsDepth(null, 0)).toBe(false);
  });

  it('should walk 50,000 levels without overflowing the stack', () => {
    expect(exceedsDepth(nest(50_000), 32)).toBe(true);
    expect(exceedsDepth(nest(32), 32)).toBe(false);
  });
});
