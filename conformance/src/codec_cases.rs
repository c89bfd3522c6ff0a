//! primitives/codec.json and primitives/union_unique.json (commonware-codec / -utils 0.0.64).

use crate::util::{codec_err, h, upstream_0064, write_fixture};
use bytes::Bytes;
use commonware_codec::{
    varint::{SInt, UInt},
    Decode, Encode, RangeCfg,
};
use commonware_utils::{
    ordered::{Map, Set},
    union_unique,
    vec::NonEmptyVec,
};
use core::num::NonZeroUsize;
use serde_json::{json, Map as JMap, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

struct Cases {
    valid: Vec<Value>,
    invalid: Vec<Value>,
}

impl Cases {
    fn valid<T>(&mut self, ty: &str, value: Value, v: T, cfg: &T::Cfg, cfg_json: Value)
    where
        T: Encode + Decode + PartialEq + Debug,
    {
        let enc = v.encode();
        let back = T::decode_cfg(enc.as_ref(), cfg)
            .unwrap_or_else(|e| panic!("{ty}: {v:?} does not round trip: {e}"));
        assert_eq!(back, v, "{ty} round trip");
        self.valid.push(json!({
            "type": ty,
            "value": value,
            "cfg": cfg_json,
            "hex": h(&enc),
        }));
    }

    fn invalid<T>(&mut self, ty: &str, cfg: &T::Cfg, cfg_json: Value, bytes: &[u8], why: &str)
    where
        T: Decode + Debug,
    {
        let err = match T::decode_cfg(bytes, cfg) {
            Ok(v) => panic!("{ty}: expected {why} to fail, got {v:?}"),
            Err(e) => e,
        };
        self.invalid.push(json!({
            "type": ty,
            "cfg": cfg_json,
            "hex": h(bytes),
            "why": why,
            "error": codec_err(&err),
        }));
    }
}

fn s(x: impl ToString) -> Value {
    json!(x.to_string())
}

fn unbounded() -> RangeCfg<usize> {
    RangeCfg::new(..)
}

fn range_json(min: usize, max: Option<usize>) -> Value {
    json!({"min": min, "max": max})
}

pub fn generate() {
    let mut c = Cases {
        valid: vec![],
        invalid: vec![],
    };
    let none = Value::Null;

    // ---- fixed-width integers (big-endian) ----
    for v in [0u8, 1, 0x7f, 0x80, 0xff] {
        c.valid("u8", s(v), v, &(), none.clone());
    }
    for v in [0u16, 1, 0x1234, 0xff00, u16::MAX] {
        c.valid("u16", s(v), v, &(), none.clone());
    }
    for v in [0u32, 1, 0x01020304, 0x80000000, u32::MAX] {
        c.valid("u32", s(v), v, &(), none.clone());
    }
    for v in [0u64, 1, 0x0102030405060708, 1u64 << 53, (1u64 << 53) + 1, u64::MAX] {
        c.valid("u64", s(v), v, &(), none.clone());
    }
    for v in [0u128, 1, 0x0102030405060708090a0b0c0d0e0f10, u128::MAX] {
        c.valid("u128", s(v), v, &(), none.clone());
    }
    for v in [0i8, 1, -1, i8::MIN, i8::MAX] {
        c.valid("i8", s(v), v, &(), none.clone());
    }
    for v in [0i16, -1, -2, i16::MIN, i16::MAX] {
        c.valid("i16", s(v), v, &(), none.clone());
    }
    for v in [0i32, -1, 0x01020304, i32::MIN, i32::MAX] {
        c.valid("i32", s(v), v, &(), none.clone());
    }
    for v in [0i64, -1, i64::MIN, i64::MAX] {
        c.valid("i64", s(v), v, &(), none.clone());
    }
    for v in [0i128, -1, i128::MIN, i128::MAX] {
        c.valid("i128", s(v), v, &(), none.clone());
    }

    // ---- unsigned varints (LEB128, canonical only) ----
    let u16s: Vec<u16> = vec![0, 1, 127, 128, 255, 256, 16383, 16384, u16::MAX];
    for v in u16s {
        c.valid("varint_u16", s(v), UInt(v), &(), none.clone());
    }
    let u32s: Vec<u32> = vec![
        0,
        1,
        127,
        128,
        255,
        300,
        16383,
        16384,
        2097151,
        2097152,
        268435455,
        268435456,
        u32::MAX,
    ];
    for v in u32s {
        c.valid("varint_u32", s(v), UInt(v), &(), none.clone());
    }
    let mut u64s: Vec<u64> = vec![0, 1, 127, 128, 16383, 16384, u32::MAX as u64, 1u64 << 32];
    for k in [35u32, 42, 49, 53, 56, 63] {
        u64s.push((1u64 << k) - 1);
        u64s.push(1u64 << k);
    }
    u64s.push(u64::MAX);
    for v in u64s {
        c.valid("varint_u64", s(v), UInt(v), &(), none.clone());
    }
    for v in [0u128, 127, 128, u64::MAX as u128, (u64::MAX as u128) + 1, u128::MAX] {
        c.valid("varint_u128", s(v), UInt(v), &(), none.clone());
    }
    // ---- signed varints (ZigZag then LEB128) ----
    for v in [0i32, -1, 1, -2, 2, -64, 63, -65, 64, i32::MIN, i32::MAX] {
        c.valid("varint_i32", s(v), SInt(v), &(), none.clone());
    }
    for v in [0i64, -1, 1, i64::MIN, i64::MAX] {
        c.valid("varint_i64", s(v), SInt(v), &(), none.clone());
    }

    // ---- usize: varint of a u32, bounded by a RangeCfg on read ----
    for v in [0usize, 1, 127, 128, 16384, u32::MAX as usize] {
        c.valid("usize", s(v), v, &unbounded(), range_json(0, None));
    }

    // ---- bool ----
    c.valid("bool", json!(false), false, &(), none.clone());
    c.valid("bool", json!(true), true, &(), none.clone());

    // ---- [u8; N] ----
    c.valid("bytes4", json!("deadbeef"), [0xdeu8, 0xad, 0xbe, 0xef], &(), none.clone());

    // ---- Option<T> ----
    c.valid("option_u16", Value::Null, None::<u16>, &(), none.clone());
    c.valid("option_u16", s(0x1234), Some(0x1234u16), &(), none.clone());
    c.valid("option_varint_u64", s(300), Some(UInt(300u64)), &(), none.clone());

    // ---- Vec<T> ----
    let vcfg = (unbounded(), ());
    c.valid("vec_u8", json!([]), Vec::<u8>::new(), &vcfg, range_json(0, None));
    c.valid("vec_u8", json!(["1", "2", "3"]), vec![1u8, 2, 3], &vcfg, range_json(0, None));
    c.valid(
        "vec_u16",
        json!(["4660", "43981"]),
        vec![0x1234u16, 0xABCD],
        &vcfg,
        range_json(0, None),
    );
    c.valid(
        "vec_bool",
        json!([true, false, true]),
        vec![true, false, true],
        &vcfg,
        range_json(0, None),
    );
    let long: Vec<u8> = (0..200u32).map(|i| (i * 7) as u8).collect();
    c.valid(
        "vec_u8",
        json!(long.iter().map(|x| x.to_string()).collect::<Vec<_>>()),
        long.clone(),
        &vcfg,
        range_json(0, None),
    );

    // ---- Bytes (varint length + raw) ----
    c.valid("bytes", json!(""), Bytes::new(), &unbounded(), range_json(0, None));
    c.valid("bytes", json!("010203"), Bytes::from_static(&[1, 2, 3]), &unbounded(), range_json(0, None));
    let b300 = Bytes::from(vec![0xabu8; 300]);
    c.valid("bytes", json!(h(&b300)), b300, &unbounded(), range_json(0, None));

    // ---- tuples ----
    c.valid(
        "tuple_option_u16_u8",
        json!(["4660", "255"]),
        (Some(0x1234u16), 0xFFu8),
        &((), ()),
        none.clone(),
    );
    c.valid(
        "tuple_u8_option_u16",
        json!(["255", null]),
        (0xFFu8, None::<u16>),
        &((), ()),
        none.clone(),
    );
    c.valid(
        "tuple_u32_bool_varint_u64",
        json!(["1", true, "128"]),
        (1u32, true, UInt(128u64)),
        &((), (), ()),
        none.clone(),
    );

    // ---- BTreeMap<u32, u16>: count + interleaved k v, ascending keys ----
    let mcfg = (unbounded(), ((), ()));
    c.valid("btreemap_u32_u16", json!([]), BTreeMap::<u32, u16>::new(), &mcfg, range_json(0, None));
    let m: BTreeMap<u32, u16> = [(1u32, 10u16), (2, 20), (300, 3000)].into_iter().collect();
    c.valid(
        "btreemap_u32_u16",
        json!([["1", "10"], ["2", "20"], ["300", "3000"]]),
        m,
        &mcfg,
        range_json(0, None),
    );

    // ---- BTreeSet<u16> ----
    let scfg = (unbounded(), ());
    let bs: BTreeSet<u16> = [5u16, 1, 300].into_iter().collect();
    c.valid("btreeset_u16", json!(["1", "5", "300"]), bs, &scfg, range_json(0, None));

    // ---- ordered::Set<u32>: like Vec, items strictly ascending ----
    c.valid("set_u32", json!([]), Set::<u32>::from_iter_dedup(vec![]), &scfg, range_json(0, None));
    c.valid(
        "set_u32",
        json!(["1", "2", "4294967295"]),
        Set::from_iter_dedup(vec![u32::MAX, 2u32, 1]),
        &scfg,
        range_json(0, None),
    );

    // ---- ordered::Map<u32, u16>: Set<K> encoding then Vec<V> encoding (NOT interleaved) ----
    let omcfg = (unbounded(), (), ());
    c.valid(
        "map_u32_u16",
        json!([]),
        Map::<u32, u16>::from_iter_dedup(vec![]),
        &omcfg,
        range_json(0, None),
    );
    c.valid(
        "map_u32_u16",
        json!([["1", "10"], ["2", "20"], ["300", "3000"]]),
        Map::from_iter_dedup(vec![(300u32, 3000u16), (1, 10), (2, 20)]),
        &omcfg,
        range_json(0, None),
    );

    // ---- NonEmptyVec<u16>: like Vec, length >= 1 on read ----
    let necfg = (RangeCfg::<NonZeroUsize>::new(..), ());
    c.valid(
        "nonemptyvec_u16",
        json!(["7"]),
        NonEmptyVec::from_unchecked(vec![7u16]),
        &necfg,
        range_json(1, None),
    );
    c.valid(
        "nonemptyvec_u16",
        json!(["1", "2", "65535"]),
        NonEmptyVec::from_unchecked(vec![1u16, 2, 65535]),
        &necfg,
        range_json(1, None),
    );

    // ================= invalid encodings =================
    use crate::util::unhex as x;
    c.invalid::<u8>("u8", &(), none.clone(), &[], "empty buffer");
    c.invalid::<u16>("u16", &(), none.clone(), &x("12"), "truncated");
    c.invalid::<u32>("u32", &(), none.clone(), &x("010203"), "truncated");
    c.invalid::<u64>("u64", &(), none.clone(), &x("01020304050607"), "truncated");
    c.invalid::<u32>("u32", &(), none.clone(), &x("0102030405"), "trailing byte");
    c.invalid::<bool>("bool", &(), none.clone(), &x("02"), "bool byte not 0/1");
    c.invalid::<bool>("bool", &(), none.clone(), &x("ff"), "bool byte not 0/1");
    c.invalid::<bool>("bool", &(), none.clone(), &x("0100"), "trailing byte");

    c.invalid::<UInt<u32>>("varint_u32", &(), none.clone(), &[], "empty buffer");
    c.invalid::<UInt<u32>>("varint_u32", &(), none.clone(), &x("80"), "continuation bit then end of buffer");
    c.invalid::<UInt<u32>>("varint_u32", &(), none.clone(), &x("8000"), "non-canonical: trailing zero byte (0 encoded in 2 bytes)");
    c.invalid::<UInt<u32>>("varint_u32", &(), none.clone(), &x("ff00"), "non-canonical: trailing zero byte");
    c.invalid::<UInt<u32>>("varint_u32", &(), none.clone(), &x("818000"), "non-canonical: trailing zero byte after continuation");
    c.invalid::<UInt<u32>>("varint_u32", &(), none.clone(), &x("ffffffff10"), "overflow: 5th byte carries bit 32");
    c.invalid::<UInt<u32>>("varint_u32", &(), none.clone(), &x("ffffffff1f"), "overflow: 5th byte > 0x0f");
    c.invalid::<UInt<u32>>("varint_u32", &(), none.clone(), &x("ffffffff8f01"), "overflow: continuation bit on 5th byte");
    c.invalid::<UInt<u32>>("varint_u32", &(), none.clone(), &x("0100"), "trailing byte");
    c.invalid::<UInt<u16>>("varint_u16", &(), none.clone(), &x("ffff04"), "overflow: 3rd byte > 0x03");
    c.invalid::<UInt<u64>>("varint_u64", &(), none.clone(), &x("ffffffffffffffffff02"), "overflow: 10th byte > 0x01");
    c.invalid::<UInt<u64>>("varint_u64", &(), none.clone(), &x("ffffffffffffffffff81"), "overflow: continuation bit on 10th byte");
    c.invalid::<UInt<u64>>("varint_u64", &(), none.clone(), &x("808080808080808080"), "end of buffer inside varint");

    c.invalid::<usize>("usize", &unbounded(), range_json(0, None), &x("ffffffff10"), "overflow of the u32 varint");
    c.invalid::<usize>("usize", &RangeCfg::new(0..=10), range_json(0, Some(10)), &x("0b"), "11 outside 0..=10");
    c.invalid::<usize>("usize", &RangeCfg::new(1..=10), range_json(1, Some(10)), &x("00"), "0 outside 1..=10");

    c.invalid::<Option<u16>>("option_u16", &(), none.clone(), &x("021234"), "option tag not 0/1");
    c.invalid::<Option<u16>>("option_u16", &(), none.clone(), &x("0112"), "Some with truncated payload");
    c.invalid::<Option<u16>>("option_u16", &(), none.clone(), &x("0012"), "None followed by trailing byte");

    c.invalid::<Vec<u8>>("vec_u8", &vcfg, range_json(0, None), &x("030102"), "length 3, only 2 items");
    c.invalid::<Vec<u8>>("vec_u8", &(RangeCfg::new(0..=2), ()), range_json(0, Some(2)), &x("03010203"), "length 3 above max 2");
    c.invalid::<Vec<u8>>("vec_u8", &vcfg, range_json(0, None), &x("8001"), "length 128 with no items");
    c.invalid::<Vec<u8>>("vec_u8", &vcfg, range_json(0, None), &x("800000"), "non-canonical length varint");
    c.invalid::<Vec<bool>>("vec_bool", &vcfg, range_json(0, None), &x("020102"), "invalid bool item");
    c.invalid::<Bytes>("bytes", &unbounded(), range_json(0, None), &x("0501020304"), "length 5, only 4 bytes");
    c.invalid::<Bytes>("bytes", &RangeCfg::new(0..=3), range_json(0, Some(3)), &x("0401020304"), "length 4 above max 3");

    c.invalid::<BTreeMap<u32, u16>>("btreemap_u32_u16", &mcfg, range_json(0, None), &x("02000000010001000000010002"), "duplicate key");
    c.invalid::<BTreeMap<u32, u16>>("btreemap_u32_u16", &mcfg, range_json(0, None), &x("02000000020001000000010002"), "keys descending");
    c.invalid::<BTreeMap<u32, u16>>("btreemap_u32_u16", &mcfg, range_json(0, None), &x("020000000100010000000200"), "truncated value");
    c.invalid::<BTreeSet<u16>>("btreeset_u16", &scfg, range_json(0, None), &x("0200050001"), "items descending");
    c.invalid::<BTreeSet<u16>>("btreeset_u16", &scfg, range_json(0, None), &x("0200050005"), "duplicate item");

    c.invalid::<Set<u32>>("set_u32", &scfg, range_json(0, None), &x("020000000200000001"), "unsorted set");
    c.invalid::<Set<u32>>("set_u32", &scfg, range_json(0, None), &x("020000000100000001"), "duplicate item");
    c.invalid::<Set<u32>>("set_u32", &(RangeCfg::new(0..=1), ()), range_json(0, Some(1)), &x("020000000100000002"), "count above max");
    c.invalid::<Map<u32, u16>>("map_u32_u16", &omcfg, range_json(0, None), &x("0200000002000000010200140028"), "unsorted keys");
    c.invalid::<Map<u32, u16>>("map_u32_u16", &omcfg, range_json(0, None), &x("020000000100000002010014"), "1 value for 2 keys");
    c.invalid::<Map<u32, u16>>("map_u32_u16", &omcfg, range_json(0, None), &x("0200000001000000020300140028003c"), "3 values for 2 keys");
    c.invalid::<Map<u32, u16>>("map_u32_u16", &omcfg, range_json(0, None), &x("0200000001000a00000002001400"), "interleaved (BTreeMap-style) encoding is not a Map");
    c.invalid::<NonEmptyVec<u16>>("nonemptyvec_u16", &necfg, range_json(1, None), &x("00"), "empty vector");
    c.invalid::<NonEmptyVec<u16>>("nonemptyvec_u16", &(RangeCfg::<NonZeroUsize>::new(..=NonZeroUsize::new(2).unwrap()), ()), range_json(1, Some(2)), &x("03000100020003"), "count above max");

    let mut body = JMap::new();
    body.insert("valid".into(), json!(c.valid));
    body.insert("invalid".into(), json!(c.invalid));
    write_fixture(
        "primitives",
        "codec",
        upstream_0064(),
        "commonware-codec value encodings (valid: value -> hex, decoded back with decode_cfg) and invalid encodings with the upstream decode_cfg error",
        body,
    );

    // ---- union_unique ----
    let mut cases = vec![];
    let long_ns: Vec<u8> = (0..300u32).map(|i| b'a' + (i % 26) as u8).collect();
    let nss: Vec<Vec<u8>> = vec![
        vec![],
        b"T".to_vec(),
        b"TEMPO".to_vec(),
        b"TEMPO_FINALIZE".to_vec(),
        b"TEMPO_SEED".to_vec(),
        b"_COMMONWARE_CRYPTOGRAPHY_BLS12381_DKG".to_vec(),
        long_ns[..127].to_vec(),
        long_ns[..128].to_vec(),
        long_ns.clone(),
    ];
    let msgs: Vec<Vec<u8>> = vec![vec![], b"hello".to_vec(), vec![0u8; 33]];
    for ns in &nss {
        for msg in &msgs {
            cases.push(json!({
                "namespace": h(ns),
                "message": h(msg),
                "output": h(union_unique(ns, msg)),
            }));
        }
    }
    let mut body = JMap::new();
    body.insert("cases".into(), json!(cases));
    write_fixture(
        "primitives",
        "union_unique",
        upstream_0064(),
        "commonware_utils::union_unique(namespace, message) = varint(len(namespace)) || namespace || message",
        body,
    );
}
