//! Upstream anchor of dkg-stream's recovery benchmark (bench/kafka/section.ts, `journal`).
//!
//! commonware examples/reshare `dkg/state.rs` keeps the DKG messages of each epoch in a
//! `commonware-storage` `segmented::variable` journal (section = epoch) and, on start,
//! `Storage::init` replays the whole journal (`replay(0, 0, READ_BUFFER)`) into per-epoch
//! BTreeMaps. This program writes N events with the bench workload's shape (bench/kafka/workload.ts:
//! committees of 10, per epoch 10 dealings of 512 B, 100 acks of 112 B, 10 logs of 1024 B payload,
//! same journal config constants as upstream) and times what a restart costs upstream: journal
//! init + full replay folded into BTreeMaps keyed by (epoch, kind, participant) with the bench's
//! fold (count, last seq).
//!
//!   journal-replay <N> <storage dir>  →  one JSON line on stdout
//!
//! Writes sync once per epoch (upstream syncs after every append; the write phase is not what is
//! compared). Single process, tokio runtime with one worker thread.
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error as CodecError, Read, Write};
use commonware_runtime::{buffer::PoolRef, tokio, Runner as _};
use commonware_storage::journal::segmented::variable::{Config, Journal};
use commonware_utils::NZUsize;
use futures::StreamExt;
use std::{collections::BTreeMap, num::NonZeroUsize, time::Instant};

// Upstream's constants (dkg/state.rs).
const PAGE_SIZE: NonZeroUsize = NZUsize!(1 << 12);
const POOL_CAPACITY: NonZeroUsize = NZUsize!(1 << 20);
const WRITE_BUFFER: NonZeroUsize = NZUsize!(1 << 12);
const READ_BUFFER: NonZeroUsize = NZUsize!(1 << 20);

const COMMITTEE: u64 = 10;
const PER_EPOCH: u64 = COMMITTEE + COMMITTEE * COMMITTEE + COMMITTEE;
const PAYLOAD: [usize; 3] = [512, 112, 1024];

#[derive(Clone)]
struct Event {
    kind: u8,
    participant: u32,
    seq: u64,
    payload: Vec<u8>,
}

impl EncodeSize for Event {
    fn encode_size(&self) -> usize {
        1 + 4 + 8 + 4 + self.payload.len()
    }
}
impl Write for Event {
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_u8(self.kind);
        buf.put_u32(self.participant);
        buf.put_u64(self.seq);
        buf.put_u32(self.payload.len() as u32);
        buf.put_slice(&self.payload);
    }
}
impl Read for Event {
    type Cfg = usize;
    fn read_cfg(buf: &mut impl Buf, max: &usize) -> Result<Self, CodecError> {
        if buf.remaining() < 17 {
            return Err(CodecError::EndOfBuffer);
        }
        let kind = buf.get_u8();
        if kind > 2 {
            return Err(CodecError::InvalidEnum(kind));
        }
        let participant = buf.get_u32();
        let seq = buf.get_u64();
        let len = buf.get_u32() as usize;
        if len > *max || buf.remaining() < len {
            return Err(CodecError::EndOfBuffer);
        }
        let mut payload = vec![0u8; len];
        buf.copy_to_slice(&mut payload);
        Ok(Self { kind, participant, seq, payload })
    }
}

fn event(i: u64) -> (u64, Event) {
    let epoch = i / PER_EPOCH;
    let j = i % PER_EPOCH;
    let (kind, participant) = if j < COMMITTEE {
        (0u8, j as u32)
    } else if j < COMMITTEE + COMMITTEE * COMMITTEE {
        (1u8, ((j - COMMITTEE) / COMMITTEE) as u32)
    } else {
        (2u8, (j - COMMITTEE - COMMITTEE * COMMITTEE) as u32)
    };
    let mut payload = vec![0u8; PAYLOAD[kind as usize]];
    for (k, b) in payload.iter_mut().enumerate() {
        *b = (i.wrapping_mul(2654435761).wrapping_add(k as u64) & 0xff) as u8;
    }
    (epoch, Event { kind, participant, seq: i, payload })
}

fn config(pool: &PoolRef) -> Config<usize> {
    Config { partition: "dkg_msgs".into(), compression: None, codec_config: 4096, buffer_pool: pool.clone(), write_buffer: WRITE_BUFFER }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|s| s.parse().ok()).expect("usage: journal-replay <N> <dir>");
    let dir = args.next().expect("usage: journal-replay <N> <dir>");
    let cfg = tokio::Config::new().with_storage_directory(dir).with_worker_threads(1);
    tokio::Runner::new(cfg).start(|context| async move {
        let pool = PoolRef::new(PAGE_SIZE, POOL_CAPACITY);
        // Write phase.
        let t0 = Instant::now();
        let mut journal = Journal::<_, Event>::init(context.clone(), config(&pool)).await.expect("init");
        let mut payload_bytes = 0u64;
        let mut last_epoch = None;
        for i in 0..n {
            let (epoch, ev) = event(i);
            if let Some(e) = last_epoch {
                if e != epoch {
                    journal.sync(e).await.expect("sync");
                }
            }
            last_epoch = Some(epoch);
            payload_bytes += ev.encode_size() as u64;
            journal.append(epoch, ev).await.expect("append");
        }
        journal.close().await.expect("close");
        let write = t0.elapsed().as_secs_f64();
        eprintln!("journal-replay: wrote {n} events ({payload_bytes} bytes) in {write:.3} s");

        // Restart: init + replay everything into per-epoch maps (upstream Storage::init).
        let pool = PoolRef::new(PAGE_SIZE, POOL_CAPACITY);
        let t1 = Instant::now();
        let journal = Journal::<_, Event>::init(context.clone(), config(&pool)).await.expect("init");
        let mut state: BTreeMap<(u64, u8, u32), (u64, u64)> = BTreeMap::new();
        let mut replayed = 0u64;
        {
            let stream = journal.replay(0, 0, READ_BUFFER).await.expect("replay");
            futures::pin_mut!(stream);
            while let Some(r) = stream.next().await {
                let (section, _, _, ev) = r.expect("item");
                let e = state.entry((section, ev.kind, ev.participant)).or_insert((0, 0));
                e.0 += 1;
                e.1 = ev.seq;
                replayed += 1;
            }
        }
        let replay = t1.elapsed().as_secs_f64();
        eprintln!("journal-replay: replayed {replayed} events into {} keys in {replay:.3} s", state.len());
        println!(
            "{{\"events\":{n},\"replayed\":{replayed},\"keys\":{},\"payload_bytes\":{payload_bytes},\"write_seconds\":{write:.6},\"replay_seconds\":{replay:.6}}}",
            state.len()
        );
        journal.close().await.expect("close");
    });
}
