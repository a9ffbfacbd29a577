import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';

/** RFC 9457 problem details, the error body of every route (nest-kit's `ProblemDetails`), for the OpenAPI document. */
export class ProblemDetailsView {
  @ApiProperty({ format: 'uri', example: 'https://taskflow.dev/problems/audit-invalid-filter' }) type!: string;
  @ApiProperty({ example: 'Bad Request' }) title!: string;
  @ApiProperty({ type: 'integer', example: 400 }) status!: number;
  @ApiProperty({ example: 'The query is invalid.' }) detail!: string;
  @ApiProperty({ description: 'Stable machine-readable code.', example: 'AUDIT.INVALID_FILTER' }) code!: string;
  @ApiPropertyOptional() correlationId?: string;
  @ApiPropertyOptional({
    description: 'One entry per bad field.',
    type: 'array',
    items: {
      type: 'object',
      required: ['field', 'reason'],
      properties: { field: { type: 'string' }, reason: { type: 'string' } },
    },
  })
  errors?: { field: string; reason: string }[];
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request: `errors` names each field and reason.',
  401: 'Missing, invalid or expired bearer token.',
  403: 'Your role may not use this operation.',
  404: 'No such resource.',
  429: 'Too many requests: see Retry-After and RateLimit-*.',
  503: 'A dependency is unavailable: retry after Retry-After seconds.',
};

/** The problem+json media type with its schema, for an `ApiResponse({ content })`. */
export const PROBLEM_CONTENT = {
  'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDetailsView) } },
};

/** Documents the problem+json answers an operation (or every operation of a controller) may give. */
export function ApiProblemResponses(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsView),
    ...statuses.map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status] ?? 'Error.', content: PROBLEM_CONTENT }),
    ),
  );
}
