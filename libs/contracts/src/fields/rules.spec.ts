import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CreateTaskData, ListTasksQuery, UpdateTaskData } from '../rpc/task.rpc';
import { PlaceLegalHoldRequest } from '../audit/governance';
import { StartMaintenanceRequest } from '../audit/views';
import { TaskSnapshotV1 } from '../events/payloads';
import { ListUsersQuery, RegisterUserData, UserProfileData } from '../rpc/user.rpc';
import { codePointLength, dateTimeProblem, defineField, IsText, parseDateTime, textProblem } from './rules';
import { TASK_DATE_TIME_FIELDS, TASK_TITLE_MAX, TaskFields } from './task.fields';
import { UserFields } from './user.fields';

const ID = '0195f7a0-0000-7000-8000-000000000001';

function errorsOf<T extends object>(type: new () => T, value: object): Record<string, string[]> {
  const errors = validateSync(plainToInstance(type, value), { whitelist: true, forbidNonWhitelisted: true });
  return Object.fromEntries(errors.map((e) => [e.property, Object.values(e.constraints ?? {})]));
}

describe('field rules', () => {
  describe('parseDateTime', () => {
    it.each([
      ['2030-01-01T10:16:00Z', '2030-01-01T10:16:00.000Z'],
      ['2030-01-01T10:16:00.5+01:00', '2030-01-01T09:16:00.500Z'],
      ['2028-02-29T23:59:59.999-00:30', '2028-03-01T00:29:59.999Z'],
      ['0099-12-31T00:00:00Z', '0099-12-31T00:00:00.000Z'],
      // RFC 3339 §5.6 NOTE: T and Z may be lower-case; the instant is the same.
      ['2030-01-01t10:00:00z', '2030-01-01T10:00:00.000Z'],
      ['2030-01-01t10:00:00.25+02:00', '2030-01-01T08:00:00.250Z'],
      ['2030-01-01T10:00:00z', '2030-01-01T10:00:00.000Z'],
    ])('should read %s as the instant %s', (text, instant) => {
      expect(parseDateTime(text)?.toISOString()).toBe(instant);
    });

    it.each([
      '2030-01-01T10:16.000Z', // PostgreSQL: 00:10:16
      '2030-01-01T10:16:00', // no offset: the session's zone decides
      '2030-01-01',
      '2030-01-01T10:16Z',
      '2030-01-01 10:16:00Z',
      '20300101T101600Z',
      '2030-W01-1T00:00:00Z',
      '2030-001T00:00:00Z',
      '2026-02-30T12:00:00Z',
      '2027-02-29T12:00:00Z',
      '2030-04-31T00:00:00Z',
      '2030-01-01T24:00:00Z',
      '2030-01-01T10:16:00.1234Z',
      '2030-01-01T10:16:00+0100',
      '2030-01-01T10:16:00+24:00',
      '0000-01-01T00:00:00Z',
      '+012030-01-01T00:00:00Z',
      '',
    ])('should refuse %j', (text) => {
      expect(parseDateTime(text)).toBeUndefined();
      expect(dateTimeProblem(text)).toMatch(/^must be an RFC 3339 date-time with an offset/);
    });

    it.each([
      ['9999-12-31T23:59:59.999-01:00', 'year 10000 in UTC'],
      ['0001-01-01T00:30:00+01:00', 'year 0 in UTC'],
    ])('should refuse %s (%s): the offset carries it out of 0001-9999', (text) => {
      expect(parseDateTime(text)).toBeUndefined();
      expect(dateTimeProblem(text)).toMatch(
        /^must name an instant from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z/,
      );
    });

    it.each([
      ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
      ['9999-12-31T23:59:59.999+01:00', '9999-12-31T22:59:59.999Z'],
      ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
      ['0001-01-01T00:30:00-01:00', '0001-01-01T01:30:00.000Z'],
    ])('should read the edge %s as %s', (text, instant) => {
      expect(parseDateTime(text)?.toISOString()).toBe(instant);
    });

    it.each(['2030-01-01T23:59:60Z', '2016-12-31t23:59:60z', '2030-06-30T01:59:60.5+02:00'])(
      'should refuse the leap second %s and say why: an instant cannot hold one',
      (text) => {
        expect(parseDateTime(text)).toBeUndefined();
        expect(dateTimeProblem(text)).toMatch(/leap second .* an instant cannot hold it/);
      },
    );
  });

  it('should count code points like varchar(n), and refuse NUL and lone surrogates', () => {
    expect(codePointLength('❤️'.repeat(200))).toBe(400);
    expect(codePointLength('𝄞'.repeat(255))).toBe(255);
    expect(textProblem('𝄞'.repeat(255), { max: 255 })).toBeUndefined();
    expect(textProblem('❤️'.repeat(200), { max: 255 })).toMatch(/at most 255/);
    expect(textProblem('a\u0000b', { max: 255 })).toMatch(/NUL/);
    expect(textProblem('a\uD800b', { max: 255 })).toMatch(/lone surrogate/);
    expect(textProblem('a\uDC00', { max: 255 })).toMatch(/lone surrogate/);
    expect(textProblem('e\u0301\uFE0F', { max: 255 })).toBeUndefined();
  });

  it.each([
    ' ',
    '   ',
    '\t',
    '\n\r',
    '\u3000',
    '\u00A0',
    '\u2003\u2029',
    '\uFEFF',
    '\u200B',
    '\u3164',
    '\uFE0F',
    '\u0007',
    '\u2800', // braille blank
    '\u0301', // a combining accent with no base
    '\uFFFF', // noncharacter
    '\u{1FFFE}', // noncharacter
    '\uE000', // private use
    '\u00AD', // soft hyphen (format)
  ])('should refuse the title %j (nothing visible) on create and update, naming it, and not trim', (title) => {
    const reason = 'title must contain a visible character, not only white space';
    expect(errorsOf(CreateTaskData, { title }).title).toEqual([reason]);
    expect(errorsOf(UpdateTaskData, { id: ID, version: 1, title }).title).toEqual([reason]);
    expect(plainToInstance(CreateTaskData, { title: ` ${title}x ` }).title).toBe(` ${title}x `);
  });

  it.each(['é', 'e\u0301', '日本', '😀', 'ﷺ', '\u00A0x'])('should accept the title %j (something shows)', (title) => {
    expect(errorsOf(CreateTaskData, { title })).toEqual({});
  });

  it('should keep a stored blank title a valid v1 snapshot (the rule is for new input only)', () => {
    const snapshot = {
      id: ID,
      title: '   ',
      description: null,
      status: 'todo',
      priority: 'medium',
      assigneeId: null,
      creatorId: ID,
      dueDate: null,
      completedAt: null,
      deletedAt: null,
      version: 1,
    };
    expect(errorsOf(TaskSnapshotV1, snapshot)).toEqual({});
    expect(errorsOf(TaskSnapshotV1, { ...snapshot, title: '' }).title).toHaveLength(1);
    expect(errorsOf(CreateTaskData, { title: '' }).title).toEqual(['title must be at least 1 character(s) long']);
  });

  it('should refuse a blank search, legal-hold reason and maintenance reason', () => {
    expect(Object.keys(errorsOf(ListUsersQuery, { search: '  ' }))).toEqual(['search']);
    expect(errorsOf(PlaceLegalHoldRequest, { actorId: 'a', reason: '\u3000\u3000\u3000' }).reason).toEqual([
      'reason must contain a visible character, not only white space',
    ]);
    expect(Object.keys(errorsOf(StartMaintenanceRequest, { reason: '\t\t\t\t' }))).toEqual(['reason']);
  });

  it('should refuse null where the column is NOT NULL and keep absent as absent', () => {
    expect(errorsOf(UpdateTaskData, { id: ID, version: 1, title: null }).title).toContain('title must not be null');
    expect(errorsOf(UpdateTaskData, { id: ID, version: 1, priority: null }).priority).toContain(
      'priority must not be null',
    );
    expect(errorsOf(UpdateTaskData, { id: ID, version: 1, description: null, dueDate: null })).toEqual({});
    expect(errorsOf(UpdateTaskData, { id: ID, version: 1 })).toEqual({});
    expect(errorsOf(CreateTaskData, {}).title).toContain('title is required');
  });

  it('should read query integers in decimal only and ids in lower case', () => {
    expect(errorsOf(ListTasksQuery, { limit: '10' })).toEqual({});
    for (const limit of ['0x10', '1e1', '1.0', ' 5', '', '101', '0'])
      expect(Object.keys(errorsOf(ListTasksQuery, { limit }))).toEqual(['limit']);
    expect(errorsOf(UpdateTaskData, { id: ID, version: 2 ** 31 })).toHaveProperty('version');
    expect(plainToInstance(UpdateTaskData, { id: ID.toUpperCase() }).id).toBe(ID);
  });

  it('should refuse NUL and lone surrogates in profile fields', () => {
    expect(errorsOf(UserProfileData, { firstName: 'a\u0000b' }).firstName[0]).toMatch(/NUL/);
    expect(errorsOf(UserProfileData, { bio: 'x\uD83D' }).bio[0]).toMatch(/lone surrogate/);
    expect(errorsOf(UserProfileData, { firstName: null, bio: '👩‍💻' })).toEqual({});
  });
});

