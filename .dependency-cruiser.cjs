/**
 * The layer rule of src/ (README, "Layout"): a request flows edge → intake → answer | overview →
 * queue → llm → sessions → out, and imports only go down that list. core/ is below everything and
 * imports nothing of the app; the root files (main, cli, lifecycle, dev-redis, answering, web-role,
 * worker-role) compose the layers. `npm test` runs this check; a back-edge or a cycle fails it.
 */
const LAYERS = ['edge', 'intake', 'answer|overview', 'queue', 'llm', 'sessions', 'out', 'core'];

const layerPath = (layer) => `^src/(${layer})/`;
const below = (i) => LAYERS.slice(i + 1).join('|');

const layerRules = LAYERS.flatMap((layer, i) => {
  const allowed = [layer, ...LAYERS.slice(i + 1)].join('|');
  return [
    {
      name: `layer-${layer.replace('|', '-or-')}`,
      comment: `src/${layer}/ may import only its own folder and the layers below it (${below(i) || 'none'})`,
      severity: 'error',
      from: { path: layerPath(layer) },
      to: { path: '^src/', pathNot: [`^src/(${allowed})/`] },
    },
  ];
});

module.exports = {
  forbidden: [
    ...layerRules,
    ...[
      ['answer', 'overview'],
      ['overview', 'answer'],
    ].map(([from, to]) => ({
      name: `${from}-does-not-import-${to}`,
      comment: 'answer/ and overview/ both handle intake work, side by side; neither imports the other',
      severity: 'error',
      from: { path: `^src/${from}/` },
      to: { path: `^src/${to}/` },
    })),
    {
      name: 'core-imports-no-library-of-slack',
      comment: 'core/ is plain: no Slack SDK types in config, logging, errors or domain types',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '@slack/' },
    },
    {
      name: 'src-is-the-bot-only',
      comment: 'the bot never imports tests, stand-ins or tools (the image holds src/ alone)',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|standins|tools)/' },
    },
    {
      name: 'standins-need-no-test-runner',
      comment: 'stand-ins serve tests, demo and bench alike: no vitest, nothing from test/',
      severity: 'error',
      from: { path: '^standins/' },
      to: { path: '^test/|vitest' },
    },
    {
      name: 'no-cycles',
      comment: 'a cycle between modules hides which one is the lower layer',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // TypeScript 7 has no JavaScript API yet, so sources are parsed with swc; type-only imports count too.
    parser: 'swc',
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
