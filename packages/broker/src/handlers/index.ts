/**
 * The handler table: every API this broker serves, which is exactly what ApiVersions
 * advertises. Add an API here only once every version in its range works.
 */
import type { ApiHandler } from './api-handler.ts';
import { apiVersionsHandler } from './api-versions.ts';
import { createTopicsHandler } from './create-topics.ts';
import { fetchHandler } from './fetch.ts';
import { findCoordinatorHandler } from './find-coordinator.ts';
import { initProducerIdHandler } from './init-producer-id.ts';
import { listOffsetsHandler } from './list-offsets.ts';
import { metadataHandler } from './metadata.ts';
import { produceHandler } from './produce.ts';

export const HANDLERS: readonly ApiHandler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  findCoordinatorHandler,
  apiVersionsHandler,
  createTopicsHandler,
  initProducerIdHandler,
];
