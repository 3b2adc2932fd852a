// ESLint rule `samsa/no-literal-api-key` (issue 12): Kafka API keys are named through the
// generated constants (`ApiKey.Produce` from @samsa/codec) or a codec's metadata
// (`ProduceRequestCodec.meta.apiKey`), never written as bare numbers, so a reader sees which
// API is meant and a key cannot drift from the specs. Reports, in the files it is enabled for:
//   - `apiKey: 0` / `requestApiKey: 0`: a numeric literal as an api key property;
//   - `defineHandler({ name: 'Produce' })`: a handler name not taken from the codec metadata;
//   - `apiKey === 18`: an api key compared with a numeric literal (either side);
//   - `const FETCH_KEY = 1`: a *_KEY constant holding a numeric literal.
// Only non-negative literals count: -1 stays free as the "no api" sentinel.

const KEY_NAME = /^(apiKey|requestApiKey)$/;
const KEY_CONSTANT = /_KEY$/;

/** True for a non-negative numeric literal. */
const isKeyLiteral = (node) => node != null && node.type === 'Literal' && typeof node.value === 'number' && node.value >= 0;

/** The name an expression ends in: `apiKey`, `sent.apiKey`, `header.requestApiKey`. */
function tailName(node) {
  if (node.type === 'Identifier') return node.name;
  if (node.type === 'MemberExpression' && !node.computed && node.property.type === 'Identifier') return node.property.name;
  return null;
}

const propertyName = (p) => (p.key.type === 'Identifier' ? p.key.name : p.key.type === 'Literal' ? String(p.key.value) : null);

/** @type {import('eslint').Rule.RuleModule} */
export default {
  meta: {
    type: 'problem',
    docs: { description: 'Kafka API keys come from the generated ApiKey constants or codec metadata, not numeric literals' },
    schema: [],
    messages: {
      property: 'Literal api key {{value}}: use ApiKey.<Name> or <Name>RequestCodec.meta.apiKey from @samsa/codec.',
      handlerName: "Literal handler name '{{value}}': use <Name>RequestCodec.meta.apiName.",
      compare: 'Api key compared with the literal {{value}}: use ApiKey.<Name> from @samsa/codec.',
      constant: '{{name}} = {{value}} restates a generated api key: use ApiKey.<Name> from @samsa/codec.',
    },
  },
  create(context) {
    return {
      Property(node) {
        const name = propertyName(node);
        if (name !== null && KEY_NAME.test(name) && isKeyLiteral(node.value)) {
          context.report({ node: node.value, messageId: 'property', data: { value: String(node.value.value) } });
        }
      },
      'CallExpression[callee.name="defineHandler"] > ObjectExpression > Property'(node) {
        if (propertyName(node) === 'name' && node.value.type === 'Literal' && typeof node.value.value === 'string') {
          context.report({ node: node.value, messageId: 'handlerName', data: { value: node.value.value } });
        }
      },
      BinaryExpression(node) {
        if (!['===', '!==', '==', '!='].includes(node.operator)) return;
        for (const [side, other] of [
          [node.left, node.right],
          [node.right, node.left],
        ]) {
          const name = tailName(side);
          if (name !== null && KEY_NAME.test(name) && isKeyLiteral(other)) {
            context.report({ node: other, messageId: 'compare', data: { value: String(other.value) } });
          }
        }
      },
      VariableDeclarator(node) {
        if (node.id.type === 'Identifier' && KEY_CONSTANT.test(node.id.name) && isKeyLiteral(node.init)) {
          context.report({ node: node.init, messageId: 'constant', data: { name: node.id.name, value: String(node.init.value) } });
        }
      },
    };
  },
};
