//! dkg/ fixtures: complete ceremonies with commonware-cryptography 0.0.64 `bls12381::dkg`.

use crate::util::{h, upstream_0064, write_fixture, RecordingRng};
use commonware_codec::{Decode, DecodeExt, Encode};
use commonware_cryptography::{
    bls12381::{
        dkg::{observe, Dealer, DealerLog, DealerPrivMsg, DealerPubMsg, Info, Output, Player, PlayerAck, SignedDealerLog},
        primitives::{
            group::Share,
            sharing::Mode,
            variant::{MinPk, MinSig, Variant},
        },
    },
    ed25519,
    transcript::{Summary, Transcript},
    Signer, Verifier,
};
use commonware_utils::{max_faults, ordered::Set, quorum};
use core::num::NonZeroU32;
use serde_json::{json, Map as JMap, Value};
use std::collections::{BTreeMap, BTreeSet};

const DKG_NAMESPACE: &[u8] = b"_COMMONWARE_CRYPTOGRAPHY_BLS12381_DKG";
const RESHARE_APP: &[u8] = b"_COMMONWARE_EXAMPLES_RESHARE";

type Pk = ed25519::PublicKey;
type Sk = ed25519::PrivateKey;

/// Behaviour knobs for one round. Keys are identified by their `from_seed` seed.
#[derive(Default, Clone)]
struct Faults {
    /// (dealer, player): the dealing never reaches the player (no ack => reveal).
    dropped_dealings: Vec<(u64, u64)>,
    /// (dealer, player): the player acks but the ack never reaches the dealer (=> reveal).
    dropped_acks: Vec<(u64, u64)>,
}

struct RoundSpec {
    dealers: Vec<u64>,
    players: Vec<u64>,
    faults: Faults,
}

struct Scenario {
    name: &'static str,
    description: &'static str,
    namespace: &'static [u8],
    rounds: Vec<RoundSpec>,
}

fn sk(seed: u64) -> Sk {
    Sk::from_seed(seed)
}

fn pk_of(seed: u64) -> Pk {
    sk(seed).public_key()
}

fn set(seeds: &[u64]) -> Set<Pk> {
    Set::from_iter_dedup(seeds.iter().map(|&s| pk_of(s)))
}

fn pks(s: &Set<Pk>) -> Vec<String> {
    s.iter().map(|p| h(p.encode())).collect()
}

/// The per-dealer `rng_seed` (a Summary) used by these fixtures. Any 32 bytes work; this is
/// how they were chosen (recorded anyway).
fn rng_seed(scenario: &str, round: u64, dealer: &Pk) -> Summary {
    let mut t = Transcript::new(b"dkg-stream-conformance/rng-seed");
    t.commit(scenario.as_bytes());
    t.commit(&round.to_be_bytes()[..]);
    t.commit(dealer.encode());
    t.summarize()
}

fn info_summary<V: Variant>(
    namespace: &[u8],
    round: u64,
    previous: &Option<Output<V, Pk>>,
    dealers: &Set<Pk>,
    players: &Set<Pk>,
) -> Summary {
    let mut t = Transcript::new(DKG_NAMESPACE);
    t.commit(namespace);
    t.commit(round.encode());
    t.commit(previous.encode());
    t.commit(dealers.encode());
    t.commit(players.encode());
    t.summarize()
}

fn variant_name<V: Variant>() -> &'static str {
    use commonware_codec::FixedSize;
    if <V::Public as FixedSize>::SIZE == 48 {
        "MinPk"
    } else {
        "MinSig"
    }
}

fn output_json<V: Variant>(o: &Output<V, Pk>) -> Value {
    let enc = o.encode();
    json!({
        "hex": h(&enc),
        "summary": h(&enc[..32]),
        "public": h(o.public().encode()),
        "identity": h(o.public().public().encode()),
        "quorum": o.quorum(),
        "dealers": pks(o.dealers()),
        "players": pks(o.players()),
        "revealed": pks(o.revealed()),
    })
}

