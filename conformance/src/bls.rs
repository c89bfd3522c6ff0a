//! BLS12-381 fixtures (commonware-cryptography 0.0.64): scalars, points, hash-to-curve, keygen,
//! signatures, polynomials, sharings, shares, partial signatures and threshold recovery.

use crate::util::{codec_err, h, unhex, upstream_0064, write_fixture, FixedRng, RecordingRng, Stream};
use commonware_codec::{varint::UInt, Decode, DecodeExt, Encode, FixedSize, ReadExt};
use commonware_cryptography::bls12381::{
    dkg::deal_anonymous,
    primitives::{
        group::{
            Scalar, Share, G1, G1_MESSAGE, G1_PROOF_OF_POSSESSION, G2, G2_MESSAGE,
            G2_PROOF_OF_POSSESSION,
        },
        ops,
        sharing::{Mode, Sharing},
        variant::{MinPk, MinSig, PartialSignature, Variant},
    },
};
use commonware_math::{
    algebra::{Additive, CryptoGroup, HashToGroup, Random, Ring},
    poly::{Interpolator, Poly},
};
use commonware_utils::{ordered::Map, union_unique, TryCollect};
use core::num::NonZeroU32;
use rand::SeedableRng;
use serde_json::{json, Map as JMap, Value};

const R_HEX: &str = "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001";
const P_HEX: &str = "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab";

/// Scalar from a small integer (>= 1), via the upstream decoder.
pub fn sc(i: u64) -> Scalar {
    let mut b = [0u8; 32];
    b[24..].copy_from_slice(&i.to_be_bytes());
    Scalar::decode(&b[..]).expect("non-zero small scalar")
}

/// Draws a scalar exactly as upstream does (64 bytes of IKM through blst_keygen).
pub fn keygen(ikm: &[u8]) -> Scalar {
    assert_eq!(ikm.len(), 64);
    Scalar::random(&mut FixedRng::new(ikm.to_vec()))
}

/// Splits a `Poly` encoding (varint count || fixed-size items) into item hex strings.
pub fn poly_items(enc: &[u8], item: usize) -> Vec<String> {
    let mut buf = enc;
    let count: u32 = UInt::<u32>::read(&mut buf).expect("count").into();
    assert_eq!(buf.len(), count as usize * item);
    buf.chunks(item).map(h).collect()
}

fn decode_result<T: Decode<Cfg = ()> + Encode>(bytes: &[u8]) -> Value {
    match T::decode(bytes) {
        Ok(v) => json!({"ok": true, "reencoded": h(v.encode())}),
        Err(e) => json!({"ok": false, "error": codec_err(&e)}),
    }
}

fn with_first(mut b: Vec<u8>, f: impl Fn(u8) -> u8) -> Vec<u8> {
    b[0] = f(b[0]);
    b
}

fn variant_name<V: Variant>() -> &'static str {
    if <V::Public as FixedSize>::SIZE == 48 {
        "MinPk"
    } else {
        "MinSig"
    }
}

// ------------------------------------------------------------------------------------------------

