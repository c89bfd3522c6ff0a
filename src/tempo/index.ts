/**
 * Tempo formats: finalization certificates and their verification, the header RLP and block
 * hash, the consensus RPC JSON shapes, `OnchainDkgOutcome`, fixed epochs and network identities.
 * Each module documents its wire format and invariants; this file only re-exports them.
 */

export * from './block.ts';
export * from './epocher.ts';
export * from './finalization.ts';
export * from './header.ts';
export * from './hex.ts';
export * from './json.ts';
export * from './network-identity.ts';
export * from './outcome.ts';
export * from './rlp.ts';
export * from './rpc.ts';
export * from './verify.ts';
