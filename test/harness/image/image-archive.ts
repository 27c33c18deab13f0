/**
 * Reads an image archive as `docker save` writes it (manifest.json, the image config, one uncompressed tar per
 * layer), without a daemon: the config, each layer with its size and the instruction that made it, and the image's
 * files as the layers stack them (later layers win; `.wh.` whiteouts remove).
 */
import { readFileSync } from 'node:fs';

export interface TarEntry {
  /** Path without a leading `./` or `/`; directories without a trailing `/`. */
  readonly path: string;
  /** '0' file, '5' directory, '2' symlink, '1' hard link, ... (ustar typeflag). */
  readonly type: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly linkTarget: string;
  readonly offset: number;
}

// A tar block; headers and data are padded to it.
const BLOCK = 512;

const text = (b: Buffer, start: number, length: number) => {
  const raw = b.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? raw.length : end).toString('utf8');
};
const octal = (b: Buffer, start: number, length: number) => parseInt(text(b, start, length).trim() || '0', 8);

/** PAX extended-header records: "<length> key=value\n", repeated. */
function paxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  for (const record of data.toString('utf8').split('\n')) {
    const kv = record.slice(record.indexOf(' ') + 1);
    const eq = kv.indexOf('=');
    if (eq > 0) records.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  return records;
}

/** The entries of an uncompressed tar (ustar, with PAX and GNU long names as Go's archive/tar and GNU tar write). */
export function tarEntries(tar: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const size = octal(header, 124, 12);
    const type = text(header, 156, 1) || '0';
    const dataAt = offset + BLOCK;
    const data = tar.subarray(dataAt, dataAt + size);
    offset = dataAt + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') {
      const pax = paxRecords(data);
      longName = pax.get('path') ?? longName;
      longLink = pax.get('linkpath') ?? longLink;
      continue;
    }
    if (type === 'g') continue;
    if (type === 'L' || type === 'K') {
      const value = text(data, 0, data.length);
      if (type === 'L') longName = value;
      else longLink = value;
      continue;
    }
    const prefix = text(header, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100));
    entries.push({
      path: name.replace(/^\.?\/+/, '').replace(/\/+$/, ''),
      type,
      mode: octal(header, 100, 8),
      uid: octal(header, 108, 8),
      gid: octal(header, 116, 8),
      size,
      linkTarget: longLink ?? text(header, 157, 100),
      offset: dataAt,
    });
    longName = undefined;
    longLink = undefined;
  }
  return entries.filter((e) => e.path !== '');
}

export interface ImageConfig {
  readonly config: {
    readonly User?: string;
    readonly Cmd?: string[] | null;
    readonly Entrypoint?: string[] | null;
    readonly WorkingDir?: string;
    readonly Env?: string[];
    readonly ExposedPorts?: Record<string, unknown>;
    readonly Labels?: Record<string, string> | null;
  };
  readonly history?: { created_by?: string; empty_layer?: boolean }[];
}

export interface Layer {
  /** The instruction that made it (the image config's history), e.g. `COPY dir:… in ./node_modules`. */
  readonly createdBy: string;
  /** Its uncompressed size in bytes: what it adds to the image on disk. */
  readonly bytes: number;
  readonly entries: readonly TarEntry[];
}

export interface ImageArchive {
  readonly tags: readonly string[];
  readonly config: ImageConfig;
  readonly layers: readonly Layer[];
  /** The image's files as a container sees them: path to the entry of the topmost layer that has it. */
  readonly files: ReadonlyMap<string, TarEntry>;
  /** The content of a regular file of the image. */
  read(path: string): Buffer;
}

/** Puts a layer's entry over the files below it; a whiteout (`.wh.name`, `.wh..wh..opq`) removes what it names. */
function stack(files: Map<string, TarEntry & { tar: Buffer }>, e: TarEntry, tar: Buffer): void {
  const base = e.path.slice(e.path.lastIndexOf('/') + 1);
  if (!base.startsWith('.wh.')) {
    files.set(e.path, { ...e, tar });
    return;
  }
  const dir = e.path.slice(0, e.path.length - base.length);
  // An opaque dir hides what lower layers had in it (the dir stays); a plain whiteout removes the path and below.
  const opaque = base === '.wh..wh..opq';
  const gone = opaque ? dir.replace(/\/$/, '') : `${dir}${base.slice('.wh.'.length)}`;
  for (const p of [...files.keys()]) {
    if ((!opaque && p === gone) || p.startsWith(`${gone}/`)) files.delete(p);
  }
}

/** Opens a `docker save` archive holding one image. */
export function readImageArchive(file: string): ImageArchive {
  const archive = readFileSync(file);
  const outer = new Map(tarEntries(archive).map((e) => [e.path, e]));
  const member = (path: string) => {
    const e = outer.get(path);
    if (e === undefined) throw new Error(`${file}: no ${path}`);
    return archive.subarray(e.offset, e.offset + e.size);
  };
  const manifest = JSON.parse(member('manifest.json').toString()) as {
    Config: string;
    RepoTags: string[] | null;
    Layers: string[];
  }[];
  if (manifest.length !== 1) throw new Error(`${file}: ${manifest.length} images, expected one`);
  const [image] = manifest as [(typeof manifest)[number]];
  const config = JSON.parse(member(image.Config).toString()) as ImageConfig;
  const madeBy = (config.history ?? []).filter((h) => h.empty_layer !== true).map((h) => h.created_by ?? '');
  const layers = image.Layers.map((path, i) => {
    const tar = member(path);
    return { createdBy: madeBy[i] ?? '', bytes: tar.length, entries: tarEntries(tar), tar };
  });
  const files = new Map<string, TarEntry & { tar: Buffer }>();
  for (const layer of layers) {
    for (const e of layer.entries) stack(files, e, layer.tar);
  }
  return {
    tags: image.RepoTags ?? [],
    config,
    layers: layers.map(({ createdBy, bytes, entries }) => ({ createdBy, bytes, entries })),
    files,
    read(path) {
      const e = files.get(path);
      if (e === undefined || e.type !== '0') throw new Error(`${path}: not a regular file of the image`);
      return e.tar.subarray(e.offset, e.offset + e.size);
    },
  };
}
