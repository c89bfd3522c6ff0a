/**
 * Cluster administration the local stack manager needs (readiness probe, ACLs), kept behind the
 * Kafka adapter boundary: only src/runtime/kafka/ imports kafkajs.
 */
import './kafkajs-patches.ts'; // first: this process may use the adapter later
import kafkajs from 'kafkajs';
import type { KafkaClientSecurity } from './security.ts';

const { Kafka, logLevel, AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs;

export interface ClusterClient {
  brokers: string[];
  security?: KafkaClientSecurity;
}

const admin = (c: ClusterClient) =>
  new Kafka({
    clientId: 'dkg-stream-stack',
    brokers: c.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries: 0 },
    ...c.security,
  }).admin();

/** Brokers the cluster reports and whether it has a controller; undefined when it does not answer (one attempt, no retries). */
export async function describeClusterOnce(c: ClusterClient): Promise<{ brokers: number; controller: boolean } | undefined> {
  const a = admin(c);
  try {
    await a.connect();
    const cluster = await a.describeCluster();
    return { brokers: cluster.brokers.length, controller: cluster.controller !== null };
  } catch {
    return undefined;
  } finally {
    await a.disconnect().catch(() => {});
  }
}

/** Resources a principal may use entirely, by name prefix (idempotent: an existing binding is kept). */
export interface PrefixGrants {
  principal: string;
  topics: string;
  groups: string;
  transactionalIds: string;
}

/** Creates ALLOW ALL prefix ACLs on topics, groups and transactional ids for one principal. */
export async function grantPrefixAcls(c: ClusterClient, g: PrefixGrants): Promise<void> {
  const a = admin(c);
  try {
    await a.connect();
    const grant = (resourceType: number, resourceName: string) => ({
      resourceType,
      resourceName,
      resourcePatternType: ResourcePatternTypes.PREFIXED,
      principal: g.principal,
      host: '*',
      operation: AclOperationTypes.ALL,
      permissionType: AclPermissionTypes.ALLOW,
    });
    await a.createAcls({
      acl: [grant(AclResourceTypes.TOPIC, g.topics), grant(AclResourceTypes.GROUP, g.groups), grant(AclResourceTypes.TRANSACTIONAL_ID, g.transactionalIds)],
    });
  } finally {
    await a.disconnect().catch(() => {});
  }
}
