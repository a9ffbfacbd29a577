export * from './kafka-publisher';
