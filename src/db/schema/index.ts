export * from './calls.js';
export * from './gifts.js';
export * from './ledger.js';
export * from './users.js';
