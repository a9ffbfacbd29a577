import { createLogger, nestLogger } from './logger';
import { runWithContext } from './request-context';

describe('nestLogger', () => {
  // nestjs-pino keeps one root logger per process (the first call's), so the whole file shares one sink.
  const lines: string[] = [];
  const logger = nestLogger(createLogger('kit-test', 'info', { write: (line: string) => void lines.push(line) }));
  const logged = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

  beforeEach(() => lines.splice(0));

  it('should write Nest lines as JSON with the app, the context and the correlation id', () => {
    runWithContext({ correlationId: 'corr-nest' }, () =>
      logger.log('Nest application successfully started', 'NestApplication'),
    );
    expect(logged()).toEqual([
      expect.objectContaining({
        level: 30,
        app: 'kit-test',
        context: 'NestApplication',
        correlationId: 'corr-nest',
        msg: 'Nest application successfully started',
      }),
    ]);
  });

  it("should log Nest's (message, stack, context) error contract as an err with that stack", () => {
    logger.error('Unhandled failure', 'Error: boom\n    at handler (x.ts:1:1)', 'ExceptionsHandler');
    const [line] = logged();
    expect(line).toMatchObject({ level: 50, context: 'ExceptionsHandler' });
    expect(line.err).toMatchObject({ message: 'Unhandled failure', stack: expect.stringContaining('at handler') });
  });

  it('should keep our err serializer and redaction (no SQL parameters, no passwords)', () => {
    const failed = Object.assign(new Error('insert failed'), {
      query: 'INSERT INTO users (email, password_hash) VALUES ($1, $2)',
      parameters: ['ada@example.com', '$2b$10$secrethash'],
    });
    logger.error(failed, 'UserService');
    logger.warn({ msg: 'login', password: 'correct horse' }, 'Auth');
    const text = lines.join('\n');
    expect(text).not.toContain('ada@example.com');
    expect(text).not.toContain('secrethash');
    expect(text).not.toContain('correct horse');
    expect(logged()[0].err).toMatchObject({ query: expect.stringContaining('INSERT') });
  });
});
