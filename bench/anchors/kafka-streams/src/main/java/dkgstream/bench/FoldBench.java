package dkgstream.bench;

import java.nio.ByteBuffer;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.common.TopicPartition;

/**
 * Kafka Streams anchor of the dkg-stream fold benchmark. Folds the bench's DKG-event records
 * (fixed binary layout, see bench/kafka-fold.ts) into one persistent RocksDB key-value store with
 * a changelog: state[epoch ‖ kind ‖ participant] = count u64 ‖ last seq u64 (last writer).
 *
 * Usage: FoldBench <bootstrap> <applicationId> <inputTopic> <stateDir> <eos|alos> <expectedRecords> [commitIntervalMs]
 *
 * One JSON line per event on stdout: {"event":"running"}, {"event":"restore",...},
 * {"event":"first","t":ms}, {"event":"processed","n":N,"t":ms} (once expectedRecords were
 * folded by this instance); the harness measures the end on the committed group offsets. Stops
 * on SIGTERM (clean close, {"event":"stopped"}).
 */
public final class FoldBench {
  static final String STORE = "fold";
  static final AtomicLong processed = new AtomicLong();
  static volatile long firstAt = 0;

  static void say(String json) {
    synchronized (System.out) {
      System.out.println(json);
      System.out.flush();
    }
  }

  static final class Fold implements Processor<byte[], byte[], Void, Void> {
    private KeyValueStore<Bytes, byte[]> store;
    private final long expected;

    Fold(long expected) { this.expected = expected; }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
      store = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      byte[] v = record.value();
      if (v == null || v.length < 21) return;
      if (firstAt == 0) {
        firstAt = System.currentTimeMillis();
        say("{\"event\":\"first\",\"t\":" + firstAt + "}");
      }
      byte[] k = new byte[13];
      System.arraycopy(v, 0, k, 0, 13);
      Bytes key = Bytes.wrap(k);
      byte[] prev = store.get(key);
      long count = prev == null ? 0 : ByteBuffer.wrap(prev).getLong(0);
      ByteBuffer next = ByteBuffer.allocate(16);
      next.putLong(0, count + 1);
      next.put(8, v, 13, 8); // last writer: the record's seq
      store.put(key, next.array());
      long n = processed.incrementAndGet();
      if (n == expected) say("{\"event\":\"processed\",\"n\":" + n + ",\"t\":" + System.currentTimeMillis() + "}");
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 6) {
      System.err.println("usage: FoldBench <bootstrap> <applicationId> <inputTopic> <stateDir> <eos|alos> <expectedRecords> [commitIntervalMs]");
      System.exit(2);
    }
    String bootstrap = args[0], appId = args[1], input = args[2], stateDir = args[3], mode = args[4];
    long expected = Long.parseLong(args[5]);

    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, mode.equals("eos") ? StreamsConfig.EXACTLY_ONCE_V2 : StreamsConfig.AT_LEAST_ONCE);
    if (args.length > 6) p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Long.parseLong(args[6]));
    p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    // Same group session timeout as the dkg-stream worker (a kill -9'd member leaves the group after it).
    p.put(StreamsConfig.consumerPrefix("session.timeout.ms"), 6000);

    Topology t = new Topology();
    t.addSource("in", Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), input);
    t.addProcessor("fold", () -> new Fold(expected), "in");
    // Record cache on (the DSL's default; statestore.cache.max.bytes 10 MiB): repeated writes of a key
    // between commits reach RocksDB and the changelog once, as dkg-stream dedups writes per transaction.
    t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.Bytes(), Serdes.ByteArray()).withCachingEnabled(), "fold");

    KafkaStreams streams = new KafkaStreams(t, p);
    streams.setGlobalStateRestoreListener(new StateRestoreListener() {
      final AtomicLong restored = new AtomicLong();
      @Override public void onRestoreStart(TopicPartition tp, String store, long start, long end) {
        say("{\"event\":\"restore-start\",\"partition\":" + tp.partition() + ",\"from\":" + start + ",\"to\":" + end + ",\"t\":" + System.currentTimeMillis() + "}");
      }
      @Override public void onBatchRestored(TopicPartition tp, String store, long end, long n) { restored.addAndGet(n); }
      @Override public void onRestoreEnd(TopicPartition tp, String store, long total) {
        say("{\"event\":\"restore\",\"partition\":" + tp.partition() + ",\"restored\":" + total + ",\"t\":" + System.currentTimeMillis() + "}");
      }
    });
    CountDownLatch stopped = new CountDownLatch(1);
    streams.setStateListener((next, prev) -> {
      if (next == KafkaStreams.State.RUNNING) say("{\"event\":\"running\",\"t\":" + System.currentTimeMillis() + "}");
      if (next == KafkaStreams.State.ERROR) say("{\"event\":\"error\"}");
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close(java.time.Duration.ofSeconds(30));
      say("{\"event\":\"stopped\",\"t\":" + System.currentTimeMillis() + "}");
      stopped.countDown();
    }));
    say("{\"event\":\"started\",\"t\":" + System.currentTimeMillis() + "}");
    streams.start();
    stopped.await();
  }
}
