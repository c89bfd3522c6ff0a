//! Conformance oracle for dkg-stream: generates JSON fixtures under `../test/fixtures/`
//! from the real upstream commonware crates. Deterministic: fixed seeds, no timestamps.
//!
//! Usage: `cargo run --release [-- <set>...]` where set is one of primitives, tempo, dkg
//! (default: all).

mod bls;
mod codec_cases;
mod dkg;
mod misc;
mod tempo;
mod util;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let all = args.is_empty();
    let want = |s: &str| all || args.iter().any(|a| a == s);
    if want("primitives") {
        codec_cases::generate();
        bls::generate();
        misc::generate();
    }
    if want("tempo") {
        tempo::generate();
    }
    if want("dkg") {
        dkg::generate();
    }
}
