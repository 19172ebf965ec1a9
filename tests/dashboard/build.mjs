// Bundles render.tsx for the browser with esbuild: usage node build.mjs OUTDIR
import * as esbuild from 'esbuild';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// @grafana/ui's .mjs files import the default of CommonJS packages built by Babel
// (exports.default with __esModule); Node's rules, which esbuild follows for .mjs importers,
// would hand them the whole exports object. These get the default the package meant.
const babelDefaults = ['react-custom-scrollbars-2'];
const interop = {
  name: 'babel-default',
  setup(build) {
    const filter = new RegExp(`^(${babelDefaults.join('|')})$`);
    build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'babel-default' }));
    build.onLoad({ filter: /.*/, namespace: 'babel-default' }, (args) => ({
      contents: `import * as m from ${JSON.stringify(require.resolve(args.path))}; export default m.default; export * from ${JSON.stringify(require.resolve(args.path))};`,
      loader: 'js',
      resolveDir: process.cwd(),
    }));
  },
};

await esbuild.build({
  entryPoints: [new URL('render.tsx', import.meta.url).pathname],
  bundle: true,
  outdir: process.argv[2],
  format: 'iife',
  minify: true,
  define: { 'process.env.NODE_ENV': '"production"', global: 'window' },
  loader: { '.svg': 'text', '.woff': 'file', '.woff2': 'file', '.ttf': 'file' },
  nodePaths: [process.cwd() + '/node_modules'],
  plugins: [interop],
  logLevel: 'warning',
});
