//! Transcript and ed25519 fixtures (commonware-cryptography 0.0.64).

use crate::util::{codec_err, h, unhex, upstream_0064, write_fixture, Stream};
use commonware_codec::{DecodeExt, Encode};
use commonware_cryptography::{
    ed25519,
    transcript::{Summary, Transcript},
    Signer, Verifier,
};
use rand_core::RngCore;
use serde_json::{json, Map as JMap, Value};

fn leak(label: &[u8]) -> &'static [u8] {
    Box::leak(label.to_vec().into_boxed_slice())
}

/// Operations of a transcript script. The interpreter keeps one "current" transcript.
enum Op {
    New(Vec<u8>),
    Resume(Vec<u8>),
    Commit(Vec<u8>),
    Append(Vec<u8>),
    Fork(Vec<u8>),
    /// label, read sizes (consecutive fill_bytes calls on one RNG)
    Noise(Vec<u8>, Vec<usize>),
    Summarize,
    Sign(u64),
}

fn run(name: &str, ops: Vec<Op>) -> Value {
    let mut cur: Option<Transcript> = None;
    let mut out = vec![];
    for op in ops {
        match op {
            Op::New(ns) => {
                cur = Some(Transcript::new(&ns));
                out.push(json!({"op": "new", "namespace": h(&ns)}));
            }
            Op::Resume(s) => {
                let summary = Summary::decode(&s[..]).unwrap();
                cur = Some(Transcript::resume(summary));
                out.push(json!({"op": "resume", "summary": h(&s)}));
            }
            Op::Commit(d) => {
                cur.as_mut().unwrap().commit(&d[..]);
                out.push(json!({"op": "commit", "data": h(&d)}));
            }
            Op::Append(d) => {
                cur.as_mut().unwrap().append(&d[..]);
                out.push(json!({"op": "append", "data": h(&d)}));
            }
            Op::Fork(l) => {
                let f = cur.as_ref().unwrap().fork(leak(&l));
                cur = Some(f);
                out.push(json!({"op": "fork", "label": h(&l)}));
            }
            Op::Noise(l, reads) => {
                let mut rng = cur.as_ref().unwrap().noise(leak(&l));
                let mut all = vec![];
                for r in &reads {
                    let mut b = vec![0u8; *r];
                    rng.fill_bytes(&mut b);
                    all.extend_from_slice(&b);
                }
                out.push(json!({"op": "noise", "label": h(&l), "reads": reads, "output": h(&all)}));
            }
            Op::Summarize => {
                let s = cur.as_ref().unwrap().summarize();
                out.push(json!({"op": "summarize", "expect": h(s.encode())}));
            }
            Op::Sign(seed) => {
                let key = ed25519::PrivateKey::from_seed(seed);
                let t = cur.as_ref().unwrap();
                let sig = t.sign(&key);
                assert!(t.verify(&key.public_key(), &sig));
                // Transcript::sign == key.sign(b"", summary)
                let summary = t.summarize();
                assert!(key.public_key().verify(b"", summary.as_ref(), &sig));
                out.push(json!({
                    "op": "sign",
                    "private": h(key.encode()),
                    "public": h(key.public_key().encode()),
                    "signed_message": h([vec![0u8], summary.to_vec()].concat()),
                    "signature": h(sig.encode()),
                }));
            }
        }
    }
    json!({"name": name, "ops": out})
}

