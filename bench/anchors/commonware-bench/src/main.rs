//! Native anchors for `npm run bench` (dkg-stream issue 10). Links the real upstream crates from
//! crates.io (the versions conformance/ pins) and times them on ONE thread:
//!
//! * `certs`: builds N finalization certificates of one epoch with a seeded TEMPO committee
//!   (commonware 2026.7.1 simplex, `bls12381_threshold::vrf`, MinSig), writes them to a JSON file
//!   the TypeScript bench reads, and times `Finalization::decode` + `Finalization::verify` per
//!   certificate (the follower's path) and one `verify_certificates` over all of them.
//! * `dkg`: a full commonware-cryptography 0.0.64 `bls12381::dkg` ceremony (MinSig, dealers =
//!   players = n): every dealer deals, every player verifies every dealing and acks, dealers
//!   collect acks and sign their logs, logs are checked, every player finalizes.
//!
//! * `chain`: reads the follow bench's chain (`bench/.cache/…/records.bin`: per record u32 BE
//!   header length, u32 BE certificate length, header RLP, certificate), decodes every
//!   certificate and times `verify_certificates` over all of them, once with `Sequential` (one
//!   thread) and once with `Rayon` on `--threads` threads (the same certificates dkg-stream's
//!   follower verifies; one identity, since the chain's committees reshare one group key).
//!
//! Usage: commonware-bench [--certs N] [--out PATH] [--dkg 4,10,32] [--min-ms MS] [--skip-certs]
//!        commonware-bench --chain FILE --identity HEX [--threads N] [--limit N] [--min-ms MS]
//! Results: one JSON object on stdout. Progress: stderr.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod certs {
    use super::*;
    use commonware_codec_v2026::{Decode, Encode};
    use commonware_consensus_v2026::{
        simplex::{
            scheme::bls12381_threshold::vrf::Scheme,
            types::{Finalization, Finalize, Proposal, Subject},
        },
        types::{Epoch, Round, View},
    };
    use commonware_cryptography_v2026::{
        bls12381::{certificate::threshold::mocks::fixture, primitives::variant::MinSig},
        certificate::{mocks::Fixture, Verifier as _},
        ed25519,
        sha256::Digest,
    };
    use commonware_parallel_v2026::Sequential;
    use commonware_utils_v2026::N3f1;
    use rand_v010::{rngs::StdRng, SeedableRng};

    pub const NAMESPACE: &[u8] = b"TEMPO";
    type S = Scheme<ed25519::PublicKey, MinSig>;
    type Fin = Finalization<S, Digest>;

    pub struct Opts {
        pub count: usize,
        pub committee: u32,
        pub epoch: u64,
        pub first_view: u64,
        pub seed: u64,
        pub out: Option<String>,
        pub min: Duration,
    }

    fn committee(seed: u64, n: u32) -> Fixture<S> {
        let mut rng = StdRng::seed_from_u64(seed);
        fixture::<S, MinSig, _>(
            &mut rng,
            NAMESPACE,
            n,
            |ns, participants, polynomial, share| S::signer(ns, participants, polynomial, share),
            |ns, participants, polynomial| S::verifier(ns, participants, polynomial),
        )
    }

    fn payload(seed: u64, view: u64) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        h.update(b"dkg-stream-bench/payload/");
        h.update(&seed.to_be_bytes());
        h.update(&view.to_be_bytes());
        *h.finalize().as_bytes()
    }

    pub fn run(o: &Opts) -> Value {
        let c = committee(o.seed, o.committee);
        let identity = *c.verifier.identity();
        let quorum = c.verifier.polynomial().required::<N3f1>() as usize;
        eprintln!("anchor/certs: signing {} certificates (n={}, quorum={quorum})…", o.count, o.committee);
        let t0 = Instant::now();
        let mut encoded: Vec<Vec<u8>> = Vec::with_capacity(o.count);
        for i in 0..o.count as u64 {
            let view = o.first_view + i;
            let p = Proposal::new(Round::new(Epoch::new(o.epoch), View::new(view)), View::new(view - 1), Digest(payload(o.seed, view)));
            // rotate which quorum signs; the recovered threshold signature is the same anyway
            let n = c.schemes.len();
            let votes: Vec<Finalize<S, Digest>> = (0..quorum)
                .map(|k| Finalize::sign(&c.schemes[(i as usize + k) % n], p.clone()).expect("signer"))
                .collect();
            let fin = Fin::from_finalizes(&c.verifier, votes.iter(), &Sequential).expect("assemble");
            encoded.push(fin.encode().to_vec());
        }
        let sign_s = t0.elapsed().as_secs_f64();
        eprintln!("anchor/certs: signed in {sign_s:.2}s");

        if let Some(path) = &o.out {
            let file = json!({
                "description": "Finalization certificates (commonware 2026.7.1 simplex, bls12381_threshold::vrf, MinSig, namespace TEMPO) of one epoch, written by bench/anchors/commonware-bench. Generated, not committed.",
                "namespace": hex::encode(NAMESPACE),
                "committee_seed": o.seed,
                "n": o.committee,
                "epoch": o.epoch,
                "identity": hex::encode(identity.encode()),
                "certificates": encoded.iter().map(hex::encode).collect::<Vec<_>>(),
            });
            if let Some(dir) = std::path::Path::new(path).parent() {
                std::fs::create_dir_all(dir).expect("create output dir");
            }
            std::fs::write(path, serde_json::to_string(&file).unwrap()).expect("write certificates");
            eprintln!("anchor/certs: wrote {path}");
        }

        let verifier = S::certificate_verifier(NAMESPACE, identity);
        let mut rng = StdRng::seed_from_u64(42);

        // Single: decode (Lazy certificate, parsed by verify) + Finalization::verify, per certificate.
        let mut passes = 0u32;
        let mut checked = 0usize;
        let start = Instant::now();
        while passes == 0 || start.elapsed() < o.min {
            for bytes in &encoded {
                let fin = Fin::decode_cfg(&bytes[..], &()).expect("decode");
                assert!(fin.verify(&mut rng, &verifier, &Sequential), "certificate verifies");
                checked += 1;
            }
            passes += 1;
            eprintln!("anchor/certs: single pass {passes} ({:.2}s)", start.elapsed().as_secs_f64());
        }
        let single_s = start.elapsed().as_secs_f64();
        let single_rate = checked as f64 / single_s;

        // Batched: Verifier::verify_certificates over all certificates (one combined check).
        let mut passes_b = 0u32;
        let start = Instant::now();
        while passes_b == 0 || start.elapsed() < o.min {
            let fins: Vec<Fin> = encoded.iter().map(|b| Fin::decode_cfg(&b[..], &()).expect("decode")).collect();
            let ok = verifier.verify_certificates::<_, Digest, _, N3f1>(
                &mut rng,
                fins.iter().map(|f| (Subject::Finalize { proposal: &f.proposal }, &f.certificate)),
                &Sequential,
            );
            assert!(ok, "batch verifies");
            passes_b += 1;
        }
        let batch_s = start.elapsed().as_secs_f64();
        let batch_rate = (passes_b as usize * encoded.len()) as f64 / batch_s;
        eprintln!("anchor/certs: single {single_rate:.0}/s, batched {batch_rate:.0}/s");

        json!({
            "count": encoded.len(),
            "committee": o.committee,
            "epoch": o.epoch,
            "identity": hex::encode(identity.encode()),
            "file": o.out,
            "sign_seconds": sign_s,
            "single": {"api": "Finalization::decode + Finalization::verify (Sequential)", "certificates": checked, "seconds": single_s, "certs_per_sec": single_rate},
            "batched": {"api": "certificate::Verifier::verify_certificates over all (Sequential)", "certificates": passes_b as usize * encoded.len(), "seconds": batch_s, "certs_per_sec": batch_rate},
        })
    }
}

