export * from './kafka-publisher';
export * from './event-signature';