fn transcripts() {
    let mut st = Stream::new("transcript");
    let seed32 = st.bytes(32);
    let long = st.bytes(300);
    let dealer_pk = ed25519::PrivateKey::from_seed(1).public_key().encode().to_vec();
    use Op::*;
    let cases = vec![
        run("new(empty)", vec![New(vec![]), Summarize]),
        run("new(ns)", vec![New(b"test".to_vec()), Summarize]),
        run(
            "new(ns).commit(a).commit(b)",
            vec![New(b"ns".to_vec()), Commit(b"a".to_vec()), Summarize, Commit(b"bb".to_vec()), Summarize],
        ),
        run(
            "commit(empty)",
            vec![New(b"ns".to_vec()), Commit(vec![]), Summarize],
        ),
        run(
            "append(a).append(b).commit(c) == one message abc",
            vec![New(b"ns".to_vec()), Append(b"a".to_vec()), Append(b"b".to_vec()), Commit(b"c".to_vec()), Summarize],
        ),
        run(
            "commit(abc) (compare with previous)",
            vec![New(b"ns".to_vec()), Commit(b"abc".to_vec()), Summarize],
        ),
        run(
            "commit of 300 bytes (2-byte varint length suffix)",
            vec![New(b"ns".to_vec()), Commit(long.clone()), Summarize],
        ),
        run("resume(S)", vec![Resume(seed32.clone()), Summarize]),
        run(
            "resume(S).commit(x)",
            vec![Resume(seed32.clone()), Commit(b"x".to_vec()), Summarize],
        ),
        run(
            "fork chain",
            vec![
                New(b"ns".to_vec()),
                Commit(b"m".to_vec()),
                Fork(b"left".to_vec()),
                Summarize,
                Commit(b"z".to_vec()),
                Summarize,
                Fork(b"again".to_vec()),
                Summarize,
            ],
        ),
        run(
            "ack transcript shape: resume(S).fork(\"ack\").commit(dealer).commit(pub_msg)",
            vec![
                Resume(seed32.clone()),
                Fork(b"ack".to_vec()),
                Commit(dealer_pk.clone()),
                Commit(long.clone()),
                Summarize,
                Sign(7),
            ],
        ),
        run(
            "noise from new(ns): XOF stream, chunking does not matter",
            vec![
                New(b"ns".to_vec()),
                Commit(b"data".to_vec()),
                Noise(b"noise".to_vec(), vec![200]),
                Noise(b"noise".to_vec(), vec![1, 63, 64, 65, 7]),
                Noise(b"other".to_vec(), vec![32]),
                Summarize,
            ],
        ),
        run(
            "dealer rng: resume(rng_seed).noise(\"dealer-rng\")",
            vec![Resume(seed32.clone()), Noise(b"dealer-rng".to_vec(), vec![64, 64, 64, 64])],
        ),
        run(
            "sign: ed25519 over 0x00 || summary",
            vec![New(b"ns".to_vec()), Commit(b"hello".to_vec()), Summarize, Sign(0), Sign(1)],
        ),
    ];
    let mut body = JMap::new();
    body.insert("cases".into(), json!(cases));
    write_fixture(
        "primitives",
        "transcript",
        upstream_0064(),
        "commonware_cryptography::transcript scripts. Interpreter state = one current transcript. new(namespace) = Transcript::new; resume(summary) = Transcript::resume; commit/append(data); fork(label) = current.fork(label) and the fork REPLACES the current transcript; noise(label, reads) = current.noise(label) (current unchanged), then fill_bytes for each size in `reads` on the same RNG, `output` = the concatenation; summarize -> `expect` (32-byte Summary); sign = Transcript::sign with ed25519 key `private` (= ed25519 sign of `signed_message` = 0x00 || summary).",
        body,
    );
}

// ------------------------------------------------------------------------------------------------

/// Adds L (the ed25519 group order) to a little-endian 256-bit s.
fn add_l(s: &[u8]) -> Option<Vec<u8>> {
    let l = unhex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
    let mut out = vec![0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let v = s[i] as u16 + l[i] as u16 + carry;
        out[i] = v as u8;
        carry = v >> 8;
    }
    if carry != 0 {
        None
    } else {
        Some(out)
    }
}