fn run<V: Variant>(sc: &Scenario) -> Value {
    let mut previous: Option<Output<V, Pk>> = None;
    let mut prev_shares: BTreeMap<Pk, Share> = BTreeMap::new();
    let mut rounds_json = vec![];
    let mut keys_used: BTreeSet<u64> = BTreeSet::new();

    for (round_idx, spec) in sc.rounds.iter().enumerate() {
        let round = round_idx as u64;
        keys_used.extend(spec.dealers.iter().copied());
        keys_used.extend(spec.players.iter().copied());
        let dealers = set(&spec.dealers);
        let players = set(&spec.players);
        let n = players.len() as u32;
        let max_read = NonZeroU32::new(dealers.len().max(players.len()) as u32).unwrap();
        let summary = info_summary::<V>(sc.namespace, round, &previous, &dealers, &players);
        let info = Info::<V, Pk>::new(
            sc.namespace,
            round,
            previous.clone(),
            Mode::default(),
            dealers.clone(),
            players.clone(),
        )
        .expect("valid info");
        let required = quorum(dealers.len() as u32).max(previous.as_ref().map_or(0, |p| p.quorum()));
        let info_json = json!({
            "namespace": h(sc.namespace),
            "round": round,
            "previous": previous.as_ref().map(|p| h(p.encode())),
            "mode": 0,
            "dealers": pks(&dealers),
            "players": pks(&players),
            "summary": h(summary.encode()),
            "round_summary": h(Transcript::resume(summary).summarize().encode()),
            "derived": {
                "n": n,
                "quorum": quorum(n),
                "degree": quorum(n) - 1,
                "max_reveals": max_faults(n),
                "required_commitments": required,
            },
            "max_read": max_read.get(),
        });

        let seed_of = |p: &Pk| -> u64 {
            *spec
                .dealers
                .iter()
                .chain(spec.players.iter())
                .find(|&&s| pk_of(s) == *p)
                .unwrap()
        };

        // players
        let mut player_objs: BTreeMap<Pk, Player<V, Sk>> = players
            .iter()
            .map(|p| (p.clone(), Player::new(info.clone(), sk(seed_of(p))).unwrap()))
            .collect();
        let mut player_dealings: BTreeMap<Pk, Vec<Value>> = BTreeMap::new();

        // dealers, ascending public key
        let mut dealer_json = vec![];
        let mut logs: BTreeMap<Pk, DealerLog<V, Pk>> = BTreeMap::new();
        for dealer_pk in dealers.iter() {
            let dseed = seed_of(dealer_pk);
            let seed = rng_seed(sc.name, round, dealer_pk);
            let share = prev_shares.get(dealer_pk).cloned();
            let mut rng = RecordingRng::new(Transcript::resume(seed).noise(b"dealer-rng"));
            let (mut dealer, pub_msg, priv_msgs) =
                Dealer::<V, Sk>::start(&mut rng, info.clone(), sk(dseed), share.clone()).expect("dealer start");
            let pub_hex = pub_msg.encode();
            assert_eq!(
                DealerPubMsg::<V>::decode_cfg(pub_hex.as_ref(), &max_read).unwrap(),
                pub_msg
            );
            // ack transcript digest (same for every player of this dealer)
            let mut ack_t = Transcript::resume(summary).fork(b"ack");
            ack_t.commit(dealer_pk.encode());
            ack_t.commit(pub_msg.encode());
            let ack_digest = ack_t.summarize();

            let mut priv_json = vec![];
            let mut acks_json = vec![];
            for (player_pk, priv_msg) in priv_msgs {
                let pseed = seed_of(&player_pk);
                let priv_hex = priv_msg.encode();
                assert_eq!(DealerPrivMsg::decode(priv_hex.as_ref()).unwrap(), priv_msg);
                priv_json.push(json!({"player": h(player_pk.encode()), "hex": h(&priv_hex)}));
                if sc_has(&spec.faults.dropped_dealings, dseed, pseed) {
                    player_dealings.entry(player_pk.clone()).or_default().push(json!({
                        "dealer": h(dealer_pk.encode()),
                        "delivered": false,
                        "ack": null,
                    }));
                    continue;
                }
                let player = player_objs.get_mut(&player_pk).unwrap();
                let ack = player.dealer_message(dealer_pk.clone(), pub_msg.clone(), priv_msg);
                let ack_hex = ack.as_ref().map(|a| h(a.encode()));
                if let Some(a) = &ack {
                    let enc = a.encode();
                    assert_eq!(PlayerAck::<Pk>::decode(enc.as_ref()).unwrap(), *a);
                    let sig = ed25519::Signature::decode(enc.as_ref()).unwrap();
                    assert!(player_pk.verify(b"", ack_digest.as_ref(), &sig), "ack digest");
                }
                player_dealings.entry(player_pk.clone()).or_default().push(json!({
                    "dealer": h(dealer_pk.encode()),
                    "delivered": true,
                    "ack": ack_hex,
                }));
                if let Some(a) = ack {
                    if sc_has(&spec.faults.dropped_acks, dseed, pseed) {
                        continue;
                    }
                    acks_json.push(json!({"player": h(player_pk.encode()), "hex": h(a.encode())}));
                    dealer.receive_player_ack(player_pk.clone(), a).unwrap();
                }
            }
            let signed = dealer.finalize();
            let signed_hex = signed.encode();
            assert_eq!(
                SignedDealerLog::<V, Sk>::decode_cfg(signed_hex.as_ref(), &max_read).unwrap(),
                signed
            );
            let (checked_pk, log) = signed.clone().check(&info).expect("own log checks");
            assert_eq!(&checked_pk, dealer_pk);
            let log_hex = log.encode();
            assert_eq!(&signed_hex[32..signed_hex.len() - 64], log_hex.as_ref());
            assert_eq!(DealerLog::<V, Pk>::decode_cfg(log_hex.as_ref(), &max_read).unwrap(), log);
            let mut log_t = Transcript::resume(summary).fork(b"log");
            log_t.commit(log.encode());
            let log_digest = log_t.summarize();
            let log_sig = ed25519::Signature::decode(&signed_hex[signed_hex.len() - 64..]).unwrap();
            assert!(dealer_pk.verify(b"", log_digest.as_ref(), &log_sig), "log digest");
            // result tag: DealerLog = DealerPubMsg || DealerResult(tag ...)
            let tag = log_hex[pub_hex.len()];
            dealer_json.push(json!({
                "dealer": h(dealer_pk.encode()),
                "seed": dseed,
                "rng_seed": h(seed.encode()),
                "rng_consumed": h(&rng.taken),
                "share": share.as_ref().map(|s| h(s.encode())),
                "pub_msg": h(&pub_hex),
                "priv_msgs": priv_json,
                "ack_digest": h(ack_digest.encode()),
                "acks_received": acks_json,
                "result": if tag == 0 { "ok" } else { "too_many_reveals" },
                "log": h(&log_hex),
                "log_digest": h(log_digest.encode()),
                "signed_log": h(&signed_hex),
            }));
            logs.insert(checked_pk, log);
        }

        let logs_json: Vec<Value> = logs
            .iter()
            .map(|(d, l)| json!({"dealer": h(d.encode()), "log": h(l.encode())}))
            .collect();

        let observed = observe::<V, Pk>(info.clone(), logs.clone(), 1);
        let observe_json = match &observed {
            Ok(o) => {
                assert_eq!(&o.encode()[..32], summary.as_ref(), "Output.summary == Info summary");
                let enc = o.encode();
                assert_eq!(Output::<V, Pk>::decode_cfg(enc.as_ref(), &max_read).unwrap(), *o);
                json!({"ok": true, "output": output_json(o)})
            }
            Err(e) => json!({"ok": false, "error": format!("{e:?}")}),
        };

        let mut players_json = vec![];
        let mut new_shares = BTreeMap::new();
        for (ppk, player) in player_objs {
            let index = players.iter().position(|p| *p == ppk).unwrap();
            let res = player.finalize(logs.clone(), 1);
            let (out, share, err) = match res {
                Ok((o, s)) => {
                    assert_eq!(Some(&o), observed.as_ref().ok(), "player output == observe output");
                    assert_eq!(s.index as usize, index);
                    assert_eq!(s.public::<V>(), o.public().partial_public(s.index).unwrap());
                    let sh = h(s.encode());
                    let pv = h(s.private.encode());
                    new_shares.insert(ppk.clone(), s);
                    (Some(h(o.encode())), Some(json!({"index": index, "private": pv, "hex": sh})), None)
                }
                Err(e) => (None, None, Some(format!("{e:?}"))),
            };
            players_json.push(json!({
                "player": h(ppk.encode()),
                "seed": seed_of(&ppk),
                "index": index,
                "dealings": player_dealings.remove(&ppk).unwrap_or_default(),
                "output": out,
                "share": share,
                "error": err,
            }));
        }

        rounds_json.push(json!({
            "round": round,
            "kind": if previous.is_none() { "dkg" } else { "reshare" },
            "faults": {
                "dropped_dealings": spec.faults.dropped_dealings.iter().map(|(d, p)| json!({"dealer": h(pk_of(*d).encode()), "player": h(pk_of(*p).encode())})).collect::<Vec<_>>(),
                "dropped_acks": spec.faults.dropped_acks.iter().map(|(d, p)| json!({"dealer": h(pk_of(*d).encode()), "player": h(pk_of(*p).encode())})).collect::<Vec<_>>(),
            },
            "info": info_json,
            "dealers": dealer_json,
            "players": players_json,
            "logs": logs_json,
            "observe": observe_json,
        }));

        if let Ok(o) = observed {
            previous = Some(o);
            prev_shares = new_shares;
        }
    }

    let keys: Vec<Value> = keys_used
        .iter()
        .map(|&s| json!({"seed": s, "private": h(sk(s).encode()), "public": h(pk_of(s).encode())}))
        .collect();
    json!({
        "name": sc.name,
        "description": sc.description,
        "variant": variant_name::<V>(),
        "keys": keys,
        "rounds": rounds_json,
    })
}

