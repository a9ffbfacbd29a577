declare const ANSWER: unique symbol;

/** A type-only marker of what an operation answers (no value exists at run time). */
export interface Answer<T> {
  readonly [ANSWER]?: T;
}

/** `answer: answerOf<TaskView>()` in a {@link defineRpc} definition. */
export function answerOf<T>(): Answer<T> {
  return {};
}

/**
 * One request/reply operation between the gateway and a service (@nestjs/microservices, TCP): its message
 * pattern, the class that validates its `data` (unknown fields rejected) and, as a type, its answer. The
 * gateway's `RpcClient.call` and the services' handlers both take the definition, so the compiler follows a
 * request and its answer across the hop.
 */
export interface RpcDefinition<Req extends object, Res> {
  readonly pattern: string;
  readonly request: new () => Req;
  readonly answer: Answer<Res>;
}

export function defineRpc<Req extends object, Res>(definition: RpcDefinition<Req, Res>): RpcDefinition<Req, Res> {
  return Object.freeze({ ...definition });
}

/** The request data type of a definition. */
export type RpcData<D> = D extends RpcDefinition<infer Req, unknown> ? Req : never;
/** The answer type of a definition. */
export type RpcAnswer<D> = D extends RpcDefinition<object, infer Res> ? Res : never;
