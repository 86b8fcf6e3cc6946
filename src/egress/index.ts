// The egress gate: per-tool token in, provider credential out, for real accounts.
export { createEgressGate, type EgressCall, type EgressGate, type EgressGateOptions } from './gate.js';
export { egressRule, type EgressRule } from './rules.js';
export { refusalResponse, type GateRefusal } from './answers.js';