describe('format checks of validator.js', () => {
  it('should answer a lone surrogate in an email or a URL as invalid, not throw (validator.js calls encodeURI)', () => {
    const lone = String.fromCharCode(0xd884);
    expect(() =>
      validateSync(plainToInstance(RegisterUserData, { email: `a${lone}@example.com`, password: 'x'.repeat(8) })),
    ).not.toThrow();
    expect(errorsOf(RegisterUserData, { email: `a${lone}@example.com`, password: 'x'.repeat(8) }).email[0]).toMatch(
      /lone surrogate/,
    );
    expect(errorsOf(UserProfileData, { avatarUrl: `https://example.com/${lone}` }).avatarUrl[0]).toMatch(
      /lone surrogate/,
    );
    expect(errorsOf(UserProfileData, { avatarUrl: 'https://example.com/a.png' })).toEqual({});
    expect(errorsOf(RegisterUserData, { email: 'not-an-email', password: 'x'.repeat(8) }).email).toEqual([
      'email must be an email address in ASCII (an international domain in its xn-- form)',
    ]);
  });

  it.each([
    '\uff41dmin@taskflow.com', // full-width a
    'ad\u200bmin@taskflow.com', // zero-width space
    'u\u0308nfc@example.com', // u + combining diaeresis, displays as ü
    '\u00fcnfc@example.com',
    'admin@t\u0430skflow.com', // Cyrillic a in the domain
  ])('should refuse the look-alike email %j (ASCII only)', (email) => {
    expect(errorsOf(RegisterUserData, { email, password: 'x'.repeat(8) }).email).toHaveLength(1);
  });

  it('should accept ASCII emails, international domains in their xn-- form', () => {
    for (const email of ['ada@example.com', 'o.brien+tag@sub.example.co.uk', 'ada@xn--bcher-kva.example']) {
      expect(errorsOf(RegisterUserData, { email, password: 'x'.repeat(8) })).toEqual({});
    }
  });

  it('should take IANA zone names as spelt there, and URLs without credentials', () => {
    for (const timezone of ['Europe/Berlin', 'UTC', 'America/New_York', 'Asia/Kolkata']) {
      expect(errorsOf(UserProfileData, { timezone })).toEqual({});
    }
    for (const timezone of ['Mars/Base', 'europe/berlin', 'EUROPE/BERLIN', 'Berlin']) {
      expect(errorsOf(UserProfileData, { timezone }).timezone).toEqual([
        'timezone must be an IANA time zone name as spelt there, e.g. Europe/Berlin',
      ]);
    }
    expect(errorsOf(UserProfileData, { avatarUrl: 'https://user:pass@x.example/a.png' }).avatarUrl).toEqual([
      'avatarUrl must be an absolute http(s) URL without credentials',
    ]);
  });
});

