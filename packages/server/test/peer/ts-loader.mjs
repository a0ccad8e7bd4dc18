// Lets plain `node` run the TypeScript benchmark without a build: resolves `@ringkv/<pkg>` to
// packages/<pkg>/src/index.ts and `./x.js` to `./x.ts`, and strips types with @swc/core (as Jest
// does). Usage: node --import ./packages/server/test/peer/ts-loader.mjs <file.ts>
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

// The same file is the hooks module, which Node loads again on its loader thread.
if (isMainThread) register(import.meta.url);

const root = new URL('../../../../', import.meta.url);

export async function resolve(specifier, context, next) {
  const m = /^@ringkv\/([a-z-]+)$/.exec(specifier);
  if (m) return { url: new URL(`packages/${m[1]}/src/index.ts`, root).href, shortCircuit: true };
  if (specifier.endsWith('.js') && (specifier.startsWith('.') || specifier.startsWith('/')) && context.parentURL?.endsWith('.ts')) {
    try {
      return await next(specifier.replace(/\.js$/, '.ts'), context);
    } catch {
      // a real .js file
    }
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const { readFile } = await import('node:fs/promises');
  const { transformSync } = await import('@swc/core');
  const source = await readFile(new URL(url), 'utf8');
  const { code } = transformSync(source, {
    filename: new URL(url).pathname,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
  });
  return { format: 'module', source: code, shortCircuit: true };
}