fn scalars_and_keygen() {
    let mut st = Stream::new("keygen");
    // keygen: 64-byte IKM -> scalar (blst_keygen / HKDF_mod_r), exactly Scalar::random's draw.
    // First IKM: EIP-2333 derive_master_SK test case 0 seed (its master SK is asserted below).
    let eip2333_seed = unhex("c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04");
    assert_eq!(
        h(keygen(&eip2333_seed).encode()),
        "0d7359d57963ab8fbbde1852dcf553fedbc31f464d80ee7d40ae683122b45070",
        "blst_keygen == EIP-2333 HKDF_mod_r"
    );
    let mut ikms: Vec<Vec<u8>> = vec![eip2333_seed, vec![0u8; 64], vec![0xffu8; 64], (0..64u8).collect()];
    for _ in 0..12 {
        ikms.push(st.bytes(64));
    }
    let keygen_cases: Vec<Value> = ikms
        .iter()
        .map(|ikm| json!({"ikm": h(ikm), "scalar": h(keygen(ikm).encode())}))
        .collect();

    // A stream of several scalars from one RNG: consecutive 64-byte chunks.
    let stream = st.bytes(64 * 4);
    let mut rng = FixedRng::new(stream.clone());
    let seq: Vec<String> = (0..4).map(|_| h(Scalar::random(&mut rng).encode())).collect();

    let mut body = JMap::new();
    body.insert(
        "keygen".into(),
        json!(keygen_cases),
    );
    body.insert(
        "sequence".into(),
        json!({"rng": h(&stream), "scalars": seq}),
    );
    write_fixture(
        "primitives",
        "keygen",
        upstream_0064(),
        "Scalar::random: 64 bytes from the RNG as IKM to blst_keygen (IETF KeyGen / EIP-2333 HKDF_mod_r, empty key_info). `sequence`: 4 scalars drawn in order from one RNG stream (64 bytes each).",
        body,
    );

    // scalar encodings
    let mut valid = vec![];
    let r_minus_1 = {
        let mut b = unhex(R_HEX);
        b[31] -= 1;
        b
    };
    for (why, bytes) in [
        ("one", sc(1).encode().to_vec()),
        ("two", sc(2).encode().to_vec()),
        ("2^64-1", sc(u64::MAX).encode().to_vec()),
        ("r-1", r_minus_1.clone()),
    ] {
        let s = Scalar::decode(&bytes[..]).expect("valid");
        assert_eq!(s.encode().to_vec(), bytes);
        valid.push(json!({"why": why, "hex": h(&bytes)}));
    }
    for i in 0..4 {
        let s = keygen(&st.bytes(64));
        valid.push(json!({"why": format!("random {i}"), "hex": h(s.encode())}));
    }
    let mut invalid = vec![];
    let mut r_plus_1 = unhex(R_HEX);
    r_plus_1[31] += 1;
    for (why, bytes) in [
        ("zero", vec![0u8; 32]),
        ("r (the group order)", unhex(R_HEX)),
        ("r+1", r_plus_1),
        ("2^256-1", vec![0xffu8; 32]),
        ("truncated (31 bytes)", r_minus_1[..31].to_vec()),
        ("trailing byte (33 bytes)", [sc(1).encode().to_vec(), vec![0]].concat()),
    ] {
        let err = Scalar::decode(&bytes[..]).expect_err("must be rejected");
        invalid.push(json!({"why": why, "hex": h(&bytes), "error": codec_err(&err)}));
    }
    let mut body = JMap::new();
    body.insert("order_r".into(), json!(R_HEX));
    body.insert("valid".into(), json!(valid));
    body.insert("invalid".into(), json!(invalid));
    write_fixture(
        "primitives",
        "scalars",
        upstream_0064(),
        "BLS12-381 scalar (Private) codec: 32-byte big-endian; decode rejects 0 and values >= r (blst_sk_check)",
        body,
    );
}

// ------------------------------------------------------------------------------------------------

