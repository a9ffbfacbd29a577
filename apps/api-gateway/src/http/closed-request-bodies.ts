import type { OpenAPIObject } from '@nestjs/swagger';
import type { ReferenceObject, SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

/**
 * Marks the schema of every JSON request body in `document` (OpenAPI 3.0, as SwaggerModule builds it)
 * `additionalProperties: false`, resolving a `$ref` to its component: the global validation pipe
 * (nest-kit `createValidationPipe`: whitelist + forbidNonWhitelisted) answers 400 VALIDATION naming any
 * property a body class does not declare, and a generated client should know that before it sends one.
 * A schema that already states `additionalProperties` keeps it. Mutates and returns `document`.
 */
export function closeRequestBodies(document: OpenAPIObject): OpenAPIObject {
  const schemas = document.components?.schemas ?? {};
  for (const operations of Object.values(document.paths)) {
    for (const operation of Object.values(operations)) {
      const body = (
        operation as { requestBody?: { content?: Record<string, { schema?: SchemaObject | ReferenceObject }> } }
      ).requestBody;
      const schema = body?.content?.['application/json']?.schema;
      if (!schema) continue;
      const target = '$ref' in schema ? schemas[schema.$ref.replace('#/components/schemas/', '')] : schema;
      if (target && !('$ref' in target) && target.type === 'object' && target.additionalProperties === undefined)
        target.additionalProperties = false;
    }
  }
  return document;
}