mod dkg {
    use super::*;
    use commonware_cryptography::{
        bls12381::{
            dkg::{Dealer, DealerLog, Info, Player},
            primitives::{sharing::Mode, variant::MinSig},
        },
        ed25519, Signer,
    };
    use commonware_utils::ordered::Set;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    type Pk = ed25519::PublicKey;
    type Sk = ed25519::PrivateKey;
    const NAMESPACE: &[u8] = b"dkg-stream-bench";

    #[derive(Default, Clone, Copy)]
    pub struct Phases {
        pub deal: f64,
        pub verify_ack: f64,
        pub log: f64,
        pub finalize: f64,
    }

    impl Phases {
        pub fn total(&self) -> f64 {
            self.deal + self.verify_ack + self.log + self.finalize
        }
    }

    /// One full ceremony; returns phase timings in seconds.
    pub fn ceremony(n: u64, seed: u64) -> Phases {
        let keys: Vec<Sk> = (0..n).map(Sk::from_seed).collect();
        let by_pk: BTreeMap<Pk, Sk> = keys.iter().map(|k| (k.public_key(), k.clone())).collect();
        let set = Set::from_iter_dedup(keys.iter().map(|k| k.public_key()));
        let info = Info::<MinSig, Pk>::new(NAMESPACE, 0, None, Mode::default(), set.clone(), set.clone()).expect("info");
        let mut ph = Phases::default();

        let t = Instant::now();
        let mut dealers = Vec::new();
        for (i, pk) in set.iter().enumerate() {
            let mut rng = ChaCha20Rng::seed_from_u64(seed ^ (i as u64) << 8);
            let (d, pub_msg, priv_msgs) = Dealer::<MinSig, Sk>::start(&mut rng, info.clone(), by_pk[pk].clone(), None).expect("deal");
            dealers.push((pk.clone(), d, pub_msg, priv_msgs));
        }
        ph.deal = t.elapsed().as_secs_f64();

        let t = Instant::now();
        let mut players: BTreeMap<Pk, Player<MinSig, Sk>> =
            set.iter().map(|pk| (pk.clone(), Player::new(info.clone(), by_pk[pk].clone()).expect("player"))).collect();
        for (dpk, dealer, pub_msg, priv_msgs) in dealers.iter_mut() {
            for (ppk, priv_msg) in priv_msgs.drain(..) {
                let ack = players.get_mut(&ppk).unwrap().dealer_message(dpk.clone(), pub_msg.clone(), priv_msg).expect("dealing verifies");
                dealer.receive_player_ack(ppk, ack).expect("ack");
            }
        }
        ph.verify_ack = t.elapsed().as_secs_f64();

        let t = Instant::now();
        let mut logs: BTreeMap<Pk, DealerLog<MinSig, Pk>> = BTreeMap::new();
        for (_, dealer, _, _) in dealers {
            let signed = dealer.finalize();
            let (pk, log) = signed.check(&info).expect("log checks");
            logs.insert(pk, log);
        }
        ph.log = t.elapsed().as_secs_f64();

        let t = Instant::now();
        let mut group = None;
        for (_, player) in players {
            let (output, _share) = player.finalize(logs.clone(), 1).expect("finalize");
            let public = output.public().public().clone();
            if let Some(g) = &group {
                assert_eq!(g, &public, "players agree");
            }
            group = Some(public);
        }
        ph.finalize = t.elapsed().as_secs_f64();
        ph
    }

