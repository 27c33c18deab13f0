/**
 * The image built from our Dockerfile (test/real/parts/60-image.sh, on test stand-ins for its two base images),
 * read from its `docker save` archive: who it runs as, what it runs, what it holds and how big it is.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readImageArchive, type ImageArchive } from '../harness/image/image-archive.js';
import { haveRealParts, realPaths } from '../helpers/real-parts.js';

const MB = 1_000_000;
// Bounds that fail on a jump, with room for ordinary dependency updates. Measured on 2026-12-05: 79 MB above the
// base (nearly all production node_modules) and 224 MB in all (145 MB of it the base stand-in). One devDependency copied in (typescript alone is
// ~23 MB unpacked) or npm's cache (tens of MB) goes past the first; a heavier base image past the second.
const MAX_ABOVE_BASE = 90 * MB;
const MAX_TOTAL = 240 * MB;

const built = haveRealParts('injectorImage');

/** The package-lock keys (`node_modules/…`, nested ones too) of the packages a production install holds. */
function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
    packages: Record<string, { dev?: boolean; optional?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([key, p]) => key !== '' && p.dev !== true)
    .map(([key]) => key)
    .sort();
}

describe.runIf(built)('the image built from our Dockerfile', () => {
  let image: ImageArchive;
  let ours: ImageArchive['layers'];
  beforeAll(() => {
    image = readImageArchive(realPaths.injectorImage);
    // Our layers start at the runtime stage's first instruction (WORKDIR /app): the base image's come before.
    const first = image.layers.findIndex((l) => l.createdBy.includes('WORKDIR /app'));
    if (first === -1) throw new Error('no layer made by WORKDIR /app in the image history');
    ours = image.layers.slice(first);
  });

  it('is tagged aigw-otel-injector:dev', () => {
    expect(image.tags).toEqual(['aigw-otel-injector:dev']);
  });

  it('runs as 65532:65532', () => {
    expect(image.config.config.User).toBe('65532:65532');
  });

  it("starts the server: node (the base's entrypoint) with dist/main.js, from /app, in production mode", () => {
    expect(image.config.config.Entrypoint).toEqual(['/nodejs/bin/node']);
    expect(image.config.config.Cmd).toEqual(['dist/main.js']);
    expect(image.config.config.WorkingDir).toBe('/app');
    expect(image.config.config.Env).toContain('NODE_ENV=production');
    expect(image.files.get('app/dist/main.js')?.type).toBe('0');
    expect(image.files.get('nodejs/bin/node')?.type).toBe('0');
  });

  it("exposes the chart's ports: 8443 (webhook) and 9090 (admin)", () => {
    expect(Object.keys(image.config.config.ExposedPorts ?? {}).sort()).toEqual(['8443/tcp', '9090/tcp']);
  });

  it.each(['sh', 'bash', 'dash', 'busybox', 'npm', 'npx', 'npm-cli.js', 'corepack', 'dpkg', 'apt', 'apt-get'])(
    'has no program %s anywhere',
    (name) => {
      const found = [...image.files.values()]
        .filter((e) => e.type !== '5' && (e.path === name || e.path.endsWith(`/${name}`)))
        .map((e) => e.path);
      expect(found).toEqual([]);
    },
  );

  it('holds in /app only dist/, node_modules/ and package.json', () => {
    const top = new Set([...image.files.keys()].filter((p) => p.startsWith('app/')).map((p) => p.split('/')[1]));
    expect([...top].sort()).toEqual(['dist', 'node_modules', 'package.json']);
    expect(image.read('app/package.json').toString()).toBe(readFileSync('package.json', 'utf8'));
  });

  it('adds nothing outside /app', () => {
    const outside = ours
      .flatMap((l) => l.entries.map((e) => e.path))
      .filter((p) => p !== 'app' && !p.startsWith('app/'));
    expect(outside).toEqual([]);
  });

  it('holds exactly the production packages of package-lock.json', () => {
    const installed = [...image.files.keys()]
      .filter((p) => /^app\/node_modules\/(.+\/)?package\.json$/.test(p))
      .map((p) => p.slice('app/'.length, -'/package.json'.length))
      // A package's own folders with a package.json (dist/esm/package.json) are not packages: keep node_modules/x.
      .filter((p) => /(^|\/)node_modules\/(@[^/]+\/)?[^/@][^/]*$/.test(p))
      .sort();
    expect(installed).toEqual(productionPackages());
  });

  it.each(['typescript', 'vitest', '@stryker-mutator/core', 'eslint'])('holds no devDependency %s', (name) => {
    expect(image.files.has(`app/node_modules/${name}`)).toBe(false);
    expect(image.files.has(`app/node_modules/${name}/package.json`)).toBe(false);
  });

  it(`is at most ${MAX_TOTAL / MB} MB, of which at most ${MAX_ABOVE_BASE / MB} MB above its base`, () => {
    const total = image.layers.reduce((n, l) => n + l.bytes, 0);
    const above = ours.reduce((n, l) => n + l.bytes, 0);
    console.log(
      `image aigw-otel-injector:dev: ${(total / MB).toFixed(0)} MB, ${(above / MB).toFixed(0)} MB above its base ` +
        `(${((total - above) / MB).toFixed(0)} MB)`,
    );
    expect(ours.length).toBeGreaterThan(0);
    expect(above).toBeLessThanOrEqual(MAX_ABOVE_BASE);
    expect(total).toBeLessThanOrEqual(MAX_TOTAL);
  });
});
