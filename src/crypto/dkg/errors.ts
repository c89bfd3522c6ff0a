/**
 * Errors of the DKG / reshare protocol (upstream `bls12381::dkg::Error`, v0.0.64), one class per
 * variant, each with a stable `kind` to switch on.
 *
 * Only {@link DkgFailed} arises from other parties' behaviour (not enough valid dealer logs, or a
 * reshare whose combined constant term is not the previous group key). Every other error means a
 * local misconfiguration (wrong key for the round, missing previous share, empty sets, …).
 *
 * Hostile *messages* never raise these: a bad dealing makes `Player.dealerMessage` return `null`,
 * a bad ack is ignored by `Dealer.receivePlayerAck`, a bad log is skipped by `select`, and
 * undecodable bytes raise a `CodecError` from the decoders.
 */

export type DkgErrorKind = 'MissingDealerShare' | 'UnknownPlayer' | 'UnknownDealer' | 'NumDealers' | 'NumPlayers' | 'DkgFailed';

export abstract class DkgError extends Error {
  abstract readonly kind: DkgErrorKind;
}

/** A reshare dealer (the round has a previous output) was started without its previous share. */
export class MissingDealerShare extends DkgError {
  readonly kind = 'MissingDealerShare' as const;
  override name = 'MissingDealerShare';
  constructor() {
    super("missing dealer's share from the previous round");
  }
}

/** The key is not in the round's player set (`Player.new`, `Dealer.receivePlayerAck`). */
export class UnknownPlayer extends DkgError {
  readonly kind = 'UnknownPlayer' as const;
  override name = 'UnknownPlayer';
  constructor() {
    super('player is not present in the list of players');
  }
}

/**
 * The key is not a dealer of the round (`Dealer.start`), or — in `Info.new` for a reshare — a
 * dealer is not among the previous output's players. `dealer` is the key in hex.
 */
export class UnknownDealer extends DkgError {
  readonly kind = 'UnknownDealer' as const;
  override name = 'UnknownDealer';
  constructor(readonly dealer: string) {
    super(`dealer is not present in the previous list of players: ${dealer}`);
  }
}

/** Dealer count outside 1..u32::MAX, or (reshare) fewer than quorum(previous players). */
export class NumDealers extends DkgError {
  readonly kind = 'NumDealers' as const;
  override name = 'NumDealers';
  constructor(readonly count: number) {
    super(`invalid number of dealers: ${count}`);
  }
}

/** Player count outside 1..u32::MAX. */
export class NumPlayers extends DkgError {
  readonly kind = 'NumPlayers' as const;
  override name = 'NumPlayers';
  constructor(readonly count: number) {
    super(`invalid number of players: ${count}`);
  }
}

/**
 * The round cannot produce an output: fewer than `required_commitments` acceptable dealer logs,
 * or (reshare) the recombined group key differs from the previous one. `reason` is for humans.
 */
export class DkgFailed extends DkgError {
  readonly kind = 'DkgFailed' as const;
  override name = 'DkgFailed';
  constructor(readonly reason: string = 'dkg failed') {
    super(`dkg failed for some reason: ${reason}`);
  }
}
