// Replaces zod's `locales` index in the bundle (scripts/build.mjs): zod configures English itself
// (core/config imports locales/en.js directly) and nothing in the program or the SDK selects another
// locale, so the other 60-odd message tables (~250 KB of source in every process) are left out.
export { default as en } from 'zod/v4/locales/en.js';
