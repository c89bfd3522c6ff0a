//! tempo/ fixtures: simplex finalization certificates with the bls12381_threshold VRF scheme
//! (MinSig), namespace "TEMPO", built and verified with commonware 2026.7.1 (tempo HEAD's pin).

use crate::util::{codec_err_2026 as codec_err, h, upstream_2026, write_fixture, Stream};
use commonware_codec_v2026::{Decode, Encode, Read};
use commonware_consensus_v2026::{
    simplex::{
        scheme::bls12381_threshold::vrf::{Certificate, Scheme, Signature},
        types::{
            verify_certificates, Finalization, Finalize, Notarization, Notarize, Proposal, Subject,
        },
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
use commonware_utils_v2026::{union_unique, N3f1};
use rand_v010::{rngs::StdRng, SeedableRng};
use serde_json::{json, Map as JMap, Value};

const NAMESPACE: &[u8] = b"TEMPO";
type S = Scheme<ed25519::PublicKey, MinSig>;
type Fin = Finalization<S, Digest>;

/// Seeds for the committees (rand 0.10 StdRng::seed_from_u64, fed to the upstream mock dealer).
const COMMITTEE_SEED: u64 = 0x7e3d0;
const WRONG_COMMITTEE_SEED: u64 = 0x7e3d1;
const VERIFY_RNG_SEED: u64 = 42;

fn committee(seed: u64) -> Fixture<S> {
    let mut rng = StdRng::seed_from_u64(seed);
    fixture::<S, MinSig, _>(
        &mut rng,
        NAMESPACE,
        4,
        |ns, participants, polynomial, share| S::signer(ns, participants, polynomial, share),
        |ns, participants, polynomial| S::verifier(ns, participants, polynomial),
    )
}

fn proposal(epoch: u64, view: u64, parent: u64, payload: [u8; 32]) -> Proposal<Digest> {
    Proposal::new(
        Round::new(Epoch::new(epoch), View::new(view)),
        View::new(parent),
        Digest(payload),
    )
}

fn payload_for(label: &str) -> [u8; 32] {
    Stream::new(&format!("tempo-payload/{label}")).array::<32>()
}

/// Finalize votes of signers `signers` for `p`, assembled into a certificate.
fn finalize(c: &Fixture<S>, p: &Proposal<Digest>, signers: &[usize]) -> (Fin, Vec<Finalize<S, Digest>>) {
    let votes: Vec<Finalize<S, Digest>> = signers
        .iter()
        .map(|&i| Finalize::sign(&c.schemes[i], p.clone()).expect("signer"))
        .collect();
    let fin = Fin::from_finalizes(&c.verifier, votes.iter(), &Sequential).expect("assemble");
    (fin, votes)
}

fn sig_of(fin: &Fin) -> Signature<MinSig> {
    fin.certificate.get().expect("decodable certificate").clone()
}

fn with_sig(p: &Proposal<Digest>, vote: &Signature<MinSig>, seed: &Signature<MinSig>) -> Fin {
    Fin {
        proposal: p.clone(),
        certificate: Certificate::from(Signature::<MinSig> {
            vote_signature: vote.vote_signature,
            seed_signature: seed.seed_signature,
        }),
    }
}

fn verify(fin: &Fin, identity: &<MinSig as commonware_cryptography_v2026::bls12381::primitives::variant::Variant>::Public) -> bool {
    let verifier = S::certificate_verifier(NAMESPACE, *identity);
    let mut rng = StdRng::seed_from_u64(VERIFY_RNG_SEED);
    fin.verify(&mut rng, &verifier, &Sequential)
}

/// Independent check with the 0.0.64 primitives: both signatures verify as plain MinSig
/// signatures over the documented `messages` (union_unique-framed) with the G1 message DST.
fn cross_check(fin: &Fin, identity: &[u8]) {
    use commonware_codec::DecodeExt;
    use commonware_cryptography::bls12381::primitives::{
        group::{G1, G1_MESSAGE, G2},
        ops,
        variant::MinSig as MinSig64,
    };
    let pk = G2::decode(identity).unwrap();
    let m = messages(fin);
    let f = fields(fin);
    for (msg, sig) in [("finalize", "vote_signature"), ("seed", "seed_signature")] {
        let payload = hex::decode(m[msg].as_str().unwrap()).unwrap();
        let sig = G1::decode(&hex::decode(f[sig].as_str().unwrap()).unwrap()[..]).unwrap();
        ops::verify::<MinSig64>(&pk, G1_MESSAGE, &payload, &sig).expect("cross-check with 0.0.64 ops::verify");
    }
}

fn fields(fin: &Fin) -> Value {
    let cert = fin.certificate.encode();
    json!({
        "epoch": fin.proposal.round.epoch().get(),
        "view": fin.proposal.round.view().get(),
        "parent": fin.proposal.parent.get(),
        "payload": h(fin.proposal.payload.0),
        "proposal": h(fin.proposal.encode()),
        "round": h(fin.proposal.round.encode()),
        "vote_signature": h(&cert[..48]),
        "seed_signature": h(&cert[48..]),
    })
}

fn messages(fin: &Fin) -> Value {
    json!({
        "finalize": h(union_unique(b"TEMPO_FINALIZE", &fin.proposal.encode())),
        "seed": h(union_unique(b"TEMPO_SEED", &fin.proposal.round.encode())),
    })
}

/// A certificate case from raw bytes: decode (strict), read (lenient), fields, verify.
fn case(name: &str, description: &str, bytes: &[u8], identity_hex: &str, expect_valid: Option<bool>) -> Value {
    let identity_bytes = hex::decode(identity_hex).unwrap();
    let identity = <MinSig as commonware_cryptography_v2026::bls12381::primitives::variant::Variant>::Public::decode_cfg(&identity_bytes[..], &()).unwrap();
    let decode = Fin::decode_cfg(bytes, &());
    let mut buf = bytes;
    let read = Fin::read_cfg(&mut buf, &());
    let consumed = bytes.len() - buf.len();
    let decode_json = match &decode {
        Ok(_) => json!({"ok": true}),
        Err(e) => json!({"ok": false, "error": codec_err(e)}),
    };
    let read_json = match &read {
        Ok(_) => json!({"ok": true, "consumed": consumed}),
        Err(e) => json!({"ok": false, "error": codec_err(e)}),
    };
    // verify what decodes; for a strict-decode failure, verify the leniently read value
    let subject = decode.as_ref().ok().or(read.as_ref().ok());
    let (fields_json, msgs, verified, sig_ok) = match subject {
        Some(fin) => {
            let v = verify(fin, &identity);
            if v {
                cross_check(fin, &identity_bytes);
            }
            (fields(fin), messages(fin), json!(v), json!(fin.certificate.get().is_some()))
        }
        None => (Value::Null, Value::Null, Value::Null, Value::Null),
    };
    if let Some(expect) = expect_valid {
        assert_eq!(verified, json!(expect), "{name}");
    }
    json!({
        "name": name,
        "description": description,
        "hex": h(bytes),
        "identity": identity_hex,
        "decode": decode_json,
        "read": read_json,
        "fields": fields_json,
        "messages": msgs,
        "signatures_decode": sig_ok,
        "verify": verified,
    })
}

fn committee_json(c: &Fixture<S>, seed: u64) -> Value {
    let poly = c.verifier.polynomial();
    {
        // The 2026.7.1 Sharing bytes decode unchanged with the 0.0.64 codec.
        use commonware_codec::{Decode as _, Encode as _};
        let bytes = poly.encode().to_vec();
        let old = commonware_cryptography::bls12381::primitives::sharing::Sharing::<
            commonware_cryptography::bls12381::primitives::variant::MinSig,
        >::decode_cfg(&bytes[..], &core::num::NonZeroU32::new(4).unwrap())
        .expect("0.0.64 decodes the 2026.7.1 Sharing");
        assert_eq!(old.encode().to_vec(), bytes);
    }
    let shares: Vec<Value> = c
        .schemes
        .iter()
        .map(|s| {
            let sh = s.share().expect("signer");
            json!({
                "index": sh.index.get(),
                "private": h(sh.private.encode()),
                "hex": h(sh.encode()),
            })
        })
        .collect();
    json!({
        "rng_seed": seed,
        "namespace": h(NAMESPACE),
        "n": c.participants.len(),
        "quorum": poly.required::<N3f1>(),
        "participants": c.participants.iter().map(|p| h(p.encode())).collect::<Vec<_>>(),
        "private_keys": c.private_keys.iter().map(|k| h(k.encode())).collect::<Vec<_>>(),
        "sharing": h(poly.encode()),
        "identity": h(poly.public().encode()),
        "shares": shares,
    })
}

pub fn generate() {
    let c = committee(COMMITTEE_SEED);
    let wrong = committee(WRONG_COMMITTEE_SEED);
    let identity = *c.verifier.identity();
    let id_hex = h(identity.encode());
    let wrong_id_hex = h(wrong.verifier.identity().encode());

    // ---------------- committee.json ----------------
    let p0 = proposal(3, 42, 41, payload_for("3/42"));
    let (fin0, votes0) = finalize(&c, &p0, &[0, 1, 2, 3]);
    let votes_json: Vec<Value> = votes0
        .iter()
        .map(|v| {
            let s = v.attestation.signature.get().unwrap();
            json!({
                "signer": v.attestation.signer.get(),
                "vote_signature": h(s.vote_signature.encode()),
                "seed_signature": h(s.seed_signature.encode()),
            })
        })
        .collect();
    let mut body = JMap::new();
    body.insert("committee".into(), committee_json(&c, COMMITTEE_SEED));
    body.insert("wrong_committee".into(), committee_json(&wrong, WRONG_COMMITTEE_SEED));
    body.insert(
        "example_votes".into(),
        json!({
            "proposal": fields(&fin0),
            "messages": messages(&fin0),
            "partials": votes_json,
            "assembled_from": "all 4 votes (recovery keeps the lowest quorum=3 indices: 0,1,2)",
            "certificate": h(fin0.certificate.encode()),
            "finalization": h(fin0.encode()),
        }),
    );
    write_fixture(
        "tempo",
        "committee",
        upstream_2026(),
        "Seeded n=4 committees from commonware's threshold mock dealer (ed25519 participants, MinSig sharing; rand 0.10 StdRng::seed_from_u64(rng_seed)). identity = sharing constant term (G2), the network identity a Tempo follower verifies certificates with. example_votes: per-signer Finalize partial signatures (vote over TEMPO_FINALIZE/proposal, seed over TEMPO_SEED/round) and the assembled certificate.",
        body,
    );

    // ---------------- certificates.json ----------------
    let mut cases = vec![];
    let enc = |f: &Fin| f.encode().to_vec();
    // valid
    let p_valid = proposal(3, 42, 41, payload_for("3/42"));
    let (valid, _) = finalize(&c, &p_valid, &[0, 1, 2]);
    cases.push(case("valid", "finalization assembled from signers 0,1,2", &enc(&valid), &id_hex, Some(true)));
    let (valid_b, _) = finalize(&c, &p_valid, &[1, 2, 3]);
    assert_eq!(enc(&valid_b), enc(&valid), "threshold signatures are unique");
    let p_small = proposal(0, 1, 0, {
        let mut b = [0u8; 32];
        b[31] = 1;
        b
    });
    let (valid_small, _) = finalize(&c, &p_small, &[0, 2, 3]);
    cases.push(case("valid_epoch0_view1", "epoch 0, view 1, parent 0, payload 00..01 (the golden-frame shape)", &enc(&valid_small), &id_hex, Some(true)));
    let p_big = proposal(300, 1 << 40, (1 << 40) - 5, payload_for("big"));
    let (valid_big, _) = finalize(&c, &p_big, &[1, 2, 3]);
    cases.push(case("valid_multibyte_varints", "epoch 300, view 2^40, parent 2^40-5: multi-byte varints", &enc(&valid_big), &id_hex, Some(true)));

    // signed under a wrong key
    let (wrong_fin, _) = finalize(&wrong, &p_valid, &[0, 1, 2]);
    cases.push(case("wrong_key", "same proposal finalized by another committee; verified with this committee's identity", &enc(&wrong_fin), &id_hex, Some(false)));
    cases.push(case("wrong_key_own_identity", "the same bytes verified with the other committee's identity", &enc(&wrong_fin), &wrong_id_hex, Some(true)));

    // bad seed signature: seed signature of another round
    let p_other_round = proposal(3, 43, 42, payload_for("3/43"));
    let (other_round, _) = finalize(&c, &p_other_round, &[0, 1, 2]);
    let bad_seed = with_sig(&p_valid, &sig_of(&valid), &sig_of(&other_round));
    cases.push(case("bad_seed_signature", "valid vote signature, seed signature taken from round (3,43) (a valid point, wrong message)", &enc(&bad_seed), &id_hex, Some(false)));

    // bad vote signature: vote signature over another payload in the same round
    let p_other_payload = proposal(3, 42, 41, payload_for("3/42-other"));
    let (other_payload, _) = finalize(&c, &p_other_payload, &[0, 1, 2]);
    let bad_vote = with_sig(&p_valid, &sig_of(&other_payload), &sig_of(&valid));
    cases.push(case("bad_vote_signature", "valid seed signature, vote signature taken from a different payload in the same round", &enc(&bad_vote), &id_hex, Some(false)));

    // swapped signatures
    let sv = sig_of(&valid);
    let swapped = Fin {
        proposal: p_valid.clone(),
        certificate: Certificate::from(Signature::<MinSig> {
            vote_signature: sv.seed_signature,
            seed_signature: sv.vote_signature,
        }),
    };
    cases.push(case("swapped_signatures", "vote and seed signatures swapped", &enc(&swapped), &id_hex, Some(false)));

    // notarization presented as a finalization
    let notarizes: Vec<Notarize<S, Digest>> = [0usize, 1, 2]
        .iter()
        .map(|&i| Notarize::sign(&c.schemes[i], p_valid.clone()).unwrap())
        .collect();
    let notarization = Notarization::<S, Digest>::from_notarizes(&c.verifier, notarizes.iter(), &Sequential).unwrap();
    assert_eq!(notarization.encode().len(), enc(&valid).len());
    cases.push(case("notarization_as_finalization", "a valid notarization certificate (TEMPO_NOTARIZE) decoded as a Finalization: same layout, verify fails", &notarization.encode(), &id_hex, Some(false)));

    // invalid G1 encodings inside the certificate: decode succeeds (Lazy), verify fails
    let prop_bytes = p_valid.encode().to_vec();
    let vote_bytes = sv.vote_signature.encode().to_vec();
    let seed_bytes = sv.seed_signature.encode().to_vec();
    let inf = [vec![0xc0u8], vec![0u8; 47]].concat();
    let mut not_on_curve = vec![0u8; 48];
    not_on_curve[0] = 0x80;
    not_on_curve[47] = 1;
    cases.push(case("vote_signature_infinity", "vote signature = G1 infinity encoding (c0 00..): decodes lazily, verify false", &[prop_bytes.clone(), inf.clone(), seed_bytes.clone()].concat(), &id_hex, Some(false)));
    cases.push(case("seed_signature_not_on_curve", "seed signature bytes are not a curve point: decodes lazily, verify false", &[prop_bytes.clone(), vote_bytes.clone(), not_on_curve.clone()].concat(), &id_hex, Some(false)));
    cases.push(case("vote_signature_bad_flags", "vote signature without the compression flag: decodes lazily, verify false", &[prop_bytes.clone(), {
        let mut b = vote_bytes.clone();
        b[0] &= 0x7f;
        b
    }, seed_bytes.clone()].concat(), &id_hex, Some(false)));

    // codec failures
    let valid_bytes = enc(&valid);
    cases.push(case("trailing_byte", "valid certificate with one 00 byte appended: decode fails with ExtraData(1); read succeeds and the read value verifies", &[valid_bytes.clone(), vec![0]].concat(), &id_hex, Some(true)));
    cases.push(case("truncated", "valid certificate minus its last byte", &valid_bytes[..valid_bytes.len() - 1], &id_hex, None));
    cases.push(case("non_canonical_epoch_varint", "epoch 3 encoded as 83 00 (non-canonical varint)", &[vec![0x83u8, 0x00], valid_bytes[1..].to_vec()].concat(), &id_hex, None));
    cases.push(case("empty", "empty input", &[], &id_hex, None));

    let mut body = JMap::new();
    body.insert("namespace".into(), json!(h(NAMESPACE)));
    body.insert("identity".into(), json!(id_hex));
    body.insert("cases".into(), json!(cases));
    write_fixture(
        "tempo",
        "certificates",
        upstream_2026(),
        "Finalization<bls12381_threshold::vrf::Scheme<ed25519, MinSig>, sha256::Digest> certificates (Proposal || vote G1 || seed G1) for the committee of committee.json. decode = Finalization::decode (whole buffer), read = Finalization::read (lenient). verify = Finalization::verify with Scheme::certificate_verifier(\"TEMPO\", identity) on the decoded value (or the read value when only read succeeds); null when neither succeeds.",
        body,
    );

    // ---------------- batch.json ----------------
    let epoch = 5u64;
    let mut fins = vec![];
    for i in 0..20u64 {
        let view = 100 + i;
        let p = proposal(epoch, view, view - 1, payload_for(&format!("batch/{view}")));
        let signers: Vec<usize> = (0..4).filter(|s| (*s as u64) != i % 4).collect();
        let (f, _) = finalize(&c, &p, &signers);
        fins.push(f);
    }
    let verifier = S::certificate_verifier(NAMESPACE, identity);
    let batch_result = |fins: &[Fin]| -> (bool, Vec<bool>) {
        let mut rng = StdRng::seed_from_u64(VERIFY_RNG_SEED);
        let all = verifier.verify_certificates::<_, Digest, _, N3f1>(
            &mut rng,
            fins.iter().map(|f| (Subject::Finalize { proposal: &f.proposal }, &f.certificate)),
            &Sequential,
        );
        let subjects: Vec<_> = fins
            .iter()
            .map(|f| (Subject::Finalize { proposal: &f.proposal }, &f.certificate))
            .collect();
        let each = verify_certificates(&mut rng, &verifier, &subjects, &Sequential);
        (all, each)
    };
    let (all_ok, each_ok) = batch_result(&fins);
    assert!(all_ok && each_ok.iter().all(|b| *b));
    // one bad certificate inside the batch (index 7 gets the seed signature of index 8)
    let mut tampered = fins.clone();
    tampered[7] = with_sig(&fins[7].proposal, &sig_of(&fins[7]), &sig_of(&fins[8]));
    let (t_all, t_each) = batch_result(&tampered);
    assert!(!t_all);
    let list = |fins: &[Fin]| -> Vec<Value> {
        fins.iter()
            .map(|f| json!({"hex": h(f.encode()), "fields": fields(f), "verify": verify(f, &identity)}))
            .collect()
    };
    let mut body = JMap::new();
    body.insert("identity".into(), json!(id_hex));
    body.insert("epoch".into(), json!(epoch));
    body.insert(
        "valid".into(),
        json!({"certificates": list(&fins), "batch_verify": all_ok, "per_certificate": each_ok}),
    );
    body.insert(
        "one_bad".into(),
        json!({"bad_index": 7, "certificates": list(&tampered), "batch_verify": t_all, "per_certificate": t_each}),
    );
    write_fixture(
        "tempo",
        "batch",
        upstream_2026(),
        "20 valid finalizations of one epoch (views 100..119, parent = view-1) from committee.json, for batch verification. batch_verify = certificate::Verifier::verify_certificates (one combined check); per_certificate = simplex::types::verify_certificates (bisection). one_bad: the same batch with certificate 7's seed signature replaced by certificate 8's.",
        body,
    );
}
