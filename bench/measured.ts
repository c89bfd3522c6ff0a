/**
 * Figures one section measures that another shows next to its own in the same `npm run bench`
 * (sections run one after another in one process): e.g. the Kafka Streams instance's memory in
 * the fold section, next to a follower's in the follow section.
 */
export const measured: {
  /** Peak RSS (MB) of the Kafka Streams instance folding 1M records exactly-once (median round), bench/kafka. */
  kafkaStreamsFoldRssMb?: number;
  /** The same for dkg-stream's fold worker. */
  dkgStreamFoldRssMb?: number;
} = {};