fn points() {
    let mut st = Stream::new("points");
    let mut body = JMap::new();

    // ---- G1 ----
    let mut valid = vec![];
    let g = G1::generator();
    valid.push(json!({"why": "generator", "scalar": h(sc(1).encode()), "hex": h(g.encode())}));
    for k in [2u64, 3, 7] {
        let p = g * &sc(k);
        valid.push(json!({"why": format!("generator*{k}"), "scalar": h(sc(k).encode()), "hex": h(p.encode())}));
    }
    for i in 0..3 {
        let k = keygen(&st.bytes(64));
        let p = g * &k;
        valid.push(json!({"why": format!("generator*random{i}"), "scalar": h(k.encode()), "hex": h(p.encode())}));
    }
    let neg = with_first(g.encode().to_vec(), |b| b ^ 0x20);
    let negp = G1::decode(&neg[..]).expect("negated generator decodes");
    assert_eq!(negp, -g);
    valid.push(json!({"why": "negated generator (sign bit flipped)", "scalar": null, "hex": h(&neg)}));
    for v in &valid {
        let b = unhex(v["hex"].as_str().unwrap());
        assert_eq!(G1::decode(&b[..]).expect("valid").encode().to_vec(), b);
    }

    let gen = g.encode().to_vec();
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("infinity (c0 00..)".into(), [vec![0xc0], vec![0; 47]].concat()),
        ("infinity with sign bit (e0 00..)".into(), [vec![0xe0], vec![0; 47]].concat()),
        ("infinity flag with non-zero x".into(), [vec![0xc0], vec![0; 46], vec![1]].concat()),
        ("all zero (compression flag missing)".into(), vec![0; 48]),
        ("generator without compression flag".into(), with_first(gen.clone(), |b| b & 0x7f)),
        ("generator with infinity flag set".into(), with_first(gen.clone(), |b| b | 0x40)),
        ("x = p".into(), with_first(unhex(P_HEX), |b| b | 0x80)),
        ("x = p + 1".into(), {
            let mut b = with_first(unhex(P_HEX), |b| b | 0x80);
            b[47] += 1;
            b
        }),
        ("x = 2^381 - 1".into(), [vec![0x9f], vec![0xff; 47]].concat()),
        ("truncated (47 bytes)".into(), gen[..47].to_vec()),
        ("trailing byte (49 bytes)".into(), [gen.clone(), vec![0]].concat()),
    ];
    for x in 0u8..=12 {
        let mut b = vec![0u8; 48];
        b[0] = 0x80;
        b[47] = x;
        cases.push((format!("small x = {x}, sign 0"), b.clone()));
        if x == 0 || x == 1 {
            b[0] |= 0x20;
            cases.push((format!("small x = {x}, sign 1"), b));
        }
    }
    let decode: Vec<Value> = cases
        .iter()
        .map(|(why, b)| json!({"why": why, "hex": h(b), "result": decode_result::<G1>(b)}))
        .collect();
    body.insert("g1".into(), json!({"valid": valid, "decode": decode}));

    // ---- G2 ----
    let mut valid = vec![];
    let g = G2::generator();
    valid.push(json!({"why": "generator", "scalar": h(sc(1).encode()), "hex": h(g.encode())}));
    for k in [2u64, 3, 7] {
        let p = g * &sc(k);
        valid.push(json!({"why": format!("generator*{k}"), "scalar": h(sc(k).encode()), "hex": h(p.encode())}));
    }
    for i in 0..3 {
        let k = keygen(&st.bytes(64));
        let p = g * &k;
        valid.push(json!({"why": format!("generator*random{i}"), "scalar": h(k.encode()), "hex": h(p.encode())}));
    }
    let neg = with_first(g.encode().to_vec(), |b| b ^ 0x20);
    let negp = G2::decode(&neg[..]).expect("negated generator decodes");
    assert_eq!(negp, -g);
    valid.push(json!({"why": "negated generator (sign bit flipped)", "scalar": null, "hex": h(&neg)}));
    for v in &valid {
        let b = unhex(v["hex"].as_str().unwrap());
        assert_eq!(G2::decode(&b[..]).expect("valid").encode().to_vec(), b);
    }
    let gen = g.encode().to_vec();
    let p = unhex(P_HEX);
    let fp = |v: u8| {
        let mut b = vec![0u8; 48];
        b[47] = v;
        b
    };
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("infinity (c0 00..)".into(), [vec![0xc0], vec![0; 95]].concat()),
        ("infinity with sign bit (e0 00..)".into(), [vec![0xe0], vec![0; 95]].concat()),
        ("infinity flag with non-zero x".into(), [vec![0xc0], vec![0; 94], vec![1]].concat()),
        ("all zero (compression flag missing)".into(), vec![0; 96]),
        ("generator without compression flag".into(), with_first(gen.clone(), |b| b & 0x7f)),
        ("generator with infinity flag set".into(), with_first(gen.clone(), |b| b | 0x40)),
        ("x.c1 = p (first limb >= p)".into(), [with_first(p.clone(), |b| b | 0x80), fp(1)].concat()),
        ("x.c0 = p (second limb >= p)".into(), [with_first(fp(1), |b| b | 0x80), p.clone()].concat()),
        ("x.c1 = 2^381 - 1".into(), [vec![0x9f], vec![0xff; 47], fp(0)].concat()),
        ("generator, c0 limb replaced by p".into(), [gen[..48].to_vec(), p.clone()].concat()),
        ("truncated (95 bytes)".into(), gen[..95].to_vec()),
        ("trailing byte (97 bytes)".into(), [gen.clone(), vec![0]].concat()),
    ];
    for c0 in 0u8..=8 {
        for c1 in [0u8, 1] {
            let b = [with_first(fp(c1), |b| b | 0x80), fp(c0)].concat();
            cases.push((format!("small x = (c1 {c1}, c0 {c0}), sign 0"), b));
        }
    }
    let decode: Vec<Value> = cases
        .iter()
        .map(|(why, b)| json!({"why": why, "hex": h(b), "result": decode_result::<G2>(b)}))
        .collect();
    body.insert("g2".into(), json!({"valid": valid, "decode": decode}));
    body.insert("field_modulus_p".into(), json!(P_HEX));
    write_fixture(
        "primitives",
        "points",
        upstream_0064(),
        "BLS12-381 G1 (48 B) / G2 (96 B, c1 limb first) compressed encodings. valid: scalar*generator = hex. decode: arbitrary byte strings and the upstream decode result (ok + re-encoding, or the codec error: blst BAD_ENCODING / Not on curve, commonware Infinity / Outside G1|G2, EndOfBuffer, ExtraData)",
        body,
    );
}

