import { failureSummary, HttpResult } from './http-load';
import { markdownTable } from './markdown';
import { parseVmHwm } from './memory';
import { percentile } from './percentile';

describe('percentile (nearest rank)', () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);

  it('picks the ranked value', () => {
    expect(percentile(sorted, 0.5)).toBe(50);
    expect(percentile(sorted, 0.99)).toBe(99);
    expect(percentile(sorted, 1)).toBe(100);
    expect(percentile(sorted, 0)).toBe(1);
    expect(percentile([7], 0.99)).toBe(7);
  });

  it('is NaN for no values', () => {
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe('parseVmHwm', () => {
  it('reads the peak RSS in bytes from /proc/<pid>/status', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1234567 kB\nVmHWM:\t  183204 kB\nVmRSS:\t  150000 kB\n';
    expect(parseVmHwm(status)).toBe(183204 * 1024);
  });

  it('is undefined without a VmHWM line (kernel threads, other systems)', () => {
    expect(parseVmHwm('Name:\tkthreadd\nState:\tS (sleeping)\n')).toBeUndefined();
  });
});

describe('markdownTable', () => {
  it('renders header, separator and rows; groups numbers; escapes pipes; dashes for missing', () => {
    expect(
      markdownTable(
        ['a', 'b', 'c'],
        [
          [12345.678, 'x|y', undefined],
          [Number.NaN, 'z'],
        ],
      ),
    ).toBe(['| a | b | c |', '| --- | --- | --- |', '| 12,345.68 | x\\|y | – |', '| – | z | – |'].join('\n'));
  });
});

describe('failureSummary', () => {
  const result: HttpResult = {
    rps: 100,
    p50Ms: 1,
    p99Ms: 2,
    ok: 1000,
    non2xx: 0,
    non2xxByStatus: {},
    errors: 0,
    seconds: 10,
  };

  it('is empty when every answer was 2xx', () => {
    expect(failureSummary(result)).toBe('');
  });

  it('lists non-2xx answers by status and the errors', () => {
    expect(failureSummary({ ...result, non2xx: 15, non2xxByStatus: { '503': 12, '429': 3 }, errors: 2 })).toBe(
      'non-2xx 15 (429: 3, 503: 12), errors 2',
    );
  });
});
