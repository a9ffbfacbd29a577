import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  IsDefined,
  IsIn,
  IsInt,
  IsIP,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsCanonicalUuid, IsDateTime } from '../fields/rules';
import { ENTITY_TYPES, EntityType } from './entity-types';
import { ALL_EVENT_TYPES, EventType } from './event-types';

/** Request context captured at the gateway (seed 001 `metadata`). */
export class EventMetadata {
  @IsOptional() @IsString() @MaxLength(512) userAgent?: string;
  @IsOptional() @IsIP() ipAddress?: string;
  @IsOptional() @IsString() @MaxLength(128) sessionId?: string;
  /** RFC 3339 with offset (producers write UTC `Z`): when the request that caused the event was received. */
  @IsDateTime() timestamp!: string;
}

/**
 * The one envelope every TaskFlow event travels in (ARCHITECTURE.md "Contracts").
 * `eventId` is a UUIDv7 and the idempotency key of every consumer.
 */
export class EventEnvelope<P extends object = Record<string, unknown>> {
  @IsCanonicalUuid() eventId!: string;
  @IsIn(ALL_EVENT_TYPES) type!: EventType;
  @IsInt() @Min(1) schemaVersion!: number;
  /** RFC 3339 with offset (producers write UTC `Z`): when the state change committed. */
  @IsDateTime() occurredAt!: string;
  /** The user who caused the event, or one of `SystemActors` (`system`, `system:create-admin`). */
  @IsString() @MaxLength(64) actorId!: string;
  @IsString() @MaxLength(64) entityId!: string;
  @IsIn(ENTITY_TYPES) entityType!: EntityType;
  @IsOptional() @IsString() @MaxLength(128) correlationId?: string;
  @IsOptional() @IsUUID() causationId?: string;
  @ValidateNested() @Type(() => EventMetadata) metadata!: EventMetadata;
  @IsDefined() @IsObject() payload!: P;
}