// ------------------------------------------------------------------------------------------------

fn hash_to_curve() {
    let msgs: Vec<Vec<u8>> = vec![
        vec![],
        b"abc".to_vec(),
        b"abcdef0123456789".to_vec(),
        [b"q128_".to_vec(), vec![b'q'; 128]].concat(),
        union_unique(b"TEMPO_SEED", &unhex("0001")),
        union_unique(
            b"TEMPO_FINALIZE",
            &unhex("0001000000000000000000000000000000000000000000000000000000000000000001"),
        ),
    ];
    let mut cases = vec![];
    for (group, dst) in [
        ("G1", G1_MESSAGE),
        ("G1", G1_PROOF_OF_POSSESSION),
        ("G2", G2_MESSAGE),
        ("G2", G2_PROOF_OF_POSSESSION),
    ] {
        for m in &msgs {
            let point = if group == "G1" {
                h(G1::hash_to_group(dst, m).encode())
            } else {
                h(G2::hash_to_group(dst, m).encode())
            };
            cases.push(json!({
                "group": group,
                "dst": String::from_utf8(dst.to_vec()).unwrap(),
                "message": h(m),
                "point": point,
            }));
        }
    }
    let mut body = JMap::new();
    body.insert(
        "dsts".into(),
        json!({
            "MinSig.MESSAGE (G1)": String::from_utf8(G1_MESSAGE.to_vec()).unwrap(),
            "MinSig.PROOF_OF_POSSESSION (G1)": String::from_utf8(G1_PROOF_OF_POSSESSION.to_vec()).unwrap(),
            "MinPk.MESSAGE (G2)": String::from_utf8(G2_MESSAGE.to_vec()).unwrap(),
            "MinPk.PROOF_OF_POSSESSION (G2)": String::from_utf8(G2_PROOF_OF_POSSESSION.to_vec()).unwrap(),
        }),
    );
    body.insert("cases".into(), json!(cases));
    write_fixture(
        "primitives",
        "hash_to_curve",
        upstream_0064(),
        "hash-to-curve (blst_hash_to_g1/g2, RFC 9380 SSWU RO, empty aug) with the commonware _POP_ DSTs. message is the exact input (already union_unique-framed where applicable)",
        body,
    );
}

// ------------------------------------------------------------------------------------------------

