import canonicalize from 'canonicalize';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { EventLog, retentionDeadlineOf } from './event-log';

/**
 * Tamper evidence for `event_logs` (issue 13, part 3): hash chains per (topic, partition, event type) and signed
 * checkpoints, one per stored segment. See apps/audit-service/README.md "Tamper evidence" for the design.
 */

/** Record fields a hash covers: what the producer said. `updatedAt`, `expiresAt` and legal-hold fields may change. */
export const CHAINED_FIELDS = [
  'eventId',
  'type',
  'schemaVersion',
  'actorId',
  'entityType',
  'entityId',
  'correlationId',
  'causationId',
  'metadata',
  'payload',
  'createdAt',
] as const satisfies readonly (keyof EventLog)[];

/** `prevHash` of the first record of a chain: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** Where a record sits in its chain. */
export interface ChainLink {
  /** `${topic}/${partition}/${type}`: one Kafka partition (one writer at a time) and one retention class. */
  chain: string;
  /** 1, 2, 3, … without holes, per chain. */
  seq: number;
  /** `hash` of the record at `seq - 1` (GENESIS_HASH for seq 1). */
  prevHash: string;
  /** SHA-256 hex of the record's canonical content and link, see `recordHash`. */
  hash: string;
}

export type ChainedEventLog = EventLog & ChainLink;

/** The last stored record of a chain: what the next record links to. */
export interface ChainHead {
  seq: number;
  hash: string;
}

export const EMPTY_HEAD: ChainHead = { seq: 0, hash: GENESIS_HASH };

/**
 * A chunk is inserted, then its checkpoints are written (milliseconds later; a hung MongoDB fails the write within
 * the socket timeout). A record written this recently without a checkpoint may be in flight: verification does not
 * report it yet, and a recovering consumer waits for its writer instead of sealing it.
 */
export const IN_FLIGHT_MS = 30_000;

/**
 * Most spread of `expiresAt` within one segment. A chunk whose records expire far apart (late or backdated events
 * next to fresh ones) is cut into several segments, so an old record's expiry never makes a fresh one's deletion
 * look like TTL: a deletion passes as expiry only within this long of the segment's first expiry.
 */
export const SEGMENT_EXPIRY_SPREAD_MS = 3_600_000;

export function chainOf(topic: string, partition: number, type: string): string {
  return `${topic}/${partition}/${type}`;
}

/** The event type a chain holds (its last `/` part): its retention class. */
export function typeOfChain(chain: string): string {
  return chain.slice(chain.lastIndexOf('/') + 1);
}

/**
 * SHA-256 (hex) of the RFC 8785 canonical JSON of `{chain, seq, prevHash, content}`, where `content` holds the
 * CHAINED_FIELDS present on `doc` (dates as ISO 8601 UTC strings, absent fields left out; `createdAt` is the
 * envelope's `occurredAt`). Any change of a covered field, the position or the predecessor changes the hash.
 */
export function recordHash(doc: EventLog, link: Omit<ChainLink, 'hash'>): string {
  const content = chainedContent(doc);
  const text = canonicalize(toJsonValue({ chain: link.chain, seq: link.seq, prevHash: link.prevHash, content }));
  return createHash('sha256').update(text!).digest('hex');
}

/** The CHAINED_FIELDS present on `doc`: what the producer said, without what ingest or legal holds add or change. */
export function chainedContent(doc: EventLog): Partial<EventLog> {
  const content: Record<string, unknown> = {};
  for (const field of CHAINED_FIELDS) {
    const value = (doc as unknown as Record<string, unknown>)[field];
    if (value !== undefined) content[field] = value;
  }
  return content as Partial<EventLog>;
}

/** Dates become ISO strings (the JSON the hash is taken over); everything else is already JSON. */
function toJsonValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, toJsonValue(inner)]));
  }
  return value;
}

/**
 * Links `docs` (in order) to their chains, starting after `heads` (EMPTY_HEAD for a chain not in the map).
 * Returns the sealed copies and the new heads; `docs` and `heads` are left unchanged.
 */
export function sealRecords(
  docs: EventLog[],
  chainOfDoc: (doc: EventLog) => string,
  heads: ReadonlyMap<string, ChainHead>,
): { sealed: ChainedEventLog[]; heads: Map<string, ChainHead> } {
  const next = new Map(heads);
  const sealed = docs.map((doc) => {
    const chain = chainOfDoc(doc);
    const head = next.get(chain) ?? EMPTY_HEAD;
    const link = { chain, seq: head.seq + 1, prevHash: head.hash };
    const hash = recordHash(doc, link);
    next.set(chain, { seq: link.seq, hash });
    return { ...doc, ...link, hash };
  });
  return { sealed, heads: next };
}

