export * from './calls.js';
export * from './gifts.js';
export * from './ledger.js';
export * from './payments.js';
export * from './platform.js';
export * from './rooms.js';
export * from './users.js';