fn signatures_for<V: Variant>(st: &mut Stream) -> Vec<Value> {
    let mut out = vec![];
    let nss: Vec<Option<&[u8]>> = vec![None, Some(b""), Some(b"TEMPO_FINALIZE"), Some(b"_COMMONWARE_EXAMPLES_RESHARE")];
    let msgs: Vec<Vec<u8>> = vec![vec![], b"hello world".to_vec(), st.bytes(40)];
    let mut keys = vec![];
    for _ in 0..2 {
        let ikm = st.bytes(64);
        let sk = keygen(&ikm);
        let pk = ops::compute_public::<V>(&sk);
        keys.push((ikm, sk, pk));
    }
    for (ki, (ikm, sk, pk)) in keys.iter().enumerate() {
        let pop = ops::sign_proof_of_possession::<V>(sk);
        assert!(ops::verify_proof_of_possession::<V>(pk, &pop).is_ok());
        out.push(json!({
            "kind": "proof_of_possession",
            "variant": variant_name::<V>(),
            "ikm": h(ikm),
            "private": h(sk.encode()),
            "public": h(pk.encode()),
            "namespace": null,
            "message": h(pk.encode()),
            "payload": h(pk.encode()),
            "dst": String::from_utf8(V::PROOF_OF_POSSESSION.to_vec()).unwrap(),
            "signature": h(pop.encode()),
            "verify": true,
        }));
        for ns in &nss {
            for m in &msgs {
                let sig = ops::sign_message::<V>(sk, *ns, m);
                let ok = ops::verify_message::<V>(pk, *ns, m, &sig).is_ok();
                assert!(ok);
                let payload = ns.map_or(m.clone(), |ns| union_unique(ns, m));
                out.push(json!({
                    "kind": "message",
                    "variant": variant_name::<V>(),
                    "ikm": h(ikm),
                    "private": h(sk.encode()),
                    "public": h(pk.encode()),
                    "namespace": ns.map(h),
                    "message": h(m),
                    "payload": h(&payload),
                    "dst": String::from_utf8(V::MESSAGE.to_vec()).unwrap(),
                    "signature": h(sig.encode()),
                    "verify": ok,
                }));
            }
        }
        // negative verifications
        let m = &msgs[1];
        let ns: Option<&[u8]> = Some(b"TEMPO_FINALIZE");
        let sig = ops::sign_message::<V>(sk, ns, m);
        let other_pk = &keys[(ki + 1) % keys.len()].2;
        let negatives: Vec<(&str, &V::Public, Option<&[u8]>, Vec<u8>)> = vec![
            ("wrong message", pk, ns, b"hello worle".to_vec()),
            ("wrong namespace", pk, Some(b"TEMPO_NOTARIZE"), m.clone()),
            ("namespace None instead of Some", pk, None, m.clone()),
            ("wrong public key", other_pk, ns, m.clone()),
        ];
        for (why, vpk, vns, vm) in negatives {
            let ok = ops::verify_message::<V>(vpk, vns, &vm, &sig).is_ok();
            assert!(!ok);
            out.push(json!({
                "kind": "verify_negative",
                "why": why,
                "variant": variant_name::<V>(),
                "public": h(vpk.encode()),
                "namespace": vns.map(h),
                "message": h(&vm),
                "dst": String::from_utf8(V::MESSAGE.to_vec()).unwrap(),
                "signature": h(sig.encode()),
                "verify": ok,
            }));
        }
    }
    out
}

fn signatures() {
    let mut st = Stream::new("bls-signatures");
    let mut cases = signatures_for::<MinSig>(&mut st);
    cases.extend(signatures_for::<MinPk>(&mut st));
    let mut body = JMap::new();
    body.insert("cases".into(), json!(cases));
    write_fixture(
        "primitives",
        "bls_signatures",
        upstream_0064(),
        "BLS signatures. MinSig: public G2 / signature G1; MinPk: public G1 / signature G2. private = keygen(ikm). kind=message: ops::sign_message(private, namespace, message) (namespace null = None: payload is the raw message; otherwise payload = union_unique(namespace, message)); signature = hash(dst, payload) * private. kind=proof_of_possession: signs encode(public) with the POP DST. kind=verify_negative: ops::verify_message result for a mismatched input.",
        body,
    );
}

// ------------------------------------------------------------------------------------------------

