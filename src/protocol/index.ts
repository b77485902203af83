export * from './decode.js';
export * from './encode.js';
export * from './errors.js';
export * from './limits.js';
export * from './events.js';
export * from './secrets.js';
export * from './validate.js';
export * from './leaky-bucket.js';
