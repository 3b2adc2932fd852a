// The api key rule (eslint.config.js, scripts/eslint-rules/no-literal-api-key.js, issue 12):
// broker and codec sources name Kafka API keys through the generated constants or a codec's
// metadata. A planted literal key, handler name, key comparison or *_KEY constant fails lint;
// the same code through ApiKey / meta passes; tests and other packages are left alone.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const eslint = new ESLint({ cwd: root });

async function ruleMessages(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${filePath}` });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

/** A handler as every handler file declared one before issue 12. */
const LITERAL_HANDLER = [
  "import { DescribeProducersRequestCodec, DescribeProducersResponseCodec } from '@samsa/codec';",
  "import { defineHandler } from './api-handler.ts';",
  'export const describeProducersHandler = defineHandler({',
  '  apiKey: 61,',
  "  name: 'DescribeProducers',",
  '  minVersion: 0,',
  '  maxVersion: 0,',
  '  request: DescribeProducersRequestCodec,',
  '  response: DescribeProducersResponseCodec,',
  '  handle: () => null,',
  '});',
  '',
].join('\n');

describe('api key lint', () => {
  it('rejects a handler with a literal api key and name', async () => {
    const messages = await ruleMessages(LITERAL_HANDLER, 'packages/broker/src/handlers/api-key-probe.ts');
    expect(messages).toEqual([
      'samsa/no-literal-api-key: Literal api key 61: use ApiKey.<Name> or <Name>RequestCodec.meta.apiKey from @samsa/codec.',
      "samsa/no-literal-api-key: Literal handler name 'DescribeProducers': use <Name>RequestCodec.meta.apiName.",
    ]);
  });

  it('accepts the same handler taking its key and name from the codec metadata', async () => {
    const code = LITERAL_HANDLER.replace('apiKey: 61,', 'apiKey: DescribeProducersRequestCodec.meta.apiKey,').replace("name: 'DescribeProducers',", 'name: DescribeProducersRequestCodec.meta.apiName,');
    expect(await ruleMessages(code, 'packages/broker/src/handlers/api-key-probe.ts')).toEqual([]);
  });

  const forbidden: Array<[string, string]> = [
    ['export const h = { apiKey: 0 };\n', 'Literal api key 0'],
    ['export const f = (apiKey: number): boolean => apiKey === 18;\n', 'compared with the literal 18'],
    ['export const f = (h: { requestApiKey: number }): boolean => 1 !== h.requestApiKey;\n', 'compared with the literal 1'],
    ['export const FETCH_KEY = 1;\n', 'FETCH_KEY = 1 restates'],
    ['const PRODUCE_API_KEY = 0;\nexport const p = PRODUCE_API_KEY;\n', 'PRODUCE_API_KEY = 0 restates'],
  ];
  for (const [code, what] of forbidden) {
    it(`rejects "${code.trim().split('\n')[0]}" in the broker and the codec`, async () => {
      for (const file of ['packages/broker/src/dispatcher-probe.ts', 'packages/broker/src/connection/probe.ts', 'packages/codec/src/kafka/probe.ts']) {
        const messages = await ruleMessages(code, file);
        expect(messages, file).toHaveLength(1);
        expect(messages[0], file).toContain(what);
      }
    });
  }

  it('allows the generated constants, the -1 sentinel, and literals in tests and other packages', async () => {
    const good = [
      "import { ApiKey } from '@samsa/codec';",
      'export const h = { apiKey: ApiKey.Produce, name: "x" };',
      'export const f = (apiKey: number): boolean => apiKey === ApiKey.ApiVersions;',
      'export const none = { apiKey: -1 };',
      'export const PARTITION_KEY = "k";',
      '',
    ].join('\n');
    expect(await ruleMessages(good, 'packages/broker/src/dispatcher-probe.ts')).toEqual([]);
    expect(await ruleMessages(LITERAL_HANDLER, 'packages/broker/src/handlers/api-key-probe.test.ts')).toEqual([]);
    expect(await ruleMessages('export const h = { apiKey: 0 };\n', 'packages/log/src/api-key-probe.ts')).toEqual([]);
  });
});
