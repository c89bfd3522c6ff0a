//! Small helpers shared by the generators: hex, JSON output, deterministic byte streams.

use serde_json::{json, Map, Value};
use std::path::PathBuf;

/// Lower-case hex without `0x`.
pub fn h(bytes: impl AsRef<[u8]>) -> String {
    hex::encode(bytes.as_ref())
}

pub fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("valid hex literal")
}

/// Root of the fixture tree (`<repo>/test/fixtures`), independent of the working directory.
pub fn fixtures_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("test")
        .join("fixtures")
}

/// Upstream crate versions, recorded in every file header.
pub fn upstream_0064() -> Value {
    json!({
        "commonware-cryptography": "0.0.64",
        "commonware-codec": "0.0.64",
        "commonware-utils": "0.0.64",
        "commonware-math": "0.0.64",
    })
}

pub fn upstream_2026() -> Value {
    json!({
        "commonware-consensus": "2026.7.1",
        "commonware-cryptography": "2026.7.1",
        "commonware-codec": "2026.7.1",
    })
}

/// Writes `<fixtures>/<set>/<name>.json` with a fixed header, pretty-printed, trailing newline.
pub fn write_fixture(set: &str, name: &str, upstream: Value, description: &str, body: Map<String, Value>) {
    let mut root = Map::new();
    root.insert("fixture".into(), json!(format!("{set}/{name}")));
    root.insert("description".into(), json!(description));
    root.insert("upstream".into(), upstream);
    root.insert(
        "generator".into(),
        json!("conformance/ (cargo run --release); do not edit by hand"),
    );
    for (k, v) in body {
        root.insert(k, v);
    }
    let dir = fixtures_root().join(set);
    std::fs::create_dir_all(&dir).expect("create fixture dir");
    let path = dir.join(format!("{name}.json"));
    let mut text = serde_json::to_string_pretty(&Value::Object(root)).expect("serialize");
    text.push('\n');
    std::fs::write(&path, text).expect("write fixture");
    println!("wrote {}", path.display());
}

/// A deterministic byte stream (BLAKE3 XOF of a label) for drawing test inputs.
/// Only used to pick *inputs*; every input drawn is recorded in the fixtures.
pub struct Stream {
    reader: blake3::OutputReader,
}

impl Stream {
    pub fn new(label: &str) -> Self {
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"dkg-stream-conformance/");
        hasher.update(label.as_bytes());
        Self {
            reader: hasher.finalize_xof(),
        }
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out = vec![0u8; n];
        self.reader.fill(&mut out);
        out
    }

    pub fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        self.reader.fill(&mut out);
        out
    }
}

/// An RNG (rand_core 0.6) that replays a fixed byte string and panics when exhausted.
/// Used to feed exact IKM bytes into upstream's `Scalar::random`.
pub struct FixedRng {
    data: Vec<u8>,
    pos: usize,
}

impl FixedRng {
    pub fn new(data: Vec<u8>) -> Self {
        Self { data, pos: 0 }
    }
}

impl rand_core::RngCore for FixedRng {
    fn next_u32(&mut self) -> u32 {
        rand_core::impls::next_u32_via_fill(self)
    }
    fn next_u64(&mut self) -> u64 {
        rand_core::impls::next_u64_via_fill(self)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        let end = self.pos + dest.len();
        assert!(end <= self.data.len(), "FixedRng exhausted");
        dest.copy_from_slice(&self.data[self.pos..end]);
        self.pos = end;
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
impl rand_core::CryptoRng for FixedRng {}

/// Wraps an RNG (rand_core 0.6) and records every byte it hands out.
pub struct RecordingRng<R> {
    pub inner: R,
    pub taken: Vec<u8>,
}

impl<R: rand_core::RngCore> RecordingRng<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            taken: Vec::new(),
        }
    }
}

impl<R: rand_core::RngCore> rand_core::RngCore for RecordingRng<R> {
    fn next_u32(&mut self) -> u32 {
        rand_core::impls::next_u32_via_fill(self)
    }
    fn next_u64(&mut self) -> u64 {
        rand_core::impls::next_u64_via_fill(self)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.inner.fill_bytes(dest);
        self.taken.extend_from_slice(dest);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
impl<R: rand_core::RngCore> rand_core::CryptoRng for RecordingRng<R> {}

/// Converts a commonware-codec 0.0.64 error into a structured JSON value.
pub fn codec_err(e: &commonware_codec::Error) -> Value {
    use commonware_codec::Error as E;
    let mut v = match e {
        E::EndOfBuffer => json!({"kind": "EndOfBuffer"}),
        E::ExtraData(n) => json!({"kind": "ExtraData", "remaining": n}),
        E::InvalidVarint(n) => json!({"kind": "InvalidVarint", "size": n}),
        E::InvalidUsize => json!({"kind": "InvalidUsize"}),
        E::InvalidBool => json!({"kind": "InvalidBool"}),
        E::InvalidEnum(t) => json!({"kind": "InvalidEnum", "tag": t}),
        E::InvalidLength(n) => json!({"kind": "InvalidLength", "length": n}),
        E::Invalid(c, m) => json!({"kind": "Invalid", "context": c, "message": m}),
        E::Wrapped(c, inner) => {
            json!({"kind": "Wrapped", "context": c, "message": inner.to_string()})
        }
    };
    v.as_object_mut()
        .unwrap()
        .insert("display".into(), json!(e.to_string()));
    v
}

/// Same for the commonware-codec 2026.7.1 error type.
pub fn codec_err_2026(e: &commonware_codec_v2026::Error) -> Value {
    use commonware_codec_v2026::Error as E;
    let mut v = match e {
        E::EndOfBuffer => json!({"kind": "EndOfBuffer"}),
        E::ExtraData(n) => json!({"kind": "ExtraData", "remaining": n}),
        E::InvalidVarint(n) => json!({"kind": "InvalidVarint", "size": n}),
        E::InvalidUsize => json!({"kind": "InvalidUsize"}),
        E::InvalidBool => json!({"kind": "InvalidBool"}),
        E::InvalidEnum(t) => json!({"kind": "InvalidEnum", "tag": t}),
        E::InvalidLength(n) => json!({"kind": "InvalidLength", "length": n}),
        E::Invalid(c, m) => json!({"kind": "Invalid", "context": c, "message": m}),
        E::Wrapped(c, inner) => {
            json!({"kind": "Wrapped", "context": c, "message": inner.to_string()})
        }
        #[allow(unreachable_patterns)]
        other => json!({"kind": "Other", "message": other.to_string()}),
    };
    v.as_object_mut()
        .unwrap()
        .insert("display".into(), json!(e.to_string()));
    v
}