fn ed25519_fixtures() {
    let mut st = Stream::new("ed25519");
    // from_seed mapping used by the DKG fixtures
    let from_seed: Vec<Value> = (0u64..16)
        .map(|seed| {
            let k = ed25519::PrivateKey::from_seed(seed);
            json!({"seed": seed, "private": h(k.encode()), "public": h(k.public_key().encode())})
        })
        .collect();

    let mut sigs = vec![];
    for seed in 0u64..3 {
        let k = ed25519::PrivateKey::from_seed(seed);
        let pk = k.public_key();
        for (ns, msg) in [
            (b"".to_vec(), b"".to_vec()),
            (b"".to_vec(), st.bytes(32)),
            (b"_COMMONWARE_EXAMPLES_RESHARE".to_vec(), b"hello".to_vec()),
            (b"TEMPO".to_vec(), st.bytes(100)),
        ] {
            let sig = k.sign(&ns, &msg);
            assert!(pk.verify(&ns, &msg, &sig));
            let wrong = pk.verify(&ns, b"x", &sig);
            sigs.push(json!({
                "private": h(k.encode()),
                "public": h(pk.encode()),
                "namespace": h(&ns),
                "message": h(&msg),
                "signed_payload": h(commonware_utils::union_unique(&ns, &msg)),
                "signature": h(sig.encode()),
                "verify": true,
                "verify_wrong_message_x": wrong,
            }));
        }
    }
    // random private keys (seed bytes straight from the stream)
    for _ in 0..2 {
        let raw = st.bytes(32);
        let k = ed25519::PrivateKey::decode(&raw[..]).unwrap();
        let msg = st.bytes(17);
        let sig = k.sign(b"ns", &msg);
        sigs.push(json!({
            "private": h(&raw),
            "public": h(k.public_key().encode()),
            "namespace": h(b"ns"),
            "message": h(&msg),
            "signed_payload": h(commonware_utils::union_unique(b"ns", &msg)),
            "signature": h(sig.encode()),
            "verify": true,
            "verify_wrong_message_x": false,
        }));
    }

    // ---- ZIP-215 edge cases: small-order / non-canonical A and R, s = 0 ----
    let encodings = [
        // canonical small-order points
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        // non-canonical encodings of small-order points
        "0100000000000000000000000000000000000000000000000000000000000080",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    ];
    let msg = b"Zcash".to_vec();
    let mut zip = vec![];
    for a in encodings {
        let a_bytes = unhex(a);
        let pk = ed25519::PublicKey::decode(&a_bytes[..]);
        for r in encodings {
            let sig_bytes = [unhex(r), vec![0u8; 32]].concat();
            let sig = ed25519::Signature::decode(&sig_bytes[..]).unwrap();
            let (decode, verify) = match &pk {
                Ok(pk) => (json!({"ok": true}), json!(pk.verify(b"", &msg, &sig))),
                Err(e) => (json!({"ok": false, "error": codec_err(e)}), Value::Null),
            };
            zip.push(json!({
                "why": "small-order A and R, s = 0",
                "public": a,
                "namespace": "",
                "message": h(&msg),
                "signature": h(&sig_bytes),
                "public_decode": decode,
                "verify": verify,
            }));
        }
    }
    // non-canonical s (s + L) on an honest signature: must be rejected
    let k = ed25519::PrivateKey::from_seed(3);
    let honest = k.sign(b"", &msg).encode().to_vec();
    if let Some(s2) = add_l(&honest[32..]) {
        let bad = [honest[..32].to_vec(), s2].concat();
        let sig = ed25519::Signature::decode(&bad[..]).unwrap();
        zip.push(json!({
            "why": "honest signature with s replaced by s + L (non-canonical s)",
            "public": h(k.public_key().encode()),
            "namespace": "",
            "message": h(&msg),
            "signature": h(&bad),
            "public_decode": {"ok": true},
            "verify": k.public_key().verify(b"", &msg, &sig),
        }));
    }
    zip.push(json!({
        "why": "honest signature (control)",
        "public": h(k.public_key().encode()),
        "namespace": "",
        "message": h(&msg),
        "signature": h(&honest),
        "public_decode": {"ok": true},
        "verify": true,
    }));
    // public keys that are not curve points
    let mut bad_keys = vec![];
    for cand in [
        "0200000000000000000000000000000000000000000000000000000000000000",
        "0300000000000000000000000000000000000000000000000000000000000000",
        "0500000000000000000000000000000000000000000000000000000000000000",
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    ] {
        let b = unhex(cand);
        let r = match ed25519::PublicKey::decode(&b[..]) {
            Ok(_) => json!({"ok": true}),
            Err(e) => json!({"ok": false, "error": codec_err(&e)}),
        };
        bad_keys.push(json!({"public": cand, "public_decode": r}));
    }

    let mut body = JMap::new();
    body.insert("from_seed".into(), json!(from_seed));
    body.insert("signatures".into(), json!(sigs));
    body.insert("zip215".into(), json!(zip));
    body.insert("public_key_decode".into(), json!(bad_keys));
    write_fixture(
        "primitives",
        "ed25519",
        upstream_0064(),
        "ed25519 (ed25519-consensus 2.1, ZIP-215 verification). from_seed: Signer::from_seed(u64) -> 32-byte private seed (ChaCha20Rng::seed_from_u64) and public key. signatures: sign(namespace, message) signs signed_payload = union_unique(namespace, message) (RFC 8032, deterministic). zip215: PublicKey::decode result and Verifier::verify(namespace, message, signature) result (null when the key does not decode). public_key_decode: PublicKey::decode of 32-byte strings.",
        body,
    );
}

pub fn generate() {
    transcripts();
    ed25519_fixtures();
}
