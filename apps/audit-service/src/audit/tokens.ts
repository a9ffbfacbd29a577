export const AUDIT_CONFIG = Symbol('AUDIT_CONFIG');
export const LOGGER = Symbol('LOGGER');