    pub fn run(sizes: &[u64], min: Duration) -> Value {
        let mut out = Vec::new();
        for &n in sizes {
            let mut runs: Vec<Phases> = Vec::new();
            let start = Instant::now();
            // at least 2 ceremonies (1 for n >= 32 when one takes longer than `min`)
            while runs.len() < 2 || start.elapsed() < min {
                runs.push(ceremony(n, 0xd16 + runs.len() as u64));
                if n >= 32 && start.elapsed() >= min {
                    break;
                }
            }
            let best = runs.iter().copied().min_by(|a, b| a.total().partial_cmp(&b.total()).unwrap()).unwrap();
            let mean = runs.iter().map(|r| r.total()).sum::<f64>() / runs.len() as f64;
            eprintln!("anchor/dkg: n={n}: {} ceremonies, best {:.3}s, mean {mean:.3}s", runs.len(), best.total());
            out.push(json!({
                "n": n,
                "runs": runs.len(),
                "best_seconds": best.total(),
                "mean_seconds": mean,
                "best_phases": {"deal": best.deal, "verify_and_ack": best.verify_ack, "log": best.log, "finalize": best.finalize},
            }));
        }
        json!(out)
    }
}

mod chain {
    use super::*;
    use commonware_codec_v2026::Decode;
    use commonware_consensus_v2026::simplex::{
        scheme::bls12381_threshold::vrf::Scheme,
        types::{Finalization, Subject},
    };
    use commonware_cryptography_v2026::{
        bls12381::primitives::{group::G2, variant::MinSig},
        certificate::Verifier as _,
        ed25519,
        sha256::Digest,
    };
    use commonware_parallel_v2026::{Rayon, Sequential, Strategy};
    use commonware_utils_v2026::N3f1;
    use rand_v010::{rngs::StdRng, SeedableRng};
    use std::num::NonZeroUsize;

    type S = Scheme<ed25519::PublicKey, MinSig>;
    type Fin = Finalization<S, Digest>;

