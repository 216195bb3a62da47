/** `reprise/testing`: test your own workflows — crash at every step, and time that skips. */
export { crashEveryStep, type CrashEveryStepOptions, type CrashPoint, type CrashProblem, type CrashReport, type StepRecord } from "./crash-every-step.js";
export { TestReprise, type TestRepriseOptions } from "./test-reprise.js";
export { VirtualClock } from "./virtual-clock.js";
