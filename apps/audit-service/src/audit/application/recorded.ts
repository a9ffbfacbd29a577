import { AppError } from '@taskflow/nest-kit';

/**
 * Resolves what `publish` resolves within `deadlineMs`, or fails with 503 `code`: an audit-service act that
 * cannot be recorded in the audit trail is refused (fail closed), never left unrecorded or left hanging.
 */
export async function recorded<T>(publish: Promise<T>, deadlineMs: number, code: string, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not acknowledged within ${deadlineMs} ms`)), deadlineMs);
  });
  try {
    return await Promise.race([publish, deadline]);
  } catch (error) {
    throw notRecorded(code, what, error);
  } finally {
    clearTimeout(timer);
  }
}

/** The 503 of an act that cannot be recorded (`cause`: why Kafka did not take it). */
export function notRecorded(code: string, what: string, cause: unknown): AppError {
  return new AppError(
    'unavailable',
    code,
    `${what} could not be recorded in the audit trail; try again later.`,
    undefined,
    {
      cause: cause instanceof Error ? cause.message : String(cause),
    },
  );
}