fn polys() {
    let mut st = Stream::new("poly");
    let mut cases = vec![];
    for degree in [0u32, 1, 2, 3, 6] {
        let rng_bytes = st.bytes(64 * (degree as usize + 1));
        let mut rng = FixedRng::new(rng_bytes.clone());
        let p = Poly::<Scalar>::new(&mut rng, degree);
        let enc = p.encode();
        let c1 = Poly::<G1>::commit(p.clone());
        let c2 = Poly::<G2>::commit(p.clone());
        // decode round trips
        let cfg_n = NonZeroU32::new(degree + 1).unwrap();
        let back = Poly::<Scalar>::decode_cfg(enc.as_ref(), &((NonZeroU32::new(1).unwrap()..=cfg_n).into(), ())).unwrap();
        assert!(back == p);
        let mut evals = vec![];
        let mut xs: Vec<u64> = (1..=5).collect();
        xs.push(1000);
        xs.push(u64::MAX);
        for x in xs {
            let xs_ = sc(x);
            let v = p.eval(&xs_);
            assert_eq!(v, p.eval_msm(&xs_));
            let e1 = c1.eval(&xs_);
            let e2 = c2.eval(&xs_);
            assert_eq!(e1, G1::generator() * &v);
            assert_eq!(e2, G2::generator() * &v);
            evals.push(json!({
                "x": x.to_string(),
                "x_scalar": h(xs_.encode()),
                "value": h(v.encode()),
                "commitment_g1": h(e1.encode()),
                "commitment_g2": h(e2.encode()),
            }));
        }
        cases.push(json!({
            "degree": degree,
            "rng": h(&rng_bytes),
            "coefficients": poly_items(&enc, 32),
            "hex": h(&enc),
            "commitment_g1": {"coefficients": poly_items(&c1.encode(), 48), "hex": h(c1.encode())},
            "commitment_g2": {"coefficients": poly_items(&c2.encode(), 96), "hex": h(c2.encode())},
            "evaluations": evals,
        }));
    }

    // invalid poly encodings (Poly<G2> read with cfg max = 3)
    let max = NonZeroU32::new(3).unwrap();
    let g2 = G2::generator().encode().to_vec();
    let g2b = (G2::generator() * &sc(2)).encode().to_vec();
    let inf = [vec![0xc0u8], vec![0; 95]].concat();
    let mut invalid = vec![];
    for (why, bytes) in [
        ("zero coefficients", vec![0u8]),
        ("4 coefficients, max 3", [vec![4u8], g2.clone(), g2b.clone(), g2.clone(), g2b.clone()].concat()),
        ("identity coefficient", [vec![2u8], g2.clone(), inf.clone()].concat()),
        ("count 2, one coefficient", [vec![2u8], g2.clone()].concat()),
        ("trailing byte", [vec![1u8], g2.clone(), vec![0]].concat()),
    ] {
        let err = Poly::<G2>::decode_cfg(&bytes[..], &((NonZeroU32::new(1).unwrap()..=max).into(), ())).expect_err("invalid");
        invalid.push(json!({"why": why, "element": "G2", "max": 3, "hex": h(&bytes), "error": codec_err(&err)}));
    }
    let mut body = JMap::new();
    body.insert("cases".into(), json!(cases));
    body.insert("invalid".into(), json!(invalid));
    write_fixture(
        "primitives",
        "poly",
        upstream_0064(),
        "Polynomials: Poly::<Scalar>::new(rng, degree) draws degree+1 coefficients c0..cd with Scalar::random (64 rng bytes each, `rng` is the exact byte stream). Encoding = NonEmptyVec = varint(count) || items. Commitments: coefficient-wise generator*c (G1 for MinPk publics, G2 for MinSig publics). evaluations at x (decimal u64) for the scalar poly and both commitments. invalid: Poly<G2> decoded with RangeCfg 1..=max",
        body,
    );
}

// ------------------------------------------------------------------------------------------------

fn sharing_case<V: Variant>(n: u32, seed: u64) -> (Value, Sharing<V>, Vec<Share>) {
    let mut rng = RecordingRng::new(rand::rngs::StdRng::seed_from_u64(seed));
    let (sharing, shares) = deal_anonymous::<V>(&mut rng, Mode::default(), NonZeroU32::new(n).unwrap());
    let enc = sharing.encode();
    let back = Sharing::<V>::decode_cfg(enc.as_ref(), &NonZeroU32::new(n).unwrap()).unwrap();
    assert_eq!(back, sharing);
    let pt = <V::Public as FixedSize>::SIZE;
    let poly_hex = &enc[5..];
    let partial_publics: Vec<String> = (0..n)
        .map(|i| h(sharing.partial_public(i).unwrap().encode()))
        .collect();
    let share_json: Vec<Value> = shares
        .iter()
        .map(|s| {
            let e = s.encode();
            assert_eq!(Share::decode(e.as_ref()).unwrap(), *s);
            assert_eq!(s.public::<V>(), sharing.partial_public(s.index).unwrap());
            json!({
                "index": s.index,
                "private": h(s.private.encode()),
                "hex": h(&e),
                "public": h(s.public::<V>().encode()),
            })
        })
        .collect();
    let v = json!({
        "variant": variant_name::<V>(),
        "n": n,
        "rng": h(&rng.taken),
        "mode": 0,
        "total": sharing.total().get(),
        "required": sharing.required(),
        "public": h(sharing.public().encode()),
        "poly": {"coefficients": poly_items(poly_hex, pt), "hex": h(poly_hex)},
        "hex": h(&enc),
        "partial_publics": partial_publics,
        "shares": share_json,
    });
    (v, sharing, shares)
}

