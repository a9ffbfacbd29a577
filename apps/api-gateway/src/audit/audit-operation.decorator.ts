import { applyDecorators, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiExtraModels, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiResponse } from '@nestjs/swagger';
import { AuditRoute, Permission } from '@taskflow/contracts';
import { RequirePermission } from '../auth/auth.decorators';
import { ApiProblemResponses } from '../http/problem-responses';

/** The permission (libs/contracts rules/roles.ts) each access level of the audit API needs. */
export const AUDIT_PERMISSIONS: Readonly<Record<AuditRoute['access'], Permission>> = {
  read: 'audit:read',
  admin: 'audit:admin',
};
const ROUTE_METHODS = { GET: Get, POST: Post, DELETE: Delete } as const;

/**
 * Declares one audit route on a gateway handler from its contract descriptor (libs/contracts `AuditRoutes`): method
 * and path, the permission, and the OpenAPI operation (summary, id, each query and path parameter, the body, the
 * response schema or media types, and the problem+json errors).
 */
export function AuditOperation(route: AuditRoute): MethodDecorator {
  const response = route.response;
  return applyDecorators(
    ROUTE_METHODS[route.method](route.path),
    HttpCode(response.status),
    RequirePermission(AUDIT_PERMISSIONS[route.access]),
    ApiOperation({ operationId: route.operationId, summary: route.summary, description: route.description }),
    ...route.request.parameters.map((parameter) =>
      parameter.in === 'path'
        ? ApiParam({ name: parameter.name, description: parameter.description, schema: parameter.schema })
        : ApiQuery({
            name: parameter.name,
            required: false,
            description: parameter.description,
            schema: parameter.schema,
            ...(parameter.schema.type === 'array' && { style: 'form', explode: true }),
          }),
    ),
    ...(route.body ? [ApiBody({ type: route.body })] : []),
    ...('mediaTypes' in response
      ? [
          ApiProduces(...Object.keys(response.mediaTypes)),
          ApiResponse({
            status: response.status,
            description: response.description,
            content: Object.fromEntries(
              Object.entries(response.mediaTypes).map(([mediaType, description]) => [
                mediaType,
                { schema: { type: 'string' as const, description } },
              ]),
            ),
          }),
        ]
      : [
          ApiExtraModels(response.type),
          ApiResponse({ status: response.status, description: response.description, type: response.type }),
        ]),
    ApiProblemResponses(400, 401, 403, 429, 503),
  );
}
