import { MAX_LISTED_VALUE_LENGTH } from '@taskflow/contracts';
import { AppError } from '@taskflow/nest-kit';
import { IHeaders, KafkaMessage } from 'kafkajs';
import { toDeadLetterRecord } from './dead-letter';
import { decodeCursor, encodeCursor, toDeadLetterItem, withoutDeadLetterHeaders } from './dead-letter-records';

const original: KafkaMessage = {
  key: Buffer.from('entity-1'),
  value: Buffer.from(JSON.stringify({ eventId: 'e-1', type: 'task.created', payload: {} })),
  timestamp: '1767225600000',
  attributes: 0,
  offset: '17',
  headers: { 'x-signature': Buffer.from([0xff, 0x00, 0xc3]), 'x-key-id': Buffer.from('task-service-1') },
};

/** A record as the ingest writes it to `<topic>.dlq`, read back at `offset`. */
function deadLettered(offset: string): KafkaMessage {
  const record = toDeadLetterRecord('t', 2, 'group', { message: original, code: 'invalid-envelope', reason: 'bad' });
  const { key, value, headers } = record;
  return { key, value, headers: headers as IHeaders, attributes: 0, offset, timestamp: '1767225660000' };
}

describe('dead-letter records', () => {
  it('should keep every original header byte for byte and drop only the x-dlq-* ones', () => {
    const headers = withoutDeadLetterHeaders(deadLettered('0').headers);
    expect(Object.keys(headers).sort()).toEqual(['x-key-id', 'x-signature']);
    expect(headers['x-signature']).toBe(original.headers!['x-signature']);
  });

  it('should show where a record came from, why, and its event id and type', () => {
    expect(toDeadLetterItem('t.dlq', 0, deadLettered('5'))).toEqual({
      topic: 't.dlq',
      partition: 0,
      offset: '5',
      timestamp: '2026-01-01T00:01:00.000Z',
      key: 'entity-1',
      originalTopic: 't',
      originalPartition: 2,
      originalOffset: '17',
      originalTimestamp: '2026-01-01T00:00:00.000Z',
      errorCode: 'invalid-envelope',
      reason: 'bad',
      consumerGroup: 'group',
      eventId: 'e-1',
      eventType: 'task.created',
      value: original.value!.toString(),
      valueBytes: original.value!.length,
      valueTruncated: false,
    });
  });

  it('should cut a large value and leave out ids of a value that is not JSON', () => {
    const big = { ...deadLettered('1'), value: Buffer.from('x'.repeat(MAX_LISTED_VALUE_LENGTH + 10)) };
    const item = toDeadLetterItem('t.dlq', 0, big);
    expect(item.value).toHaveLength(MAX_LISTED_VALUE_LENGTH);
    expect(item).toMatchObject({ valueTruncated: true, valueBytes: MAX_LISTED_VALUE_LENGTH + 10 });
    expect(item.eventId).toBeUndefined();
    expect(toDeadLetterItem('t.dlq', 0, { ...big, value: null })).toMatchObject({ value: null, valueBytes: 0 });
  });

  it('should read back its own cursor and refuse any other with a 400 on cursor', () => {
    const positions = new Map([
      ['t.dlq:0', 12n],
      ['t.dlq:1', 9_007_199_254_740_993n],
    ]);
    expect(decodeCursor(encodeCursor(positions))).toEqual(positions);
    expect(decodeCursor(undefined)).toEqual(new Map());
    for (const bad of [
      'garbage',
      Buffer.from('[1]').toString('base64url'),
      Buffer.from('{"a":"-1"}').toString('base64url'),
    ]) {
      const error = (() => {
        try {
          decodeCursor(bad);
        } catch (thrown) {
          return thrown as AppError;
        }
      })();
      expect(error).toBeInstanceOf(AppError);
      expect(error?.fieldErrors).toEqual([{ field: 'cursor', reason: 'must be the nextCursor of a previous page' }]);
    }
  });
});
