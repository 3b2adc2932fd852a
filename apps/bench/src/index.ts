// @samsa/bench: measurement helpers for the scenarios in the top-level bench/ folder.
export { formatRate, measure, report } from './measure.ts';
export type { Measurement, MeasureOptions } from './measure.ts';
