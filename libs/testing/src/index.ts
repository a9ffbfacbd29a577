export { createScratchDatabase } from './scratch-database';
export type { ScratchDatabase } from './scratch-database';
export { uniqueName } from './unique-name';
export { waitFor } from './wait-for';
export type { WaitForOptions } from './wait-for';
export { requireRealMongo } from './real-mongo';
export { freePort } from './free-port';
export { startService } from './service-process';
export type { ServiceProcess } from './service-process';
