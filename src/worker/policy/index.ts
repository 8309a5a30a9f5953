/** The safety policy: levels, classification, operator rules, rate limits, confirmation, audit. */
export type { Authorization, AuthorizeContext, Explanation, PolicyEngineOptions } from './engine.js';
export { PolicyEngine } from './engine.js';
export type { BusKind, OperationKind, SafetyLevel } from './levels.js';
export {
  FORBIDDEN_SUMMARY,
  KIND_DESCRIPTIONS,
  LEVEL_ALLOWS,
  LEVEL_SUMMARIES,
  OPERATION_KINDS,
  describeLevels,
  isOperationKind,
  levelAllows,
} from './levels.js';
export type { Access, Classification, ClassifyInput } from './classify.js';
export { classify, heuristicRead } from './classify.js';
export type { Rule, RuleTarget, RuleVerb } from './rules.js';
export { loadRules, parseRules } from './rules.js';
export type {
  OperationRequest,
  PolicyConnection,
  PrepareMessage,
  PreparedMessage,
  ResolvedOperation,
} from './resolve.js';
export type { PolicyState, RateLimits, ServiceRate, ServiceRateAnswer } from './rate-limit.js';
export { RateLimiter } from './rate-limit.js';
export type { ConfirmFn, ConfirmOutcome } from './confirm.js';
export { isSecretBearing } from './audit.js';
export { propertyFloor } from './floor.js';
export { mangleUnitName, unitFromPath, unitObjectPath } from './units-names.js';
export { protectedUnit } from './units-protected.js';
