import { loadConfig } from './env';
import { shutdownConfigSpec } from './shutdown';

describe('shutdown settings', () => {
  it('should not delay shutdown in development and drain for 5 s in staging and production', () => {
    const base = { keepAliveTimeoutMs: 72_000, shutdownTimeoutMs: 15_000 };
    expect(loadConfig(shutdownConfigSpec(), {})).toEqual({ drainDelayMs: 0, ...base });
    expect(loadConfig(shutdownConfigSpec(), { APP_ENV: 'staging' })).toEqual({ drainDelayMs: 5_000, ...base });
    expect(loadConfig(shutdownConfigSpec(), { APP_ENV: 'production' })).toEqual({ drainDelayMs: 5_000, ...base });
  });

  it('should read the variables and name a bad one', () => {
    expect(
      loadConfig(shutdownConfigSpec(), {
        DRAIN_DELAY_MS: '10000',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '650000',
        SHUTDOWN_TIMEOUT_MS: '20000',
      }),
    ).toEqual({ drainDelayMs: 10_000, keepAliveTimeoutMs: 650_000, shutdownTimeoutMs: 20_000 });
    expect(() => loadConfig(shutdownConfigSpec(), { HTTP_KEEP_ALIVE_TIMEOUT_MS: '500', DRAIN_DELAY_MS: '-1' })).toThrow(
      /DRAIN_DELAY_MS: must be >= 0[\s\S]*HTTP_KEEP_ALIVE_TIMEOUT_MS: must be >= 1000/,
    );
  });
});
