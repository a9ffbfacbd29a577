import { Inject, Injectable } from '@nestjs/common';
import { createEnvelope, EventPayload, NewEvent, RegisteredEvent } from '@taskflow/contracts';
import { signEnvelope } from '@taskflow/messaging-kafka';
import { currentCorrelationId } from '@taskflow/nest-kit';
import { AuditConfig } from '../../../config/audit.config';
import { AUDIT_CONFIG } from '../../tokens';
import { KafkaClients } from './kafka-clients';

/**
 * The one way audit-service emits events of its own: `audit.*` acts (reads, dead-letter actions, legal holds,
 * retention changes) go to AUDIT_EVENTS_TOPIC, `system.*` ones (maintenance) to AUDIT_SYSTEM_TOPIC. Each is a
 * validated envelope (throws on a contract violation), signed with EVENT_SIGNING_KEY (signEnvelope: canonical JSON
 * value, `x-signature*` headers), keyed by its entityId and acknowledged by all in-sync
 * replicas before this resolves; they reach `event_logs` through the same ingest as every other event.
 */
@Injectable()
export class AuditEventPublisher {
  constructor(
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
    private readonly kafka: KafkaClients,
  ) {}

  /** Publishes an event of `definition` (correlation id of the current request unless given); resolves to its eventId. */
  async publish<D extends RegisteredEvent>(definition: D, event: NewEvent<EventPayload<D>>): Promise<string> {
    const envelope = createEnvelope(definition, { correlationId: currentCorrelationId(), ...event });
    const topic = definition.entityType === 'audit' ? this.config.kafka.auditTopic : this.config.kafka.systemTopic;
    const { value, headers } = signEnvelope(envelope, this.config.events.signingKey);
    await this.kafka.producer.send({ topic, acks: -1, messages: [{ key: envelope.entityId, value, headers }] });
    return envelope.eventId;
  }
}