    fn certificates(file: &str, limit: usize) -> Vec<Vec<u8>> {
        let bytes = std::fs::read(file).expect("read chain file");
        let mut out = Vec::new();
        let mut at = 0usize;
        while at + 8 <= bytes.len() && out.len() < limit {
            let hl = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
            let cl = u32::from_be_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
            let start = at + 8 + hl;
            out.push(bytes[start..start + cl].to_vec());
            at = start + cl;
        }
        out
    }

    /// Decode + verify_certificates over all, repeated for at least `min`; certificates per second.
    fn time<T: Strategy>(encoded: &[Vec<u8>], verifier: &S, strategy: &T, min: Duration) -> (usize, f64) {
        let mut rng = StdRng::seed_from_u64(42);
        let mut passes = 0usize;
        let start = Instant::now();
        while passes == 0 || start.elapsed() < min {
            let fins: Vec<Fin> = encoded.iter().map(|b| Fin::decode_cfg(&b[..], &()).expect("decode")).collect();
            let ok = verifier.verify_certificates::<_, Digest, _, N3f1>(
                &mut rng,
                fins.iter().map(|f| (Subject::Finalize { proposal: &f.proposal }, &f.certificate)),
                strategy,
            );
            assert!(ok, "chain certificates verify");
            passes += 1;
        }
        let s = start.elapsed().as_secs_f64();
        (passes * encoded.len(), s)
    }

    pub fn run(file: &str, identity_hex: &str, threads: usize, limit: usize, min: Duration) -> Value {
        let encoded = certificates(file, limit);
        let id_bytes = hex::decode(identity_hex).expect("--identity hex");
        let identity = G2::decode_cfg(&id_bytes[..], &()).expect("identity decodes");
        let verifier = S::certificate_verifier(certs::NAMESPACE, identity);
        eprintln!("anchor/chain: {} certificates; verify_certificates, 1 thread…", encoded.len());
        let (n1, s1) = time(&encoded, &verifier, &Sequential, min);
        eprintln!("anchor/chain: 1 thread {:.0}/s; {threads} threads…", n1 as f64 / s1);
        let rayon = Rayon::new(NonZeroUsize::new(threads).expect("--threads ≥ 1")).expect("rayon pool");
        let (nn, sn) = time(&encoded, &verifier, &rayon, min);
        eprintln!("anchor/chain: {threads} threads {:.0}/s", nn as f64 / sn);
        json!({
            "file": file,
            "count": encoded.len(),
            "api": "Finalization::decode + certificate::Verifier::verify_certificates over all",
            "one_thread": {"strategy": "Sequential", "certificates": n1, "seconds": s1, "certs_per_sec": n1 as f64 / s1},
            "all_threads": {"strategy": format!("Rayon({threads})"), "threads": threads, "certificates": nn, "seconds": sn, "certs_per_sec": nn as f64 / sn},
        })
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let min = Duration::from_millis(get("--min-ms").map_or(3000, |s| s.parse().expect("--min-ms")));
    let sizes: Vec<u64> = get("--dkg").map_or(vec![4, 10, 32], |s| {
        if s.is_empty() {
            vec![]
        } else {
            s.split(',').map(|x| x.parse().expect("--dkg n,n,…")).collect()
        }
    });
    if let Some(file) = get("--chain") {
        let identity = get("--identity").expect("--chain needs --identity HEX");
        let threads = get("--threads").map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), |s| s.parse().expect("--threads"));
        let limit = get("--limit").map_or(usize::MAX, |s| s.parse().expect("--limit"));
        let r = chain::run(&file, &identity, threads, limit, min);
        println!("{}", serde_json::to_string_pretty(&json!({"chain": r})).unwrap());
        return;
    }
    let mut result = serde_json::Map::new();
    result.insert("threads".into(), json!(1));
    result.insert(
        "upstream".into(),
        json!({"certificates": "commonware-consensus/-cryptography 2026.7.1 (blst)", "dkg": "commonware-cryptography 0.0.64 (blst)"}),
    );
    if !args.iter().any(|a| a == "--skip-certs") {
        let o = certs::Opts {
            count: get("--certs").map_or(2000, |s| s.parse().expect("--certs")),
            committee: get("--committee").map_or(4, |s| s.parse().expect("--committee")),
            epoch: 7,
            first_view: 1000,
            seed: 0xbe7c,
            out: get("--out"),
            min,
        };
        result.insert("certificates".into(), certs::run(&o));
    }
    if !sizes.is_empty() {
        result.insert("dkg".into(), dkg::run(&sizes, min));
    }
    println!("{}", serde_json::to_string_pretty(&Value::Object(result)).unwrap());
}
