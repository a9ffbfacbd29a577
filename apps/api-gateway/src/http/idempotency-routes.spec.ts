import { RequestMethod, Type } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA } from '@nestjs/common/constants';
import { AuditController } from '../audit/audit.controller';
import { AuthController } from '../auth/auth.controller';
import { TasksController } from '../tasks/tasks.controller';
import { UsersController } from '../users/users.controller';
import { IdempotencyInterceptor, NO_IDEMPOTENCY } from './idempotency.interceptor';

const CONTROLLERS: Type<unknown>[] = [AuthController, UsersController, TasksController, AuditController];

/** Idempotency is wired per route (see `Idempotent`); a POST route must never be left out by accident. */
describe('Idempotency-Key wiring', () => {
  const postRoutes = CONTROLLERS.flatMap((controller) =>
    Object.getOwnPropertyNames(controller.prototype)
      .map((name) => ({ name: `${controller.name}.${name}`, handler: controller.prototype[name] }))
      .filter(({ handler }) => Reflect.getMetadata(METHOD_METADATA, handler) === RequestMethod.POST),
  );

  it('should find the POST routes', () => {
    expect(postRoutes.map((route) => route.name)).toEqual(
      expect.arrayContaining(['AuthController.register', 'AuthController.login', 'TasksController.create']),
    );
  });

  it('should give every POST route the interceptor or an explicit @NoIdempotency()', () => {
    const unwired = postRoutes.filter(({ handler }) => {
      const interceptors: unknown[] = Reflect.getMetadata(INTERCEPTORS_METADATA, handler) ?? [];
      const optedOut = Reflect.getMetadata(NO_IDEMPOTENCY, handler) === true;
      return interceptors.includes(IdempotencyInterceptor) === optedOut;
    });
    expect(unwired.map((route) => route.name)).toEqual([]);
  });
});