fn sharings_and_threshold() {
    let mut cases = vec![];
    for n in [1u32, 4, 7, 10] {
        cases.push(sharing_case::<MinSig>(n, 100 + n as u64).0);
        cases.push(sharing_case::<MinPk>(n, 200 + n as u64).0);
    }
    // invalid sharing encodings (MinSig, cfg max = 4)
    let (_, sharing, _) = sharing_case::<MinSig>(4, 104);
    let enc = sharing.encode().to_vec();
    let max = NonZeroU32::new(4).unwrap();
    let mut invalid = vec![];
    let mut mutate = |why: &str, b: Vec<u8>, max: NonZeroU32| {
        let err = Sharing::<MinSig>::decode_cfg(&b[..], &max).expect_err("invalid sharing");
        invalid.push(json!({"why": why, "variant": "MinSig", "max": max.get(), "hex": h(&b), "error": codec_err(&err)}));
    };
    let mut b = enc.clone();
    b[0] = 1;
    mutate("mode 1 (unknown)", b, max);
    let mut b = enc.clone();
    b[1..5].copy_from_slice(&0u32.to_be_bytes());
    mutate("total 0", b, max);
    mutate("total 4 above max 3", enc.clone(), NonZeroU32::new(3).unwrap());
    mutate("poly with 3 coefficients above max 2 (total checked first: use total 2)", {
        let mut b = enc.clone();
        b[1..5].copy_from_slice(&2u32.to_be_bytes());
        b
    }, NonZeroU32::new(2).unwrap());
    mutate("empty poly", enc[..5].iter().copied().chain([0u8]).collect(), max);
    mutate("trailing byte", [enc.clone(), vec![0]].concat(), max);
    let mut body = JMap::new();
    body.insert("cases".into(), json!(cases));
    body.insert("invalid".into(), json!(invalid));
    write_fixture(
        "primitives",
        "sharing",
        upstream_0064(),
        "Sharings from dkg::deal_anonymous(rng, Mode::NonZeroCounter, n): Sharing encoding = mode u8 || total u32 BE || Poly<V::Public>. required = quorum(n). partial_publics[i] = poly evaluated at x = i+1. shares: Share encoding = varint(index) || 32-byte scalar; public = generator*private (in V::Public). rng = exact bytes deal consumed (Poly::new then Summary::random). invalid: Sharing::decode_cfg(max) errors",
        body,
    );

    // ---- partial signatures and threshold recovery ----
    let mut tcases = vec![];
    tcases.extend(threshold_for::<MinSig>(4, 104));
    tcases.extend(threshold_for::<MinSig>(7, 107));
    tcases.extend(threshold_for::<MinPk>(4, 204));
    tcases.extend(threshold_for::<MinPk>(7, 207));
    let mut body = JMap::new();
    body.insert("cases".into(), json!(tcases));
    write_fixture(
        "primitives",
        "threshold",
        upstream_0064(),
        "Threshold signatures over the sharings of sharing.json (same variant, n and seed => identical sharing hex, repeated here). partials: ops::partial_sign_message(share, namespace, message); PartialSignature encoding = varint(index) || V::Signature. recoveries: ops::threshold_signature_recover(sharing, partials with the given indices, in the given order) -> sorts by index, dedups, keeps the lowest `required` indices; Lagrange weights at 0 with x = index+1 (`weights`, for the indices actually used). verify = ops::verify_message(sharing.public, namespace, message, recovered).",
        body,
    );
}

