/**
 * The layers of src/, ground to top. A module may import its own layer and the ones below it,
 * never one above: a port or a type lives in the lowest layer that needs it, and the layers
 * above depend on it there. Folders of one layer may use each other, without cycles.
 *
 *   0  common, logging           no knowledge of the product
 *   1  config                    what the environment asks for, validated
 *   2  chromium, whatsapp        the browser's processes; the library behind one adapter
 *   3  storage                   the store ports and their SQLite, PostgreSQL and file adapters
 *   4  session                   the lifecycle state machine
 *   5  messaging, webhooks, media  what applications send and receive
 *   6  cluster                   the lease and the saved session across hosts
 *   7  bot, metrics, demo, doctor, http   the surfaces
 *   8  app                       the composition root: builds the daemon from all of the above
 *   9  main.ts, doctor.ts        the processes: read the environment, handle signals, exit
 */
const LAYERS = [
  ['common', 'logging'],
  ['config'],
  ['chromium', 'whatsapp'],
  ['storage'],
  ['session'],
  ['messaging', 'webhooks', 'media'],
  ['cluster'],
  ['bot', 'metrics', 'demo', 'doctor', 'http'],
  ['app'],
];
const ENTRY_POINTS = '^src/(main|doctor)\\.ts$';

const folders = (layers) => `^src/(${layers.flat().join('|')})/`;

const layerRules = LAYERS.slice(0, -1).map((layer, index) => ({
  name: `layer-${layer.join('-')}`,
  comment: `${layer.join(', ')} may not import a layer above it (${LAYERS.slice(index + 1)
    .flat()
    .join(', ')}) nor an entry point`,
  severity: 'error',
  from: { path: folders([layer]) },
  to: { path: [folders(LAYERS.slice(index + 1)), ENTRY_POINTS] },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'A cycle, type-only imports included, makes two modules one in all but name.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-outside-the-layers',
      comment: 'Every module of src/ belongs to a layer folder, or is an entry point.',
      severity: 'error',
      from: { path: '^src/', pathNot: [folders(LAYERS), ENTRY_POINTS] },
      to: {},
    },
    {
      name: 'entry-points-only-through-app',
      comment: 'The processes build the daemon through the composition root; they do not wire the layers themselves.',
      severity: 'error',
      from: { path: '^src/main\\.ts$' },
      to: { path: '^src/', pathNot: ['^src/(app|common|config|logging)/'] },
    },
    {
      name: 'src-never-imports-tests',
      comment: 'Only demo mode loads the simulated WhatsApp Web (test/sim), and only at run time when asked.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/demo/' },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'demo-only-the-simulator',
      severity: 'error',
      from: { path: '^src/demo/' },
      to: { path: '^(test|bench|scripts)/', pathNot: '^test/sim/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // The cluster code is loaded with require() only when DATABASE_URL is set: still a dependency.
    detectJSDocImports: false,
    moduleSystems: ['cjs', 'es6'],
  },
};
