// The handler table against the generated protocol metadata (issue 12): each handler's key and
// name are its codecs' (request and response agree, and match apiByKey and ApiKey), keys are
// unique, and the versions it serves lie within the specs' valid versions; the cluster table
// adds ControlledShutdown and the replication admin APIs of issue 14 (ElectLeaders,
// AlterPartitionReassignments, ListPartitionReassignments, AlterPartition) and nothing else,
// so a single broker's table (hence its ApiVersions) is the same as before clusters.
import { ApiKey, apiByKey } from '@samsa/codec';
import { describe, expect, it } from 'vitest';
import { CLUSTER_HANDLERS, HANDLERS, handlerTableFor } from './index.ts';

describe('handler table', () => {
  it('cluster table = single-broker table + ControlledShutdown + the replication admin APIs', () => {
    const clusterOnly: number[] = [ApiKey.ControlledShutdown, ApiKey.ElectLeaders, ApiKey.AlterPartitionReassignments, ApiKey.ListPartitionReassignments, ApiKey.AlterPartition];
    expect(HANDLERS.filter((h) => clusterOnly.includes(h.apiKey))).toEqual([]);
    expect(CLUSTER_HANDLERS.map((h) => h.apiKey)).toEqual([...HANDLERS.map((h) => h.apiKey), ...clusterOnly]);
    for (const h of CLUSTER_HANDLERS) expect({ name: h.name, inSpec: h.request.meta.validVersions[0] <= h.minVersion && h.maxVersion <= h.request.meta.validVersions[1] }).toEqual({ name: h.name, inSpec: true });
    expect(handlerTableFor(false)).toBe(HANDLERS);
    expect(handlerTableFor(true)).toBe(CLUSTER_HANDLERS);
    const ks = CLUSTER_HANDLERS.find((h) => h.apiKey === ApiKey.ControlledShutdown)!;
    expect([ks.name, ks.request.meta.apiKey, ks.response.meta.apiKey, ks.minVersion, ks.maxVersion]).toEqual(['ControlledShutdown', 7, 7, 0, 3]);
    expect(ks.request.meta.validVersions[0] <= ks.minVersion && ks.maxVersion <= ks.request.meta.validVersions[1]).toBe(true);
  });

  it('takes every key and name from the generated metadata', () => {
    expect(HANDLERS.length).toBeGreaterThan(0);
    const seen = HANDLERS.map((h) => ({
      name: h.name,
      apiKey: h.apiKey,
      registryName: apiByKey.get(h.apiKey)?.name,
      constant: ApiKey[h.name as keyof typeof ApiKey],
      request: [h.request.meta.apiKey, h.request.meta.apiName, h.request.meta.type],
      response: [h.response.meta.apiKey, h.response.meta.apiName, h.response.meta.type],
      versionsWithinSpec: h.request.meta.validVersions[0] <= h.minVersion && h.minVersion <= h.maxVersion && h.maxVersion <= h.request.meta.validVersions[1],
    }));
    const expected = HANDLERS.map((h) => ({
      name: h.name,
      apiKey: h.apiKey,
      registryName: h.name,
      constant: h.apiKey,
      request: [h.apiKey, h.name, 'request'],
      response: [h.apiKey, h.name, 'response'],
      versionsWithinSpec: true,
    }));
    expect(seen).toEqual(expected);
    expect(new Set(HANDLERS.map((h) => h.apiKey)).size).toBe(HANDLERS.length);
  });
});
