/** One POST /api/v1/tasks of a write load. `status` 0 = no answer (timeout or connection error). */
export interface WriteRecord {
  seq: number;
  startedAt: number;
  endedAt: number;
  status: number;
  taskId?: string;
  error?: string;
  /** The Retry-After header of a non-2xx answer. */
  retryAfter?: string;
}

export interface GatewayUser {
  id: string;
  authorization: string;
}

/** Registers and logs in a fresh user through the gateway's HTTP API. */
export async function signUpThroughGateway(baseUrl: string, email: string): Promise<GatewayUser> {
  const password = 'correct-horse-battery-staple';
  const post = (path: string, body: object) =>
    fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
  const registered = await post('/api/v1/auth/register', { email, password });
  if (registered.status !== 201) throw new Error(`register: ${registered.status} ${await registered.text()}`);
  const { id } = (await registered.json()) as { id: string };
  const login = await post('/api/v1/auth/login', { email, password });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
  const { accessToken } = (await login.json()) as { accessToken: string };
  return { id, authorization: `Bearer ${accessToken}` };
}

export interface WriteLoadOptions {
  baseUrl: string;
  user: GatewayUser;
  /** Writes started per second, whatever the answers (open loop: a slow system does not slow the load). */
  ratePerSecond: number;
  /** A request without an answer by then is recorded with status 0. */
  timeoutMs: number;
}

/**
 * A steady, bounded task-creation load through the gateway: one POST every 1/rate s until `stop()`, each
 * with its own timeout; every request and its outcome is recorded. No retries: a failed write stays failed.
 */
export class WriteLoad {
  readonly records: WriteRecord[] = [];
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();
  private seq = 0;

  constructor(private readonly options: WriteLoadOptions) {}

  start(): void {
    this.timer = setInterval(() => this.fire(), 1000 / this.options.ratePerSecond);
  }

  /** Stops starting writes and waits for the ones in flight. */
  async stop(): Promise<WriteRecord[]> {
    clearInterval(this.timer);
    await Promise.all([...this.inFlight]);
    return this.records.sort((a, b) => a.seq - b.seq);
  }

  private fire(): void {
    const seq = ++this.seq;
    const startedAt = Date.now();
    const request = fetch(`${this.options.baseUrl}/api/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: this.options.user.authorization },
      body: JSON.stringify({ title: `fault load #${seq}`, priority: 'medium' }),
      signal: AbortSignal.timeout(this.options.timeoutMs),
    })
      .then(async (response) => {
        const body = await response.text();
        let taskId: string | undefined;
        if (response.ok) taskId = (JSON.parse(body) as { id: string }).id;
        this.records.push({
          seq,
          startedAt,
          endedAt: Date.now(),
          status: response.status,
          taskId,
          error: response.ok ? undefined : body.slice(0, 300),
          retryAfter: response.ok ? undefined : (response.headers.get('retry-after') ?? undefined),
        });
      })
      .catch((error: Error) => {
        this.records.push({ seq, startedAt, endedAt: Date.now(), status: 0, error: error.message });
      });
    const tracked = request.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }
}