/**
 * A signed summary of one segment: consecutive records `firstSeq..lastSeq` of one chain, written by one insert.
 * Kept in `audit_checkpoints` (no TTL), so it outlives its records: it tells a record that may have expired from
 * one that was deleted, and it carries the chain across the holes TTL leaves.
 */
export interface Checkpoint {
  chain: string;
  type: string;
  firstSeq: number;
  lastSeq: number;
  /** `prevHash` of the record at firstSeq, i.e. the previous segment's `lastHash`. */
  prevHash: string;
  lastHash: string;
  minCreatedAt: Date;
  maxCreatedAt: Date;
  /** Earliest `expiresAt` stamped on the segment's records at ingest: before it, none of them may be missing. */
  minExpiresAt: Date;
  /** When the segment was stored (its records' `updatedAt`); `GET /verify?from&to` selects segments by it. */
  sealedAt: Date;
  /** HMAC-SHA256 (hex) of the fields above, keyed with AUDIT_CHECKPOINT_KEY. */
  mac: string;
}

export type UnsignedCheckpoint = Omit<Checkpoint, 'mac'>;

/**
 * Cuts `records` (ascending seq, any chains) into segments: runs of consecutive seqs of one chain whose `expiresAt`
 * (retention deadlines, held or not) lie within SEGMENT_EXPIRY_SPREAD_MS of each other. Deterministic, so a recovery seals exactly what the writer would.
 */
export function segmentsOf(records: ChainedEventLog[]): ChainedEventLog[][] {
  const open = new Map<string, { run: ChainedEventLog[]; min: number; max: number }>();
  const segments: ChainedEventLog[][] = [];
  for (const record of records) {
    const expiry = retentionDeadlineOf(record).getTime();
    const current = open.get(record.chain);
    const fits =
      current &&
      current.run[current.run.length - 1].seq + 1 === record.seq &&
      Math.max(current.max, expiry) - Math.min(current.min, expiry) <= SEGMENT_EXPIRY_SPREAD_MS;
    if (current && fits) {
      current.run.push(record);
      current.min = Math.min(current.min, expiry);
      current.max = Math.max(current.max, expiry);
    } else {
      const run = [record];
      segments.push(run);
      open.set(record.chain, { run, min: expiry, max: expiry });
    }
  }
  return segments;
}

/** Summarises `records` (consecutive, one chain, ascending seq, at least one) as an unsigned checkpoint. */
export function summarise(records: ChainedEventLog[], sealedAt: Date): UnsignedCheckpoint {
  const first = records[0];
  const last = records[records.length - 1];
  const times = (pick: (doc: EventLog) => Date) => records.map((doc) => pick(doc).getTime());
  return {
    chain: first.chain,
    type: typeOfChain(first.chain),
    firstSeq: first.seq,
    lastSeq: last.seq,
    prevHash: first.prevHash,
    lastHash: last.hash,
    minCreatedAt: new Date(Math.min(...times((doc) => doc.createdAt))),
    maxCreatedAt: new Date(Math.max(...times((doc) => doc.createdAt))),
    minExpiresAt: new Date(Math.min(...times(retentionDeadlineOf))),
    sealedAt,
  };
}

/** HMAC-SHA256 (RFC 2104) hex over the RFC 8785 canonical JSON of the checkpoint without `mac`. */
export function checkpointMac(checkpoint: UnsignedCheckpoint, key: Buffer): string {
  const { chain, type, firstSeq, lastSeq, prevHash, lastHash, minCreatedAt, maxCreatedAt, minExpiresAt, sealedAt } =
    checkpoint;
  const body = {
    chain,
    type,
    firstSeq,
    lastSeq,
    prevHash,
    lastHash,
    minCreatedAt,
    maxCreatedAt,
    minExpiresAt,
    sealedAt,
  };
  return createHmac('sha256', key)
    .update(canonicalize(toJsonValue(body))!)
    .digest('hex');
}

export function signCheckpoint(checkpoint: UnsignedCheckpoint, key: Buffer): Checkpoint {
  return { ...checkpoint, mac: checkpointMac(checkpoint, key) };
}

/** Constant-time check of a stored checkpoint's `mac`. */
export function checkpointIsAuthentic(checkpoint: Checkpoint, key: Buffer): boolean {
  const expected = Buffer.from(checkpointMac(checkpoint, key), 'hex');
  const actual = Buffer.from(typeof checkpoint.mac === 'string' ? checkpoint.mac : '', 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