describe('password length', () => {
  it('should count UTF-8 bytes as bcrypt does: 72 at most, whatever the characters', () => {
    const register = (password: string) => errorsOf(RegisterUserData, { email: 'ada@example.com', password });
    expect(register('x'.repeat(72))).toEqual({});
    expect(register('é'.repeat(36))).toEqual({}); // 72 bytes
    expect(register('é'.repeat(37)).password).toEqual(['password must be at most 72 bytes in UTF-8']);
    // 20 emoji: 20 characters, 80 bytes; bcrypt would check only the first 72 (18 emoji) at login.
    expect(register('😀'.repeat(20)).password).toEqual(['password must be at most 72 bytes in UTF-8']);
  });
});

describe('field schemas (OpenAPI from the same definition as the check)', () => {
  it('should state each rule of a field: length in code points, format, range, nullability', () => {
    expect(TaskFields.title.schema).toEqual({
      type: 'string',
      minLength: 1,
      maxLength: TASK_TITLE_MAX,
      description:
        'At least one visible character (only white space is refused, never trimmed). Length in Unicode code points.',
    });
    expect(TaskFields.description.schema).toMatchObject({ type: 'string', maxLength: 10_000, nullable: true });
    expect(TaskFields.dueDate.schema).toMatchObject({ type: 'string', format: 'date-time', nullable: true });
    expect(TaskFields.version.schema).toEqual({ type: 'integer', minimum: 1, maximum: 2_147_483_647 });
    expect(UserFields.avatarUrl.schema).toMatchObject({ maxLength: 2048, format: 'uri', nullable: true });
    expect(UserFields.avatarUrl.schema?.description).toBe(
      'Length in Unicode code points. Absolute http(s) URL, no user:password@.',
    );
  });

  it('should check what the schema states: a schema-documented limit is the enforced one', () => {
    const title = 'x'.repeat(TaskFields.title.schema!.maxLength! + 1);
    expect(errorsOf(CreateTaskData, { title }).title).toEqual([
      `title must be at most ${TASK_TITLE_MAX} characters (Unicode code points) long`,
    ]);
    expect(errorsOf(CreateTaskData, { title: title.slice(1) })).toEqual({});
  });

  it('should document nothing for a rule given as a bare decorator (its class documents the property)', () => {
    expect(defineField(false, () => IsText({ max: 3 })).schema).toBeUndefined();
  });
});

describe('TASK_DATE_TIME_FIELDS', () => {
  it('should list exactly the task fields whose rule is an RFC 3339 date-time', () => {
    const dateTimes = Object.entries(TaskFields)
      .filter(([, field]) => field.schema?.format === 'date-time')
      .map(([name]) => name);
    expect([...TASK_DATE_TIME_FIELDS].sort()).toEqual(dateTimes.sort());
  });
});
