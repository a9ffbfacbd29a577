import { Cell, failureSummary, HttpResult, MachineFacts, markdownTable } from '@taskflow/bench';
import type { HttpFigures, LoadSettings } from './http-phase';
import type { IngestFigures } from './ingest-phase';
import type { WriteFigures } from './write-phase';

export interface BenchReport {
  startedAt: Date;
  seconds: number;
  facts: MachineFacts;
  /** 1-minute load average when the measurements ended. */
  loadAtEnd: number;
  versions: Record<string, string>;
  settings: LoadSettings & { events: number };
  http: HttpFigures;
  writes: WriteFigures;
  ingest: IngestFigures;
  memory: { name: string; bytes: number | undefined }[];
}

const ms = (value: number) =>
  Number.isFinite(value)
    ? `${value.toLocaleString('en-US', { maximumFractionDigits: value < 100 ? 1 : 0 })} ms`
    : undefined;
const rate = (value: number, unit: string) => `${value.toLocaleString('en-US')} ${unit}`;
const ratio = (value: number, of: number) => `${(value / of).toFixed(2)}×`;
const failures = (result: HttpResult) => (failureSummary(result) ? `; ${failureSummary(result)}` : '');

/** The one table (Markdown) with the machine facts above it; every figure comes from the same run. */
export function renderReport(report: BenchReport): string {
  const { facts, settings, http, writes, ingest } = report;
  const yardstick = http.hello.result.rps;
  const rows: Cell[][] = [
    [
      http.hello.name,
      rate(yardstick, 'req/s'),
      ms(http.hello.result.p50Ms),
      ms(http.hello.result.p99Ms),
      `1.00× (yardstick)${failures(http.hello.result)}`,
    ],
    ...http.routes.map(({ name, served, result }) => [
      `${name}${served ? ` (Cache-Status: ${served})` : ''}`,
      rate(result.rps, 'req/s'),
      ms(result.p50Ms),
      ms(result.p99Ms),
      `${ratio(result.rps, yardstick)} bare Fastify${failures(result)}`,
    ]),
    [
      'POST /api/v1/tasks (create, through the gateway)',
      rate(writes.writesPerSec, 'writes/s'),
      ms(writes.result.p50Ms),
      ms(writes.result.p99Ms),
      `${writes.result.ok.toLocaleString('en-US')} created${failures(writes.result)}`,
    ],
    [
      'outbox publish lag (insert → Kafka ack)',
      undefined,
      ms(writes.outbox.p50Ms),
      ms(writes.outbox.p99Ms),
      `${writes.outbox.sent.toLocaleString('en-US')} events; max ${ms(writes.outbox.maxMs)}`,
    ],
    [
      'write → audit store lag (same tasks)',
      undefined,
      ms(writes.audit.p50Ms),
      ms(writes.audit.p99Ms),
      `${writes.audit.count.toLocaleString('en-US')} events; max ${ms(writes.audit.maxMs)}`,
    ],
    [
      `audit ingest end to end (${ingest.events.toLocaleString('en-US')} events, publish → stored)`,
      rate(ingest.eventsPerSec, 'events/s'),
      ms(ingest.lag.p50Ms),
      ms(ingest.lag.p99Ms),
      `${ratio(ingest.eventsPerSec, Math.max(ingest.raw1.perSecond, ingest.raw3.perSecond))} the better raw rate; ` +
        `published at ${rate(ingest.publishPerSec, 'msg/s')}`,
    ],
    [
      'raw native insertMany, 1 writer (same server, indexes, documents)',
      rate(ingest.raw1.perSecond, 'docs/s'),
      undefined,
      undefined,
      `${ingest.raw1.docs.toLocaleString('en-US')} docs, batches of 1,000`,
    ],
    [
      'raw native insertMany, 3 writers',
      rate(ingest.raw3.perSecond, 'docs/s'),
      undefined,
      undefined,
      `${ingest.raw3.docs.toLocaleString('en-US')} docs, batches of 1,000`,
    ],
    ...report.memory.map(({ name, bytes }) => [
      `peak RSS ${name}`,
      bytes === undefined ? undefined : `${Math.round(bytes / 2 ** 20)} MiB`,
      undefined,
      undefined,
      'VmHWM over the whole run',
    ]),
  ];
  const [one, five, fifteen] = facts.loadAverage;
  return [
    `# TaskFlow benchmark — ${report.startedAt.toISOString()}`,
    '',
    `- Machine: ${facts.cpuModel}, ${facts.cores} cores, ${facts.memoryGiB} GiB, ${facts.os}`,
    `- Load average at start: ${one} / ${five} / ${fifteen} (1 / 5 / 15 min); 1 min at the end: ${report.loadAtEnd}`,
    ...(Math.max(one, report.loadAtEnd) > facts.cores
      ? ['- **Busy machine** (load above the core count): absolute figures are noisy; compare the ratios.']
      : []),
    `- Versions: Node ${facts.node}, ${Object.entries(report.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ')}`,
    `- Commit: ${facts.commit}`,
    `- Load: autocannon ${settings.connections} connections, ${settings.warmupSec} s warm-up + ${settings.durationSec} s ` +
      'measured per route, from the bench process; apps built with swc and run from dist/ with NODE_ENV=production, ' +
      'LOG_LEVEL=warn, everything on this machine',
    `- Run took ${Math.round(report.seconds)} s`,
    '',
    markdownTable(['Measure', 'Rate', 'p50', 'p99', 'Ratio / note'], rows),
    '',
  ].join('\n');
}
