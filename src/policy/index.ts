/** Per-binding command policy and console redaction (pure; see each file's header). */
export * from './command-policy.ts';
export * from './redaction.ts';
export { LINEAR_ENGINE, MAX_REPEAT_COUNT, structuralProblem, validatePattern } from './regex-safety.ts';
export * from './types.ts';
export { visibleText } from './visible-text.ts';