fn sc_has(list: &[(u64, u64)], d: u64, p: u64) -> bool {
    list.iter().any(|&(a, b)| a == d && b == p)
}

fn range(a: u64, b: u64) -> Vec<u64> {
    (a..b).collect()
}

/// Sorted (by public key) seeds of a key set, to pick "the first dealer" etc.
fn sorted_by_pk(seeds: &[u64]) -> Vec<u64> {
    let mut v: Vec<u64> = seeds.to_vec();
    v.sort_by_key(|&s| pk_of(s).encode().to_vec());
    v
}

pub fn generate() {
    // ---- chains: fresh DKG, then two reshares with a changing committee ----
    for n in [1u64, 4, 7, 10] {
        let p0 = range(0, n);
        let p1 = range(1, n + 1);
        let p2 = range(2, n + 3);
        let sc = Scenario {
            name: Box::leak(format!("chain_n{n}").into_boxed_str()),
            description: "round 0: DKG, dealers = players = keys 0..n; round 1: reshare, dealers = round-0 players, players = keys 1..n+1; round 2: reshare, dealers = round-1 players, players = keys 2..n+3 (one more player). No faults.",
            namespace: RESHARE_APP,
            rounds: vec![
                RoundSpec { dealers: p0.clone(), players: p0.clone(), faults: Faults::default() },
                RoundSpec { dealers: p0.clone(), players: p1.clone(), faults: Faults::default() },
                RoundSpec { dealers: p1.clone(), players: p2.clone(), faults: Faults::default() },
            ],
        };
        let v = run::<MinSig>(&sc);
        let mut body = JMap::new();
        body.insert("scenario".into(), v);
        write_fixture("dkg", sc.name, upstream_0064(), "Complete DKG + reshare ceremonies (bls12381::dkg, MinSig, ed25519 identities). See conformance/README.md, set dkg/.", body);
    }

    // ---- missing ack / reveal ----
    let all = range(0, 4);
    let s = sorted_by_pk(&all);
    let sc = Scenario {
        name: "missing_ack",
        description: "n=4 (namespace TEMPO). Round 0 (DKG): the dealing of the 1st dealer (by key order) never reaches the 4th player, and the 3rd player's ack to the 2nd dealer is lost (the player has the dealing, the dealer reveals anyway). Round 1 (reshare, same players): the 4th player misses the dealings of the 1st and 2nd dealers, so it is revealed by 2 > max_faults selected logs and lands in Output.revealed.",
        namespace: b"TEMPO",
        rounds: vec![
            RoundSpec {
                dealers: all.clone(),
                players: all.clone(),
                faults: Faults { dropped_dealings: vec![(s[0], s[3])], dropped_acks: vec![(s[1], s[2])] },
            },
            RoundSpec {
                dealers: all.clone(),
                players: all.clone(),
                faults: Faults { dropped_dealings: vec![(s[0], s[3]), (s[1], s[3])], dropped_acks: vec![] },
            },
        ],
    };
    let mut body = JMap::new();
    body.insert("scenario".into(), run::<MinSig>(&sc));
    write_fixture("dkg", "missing_ack", upstream_0064(), "DKG with missing acks (reveals in dealer logs). See conformance/README.md, set dkg/.", body);

    // ---- too many reveals ----
    let sc = Scenario {
        name: "too_many_reveals",
        description: "n=4 DKG: the 1st dealer (by key order) only reaches 2 of 4 players: 2 reveals > max_faults(4) = 1, so its log is TooManyReveals and select() skips it; the other 3 dealers are selected.",
        namespace: RESHARE_APP,
        rounds: vec![RoundSpec {
            dealers: all.clone(),
            players: all.clone(),
            faults: Faults { dropped_dealings: vec![(s[0], s[1]), (s[0], s[2])], dropped_acks: vec![] },
        }],
    };
    let mut body = JMap::new();
    body.insert("scenario".into(), run::<MinSig>(&sc));
    write_fixture("dkg", "too_many_reveals", upstream_0064(), "DKG where one dealer has too many reveals. See conformance/README.md, set dkg/.", body);

    // ---- failed DKG ----
    let sc = Scenario {
        name: "dkg_failed",
        description: "n=4 DKG: the 1st and 3rd dealers each reach only 2 players (TooManyReveals): 2 valid logs < required 3, so observe() and every Player::finalize fail with DkgFailed.",
        namespace: RESHARE_APP,
        rounds: vec![RoundSpec {
            dealers: all.clone(),
            players: all.clone(),
            faults: Faults {
                dropped_dealings: vec![(s[0], s[1]), (s[0], s[2]), (s[2], s[0]), (s[2], s[3])],
                dropped_acks: vec![],
            },
        }],
    };
    let mut body = JMap::new();
    body.insert("scenario".into(), run::<MinSig>(&sc));
    write_fixture("dkg", "dkg_failed", upstream_0064(), "DKG that fails (too few valid dealer logs). See conformance/README.md, set dkg/.", body);

    // ---- MinPk ----
    let sc = Scenario {
        name: "minpk_n4",
        description: "n=4 DKG then one reshare to keys 1..5, with the MinPk variant (commitments in G1, 48 bytes).",
        namespace: RESHARE_APP,
        rounds: vec![
            RoundSpec { dealers: all.clone(), players: all.clone(), faults: Faults::default() },
            RoundSpec { dealers: all.clone(), players: range(1, 5), faults: Faults::default() },
        ],
    };
    let mut body = JMap::new();
    body.insert("scenario".into(), run::<MinPk>(&sc));
    write_fixture("dkg", "minpk_n4", upstream_0064(), "DKG + reshare with MinPk. See conformance/README.md, set dkg/.", body);
}