fn threshold_for<V: Variant>(n: u32, seed: u64) -> Vec<Value> {
    let (_, sharing, shares) = sharing_case::<V>(n, seed);
    let t = sharing.required();
    let mut out = vec![];
    for (ns, msg) in [
        (Some(b"TEMPO_FINALIZE".as_slice()), b"finalize me".as_slice()),
        (None, b"raw message".as_slice()),
    ] {
        let partials: Vec<PartialSignature<V>> = shares
            .iter()
            .map(|s| ops::partial_sign_message::<V>(s, ns, msg))
            .collect();
        let partial_json: Vec<Value> = partials
            .iter()
            .map(|p| {
                let ok = ops::partial_verify_message::<V>(&sharing, ns, msg, p).is_ok();
                assert!(ok);
                json!({"index": p.index, "signature": h(p.value.encode()), "hex": h(p.encode()), "verify": ok})
            })
            .collect();
        // a partial over a different message, to show recovery does not verify
        let bad = ops::partial_sign_message::<V>(&shares[0], ns, b"other message");
        let mut subsets: Vec<(String, Vec<PartialSignature<V>>)> = vec![];
        let idx = |is: &[u32]| -> Vec<PartialSignature<V>> {
            is.iter().map(|&i| partials[i as usize].clone()).collect()
        };
        let first: Vec<u32> = (0..t).collect();
        let last: Vec<u32> = (n - t..n).collect();
        subsets.push(("lowest t".into(), idx(&first)));
        subsets.push(("highest t".into(), idx(&last)));
        if n > t {
            let mut alt: Vec<u32> = (0..n).filter(|i| i % 2 == 1).chain((0..n).filter(|i| i % 2 == 0)).take(t as usize).collect();
            alt.reverse();
            subsets.push(("mixed t, unsorted input".into(), idx(&alt)));
        }
        subsets.push(("all n (lowest t used)".into(), idx(&(0..n).rev().collect::<Vec<_>>())));
        if t > 1 {
            subsets.push(("t-1 (not enough)".into(), idx(&first[..(t - 1) as usize])));
            let mut dup = idx(&first[..(t - 1) as usize]);
            dup.push(partials[0].clone());
            subsets.push(("t entries but a duplicate index (not enough)".into(), dup));
        }
        let mut with_bad = vec![bad.clone()];
        with_bad.extend(idx(&first[1..]));
        subsets.push(("lowest t with index 0 signing another message".into(), with_bad));
        let mut recov = vec![];
        for (why, ps) in subsets {
            let used: Vec<u32> = {
                let mut v: Vec<u32> = ps.iter().map(|p| p.index).collect();
                v.sort();
                v.dedup();
                v.truncate(t as usize);
                v
            };
            let weights = if used.len() == t as usize {
                lagrange_weights(&used)
            } else {
                vec![]
            };
            let res = match ops::threshold_signature_recover::<V, _>(&sharing, ps.iter()) {
                Ok(sig) => {
                    let ok = ops::verify_message::<V>(sharing.public(), ns, msg, &sig).is_ok();
                    json!({"ok": true, "signature": h(sig.encode()), "verify": ok})
                }
                Err(e) => json!({"ok": false, "error": format!("{e:?}"), "display": e.to_string()}),
            };
            recov.push(json!({
                "why": why,
                "partials": ps.iter().map(|p| json!({"index": p.index, "signature": h(p.value.encode())})).collect::<Vec<_>>(),
                "used_indices": used,
                "weights": weights,
                "result": res,
            }));
        }
        out.push(json!({
            "variant": variant_name::<V>(),
            "n": n,
            "required": t,
            "sharing": h(sharing.encode()),
            "public": h(sharing.public().encode()),
            "namespace": ns.map(h),
            "message": h(msg),
            "partials": partial_json,
            "recoveries": recov,
        }));
    }
    out
}

/// Lagrange basis weights at 0 for x = index + 1, via upstream's Interpolator.
pub fn lagrange_weights(indices: &[u32]) -> Vec<Value> {
    let interp = Interpolator::new(indices.iter().map(|&i| (i, sc(i as u64 + 1))));
    indices
        .iter()
        .map(|&i| {
            let evals: Map<u32, Scalar> = indices
                .iter()
                .map(|&j| (j, if j == i { Scalar::one() } else { Scalar::zero() }))
                .try_collect()
                .unwrap();
            let w = interp.interpolate(&evals, 1).unwrap();
            json!({"index": i, "weight": h(w.encode())})
        })
        .collect()
}

pub fn generate() {
    scalars_and_keygen();
    points();
    hash_to_curve();
    signatures();
    polys();
    sharings_and_threshold();
}
