import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

/**
 * One ```ts block of a markdown file, ready to compile as a module of its own.
 *
 * Markers, an HTML comment right before the fence (invisible on GitHub):
 * - `<!-- docs-check: prelude ...lines... -->`: the lines are compiled before the block, to
 *   declare what a fragment assumes (`declare const db: Kysely<Database>;`).
 * - `<!-- docs-check: continues -->`: the block is compiled after the previous block of the
 *   same file (a page that builds one program over several blocks).
 * - `<!-- docs-check: skip REASON -->`: not compiled; the reason is required. Keep these rare.
 */
export interface DocCodeBlock {
  /** The markdown file, relative to the repository root. */
  readonly file: string;
  /** 1-based line of the block's first code line in the markdown file. */
  readonly line: number;
  readonly code: string;
  /** Lines compiled before the block, from a `prelude` marker. */
  readonly prelude: string;
  readonly continues: boolean;
  /** Why the block is not compiled, from a `skip` marker. */
  readonly skipReason: string | undefined;
  /** 1-based line of the marker comment, when there is one. */
  readonly markerLine: number | undefined;
}

/** A compile error located in the markdown file it came from. */
export interface DocCompileError {
  /** `docs/operations.md:42`. */
  readonly location: string;
  readonly message: string;
}

/** What {@link checkDocCodeBlocks} found. */
export interface DocCheckReport {
  readonly files: readonly string[];
  readonly compiled: number;
  readonly skipped: readonly { readonly location: string; readonly reason: string }[];
  readonly errors: readonly DocCompileError[];
}

const FENCE = /^```(ts|typescript)(?:\s+(.*))?$/;
const MARKER = /^<!--\s*docs-check:\s*(prelude|continues|skip)\b([\s\S]*?)-->$/;

/** README.md and every docs/*.md that exists now, relative to `root`. */
export async function findDocFiles(root: string): Promise<string[]> {
  const docs = (await readdir(join(root, 'docs'))).filter((name) => name.endsWith('.md')).sort();
  return [
    ...(existsSync(join(root, 'README.md')) ? ['README.md'] : []),
    ...docs.map((name) => `docs/${name}`),
  ];
}

/** The ```ts blocks of one markdown file with their markers. */
export function extractTsBlocks(markdown: string, file: string): DocCodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: DocCodeBlock[] = [];
  let fence: { start: number; marker: ReturnType<typeof markerBefore> } | undefined;
  let insideOtherFence = false;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    if (fence === undefined && !insideOtherFence) {
      if (FENCE.test(line.trim())) fence = { start: index + 1, marker: markerBefore(lines, index) };
      else if (line.trim().startsWith('```')) insideOtherFence = true;
      continue;
    }
    if (line.trim() !== '```') continue;
    if (insideOtherFence) {
      insideOtherFence = false;
      continue;
    }
    if (fence === undefined) continue;
    const { marker } = fence;
    blocks.push({
      file,
      line: fence.start + 1,
      code: lines.slice(fence.start, index).join('\n'),
      prelude: marker?.kind === 'prelude' ? marker.text : '',
      continues: marker?.kind === 'continues',
      skipReason: marker?.kind === 'skip' ? marker.text.trim() || 'no reason given' : undefined,
      markerLine: marker?.line,
    });
    fence = undefined;
  }
  return blocks;
}

/** The `docs-check` comment ending right above the fence at `fenceIndex`, blank lines allowed. */
function markerBefore(
  lines: readonly string[],
  fenceIndex: number,
): { kind: 'prelude' | 'continues' | 'skip'; text: string; line: number } | undefined {
  let end = fenceIndex - 1;
  while (end >= 0 && (lines[end] ?? '').trim() === '') end--;
  if (end < 0 || !(lines[end] ?? '').trim().endsWith('-->')) return undefined;
  let start = end;
  while (start >= 0 && !(lines[start] ?? '').includes('<!--')) start--;
  if (start < 0) return undefined;
  const match = MARKER.exec(
    lines
      .slice(start, end + 1)
      .join('\n')
      .trim(),
  );
  if (match === null) return undefined;
  return { kind: match[1] as 'prelude' | 'continues' | 'skip', text: match[2] ?? '', line: start + 1 };
}

/** A generated module and, per generated line, where it came from in the docs. */
interface GeneratedModule {
  readonly name: string;
  readonly text: string;
  readonly origins: readonly string[];
}

/** Builds one module per block (continued blocks join their predecessor's module). */
function generateModules(blocks: readonly DocCodeBlock[]): GeneratedModule[] {
  const modules: { name: string; lines: string[]; origins: string[]; file: string }[] = [];
  for (const block of blocks) {
    if (block.skipReason !== undefined) continue;
    const previous = modules.at(-1);
    const target =
      block.continues && previous !== undefined && previous.file === block.file
        ? previous
        : { name: '', lines: [], origins: [], file: block.file };
    if (target !== previous) {
      target.name = `${block.file.replace(/[^a-zA-Z0-9]+/g, '-')}-${block.line}.ts`;
      modules.push(target);
    }
    const preludeLines = block.prelude === '' ? [] : block.prelude.replace(/^\n/, '').split('\n');
    for (const line of preludeLines) {
      target.lines.push(line);
      target.origins.push(`${block.file}:${block.markerLine ?? block.line} (prelude)`);
    }
    block.code.split('\n').forEach((line, offset) => {
      target.lines.push(line);
      target.origins.push(`${block.file}:${block.line + offset}`);
    });
  }
  // `export {}` makes each file a module, so blocks' top-level names never collide.
  return modules.map(({ name, lines, origins }) => ({
    name,
    text: `${lines.join('\n')}\nexport {};\n`,
    origins,
  }));
}

/** Options of {@link checkDocCodeBlocks}. */
export interface DocCheckOptions {
  /** The repository root (has tsconfig.base.json and node_modules/.bin/tsc). */
  readonly root: string;
  /** Where the generated modules go; inside the repository, so packages resolve. Emptied first. */
  readonly outDir: string;
  /** Markdown files to check, relative to `root`; by default README.md and docs/*.md. */
  readonly files?: readonly string[];
}

/**
 * Extracts every ```ts block of README.md and docs/*.md, compiles them with the repository's
 * TypeScript and strict settings, and returns each error at its markdown file and line.
 */
export async function checkDocCodeBlocks(options: DocCheckOptions): Promise<DocCheckReport> {
  const files = options.files ?? (await findDocFiles(options.root));
  const blocks: DocCodeBlock[] = [];
  for (const file of files) {
    blocks.push(...extractTsBlocks(await readFile(join(options.root, file), 'utf8'), file));
  }
  const modules = generateModules(blocks);
  await rm(options.outDir, { recursive: true, force: true });
  await mkdir(options.outDir, { recursive: true });
  for (const module of modules) await writeFile(join(options.outDir, module.name), module.text);
  const tsconfig = {
    extends: relative(options.outDir, join(options.root, 'tsconfig.base.json')),
    compilerOptions: {
      noEmit: true,
      customConditions: ['@idem/source'],
      experimentalDecorators: true,
      // Examples show a step, not a program: a value they declare and leave unused is fine.
      noUnusedLocals: false,
      noUnusedParameters: false,
    },
    files: modules.map((module) => module.name),
  };
  await writeFile(join(options.outDir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  const output = await runTsc(options.root, join(options.outDir, 'tsconfig.json'));
  const byName = new Map(modules.map((module) => [module.name, module]));
  const errors: DocCompileError[] = [];
  for (const match of output.matchAll(/^(.+?)\((\d+),(\d+)\): error (TS\d+: .*)$/gm)) {
    const name = (match[1] ?? '').split(/[\\/]/).at(-1) ?? '';
    const module = byName.get(name);
    // Errors inside the packages' own sources belong to their typecheck, not to the docs.
    if (module === undefined || !(match[1] ?? '').includes(relative(options.root, options.outDir))) continue;
    const origin = module.origins[Number(match[2]) - 1] ?? `${name}:${match[2]}`;
    errors.push({ location: origin, message: match[4] ?? '' });
  }
  if (errors.length === 0 && /error TS/.test(output) && modules.length > 0 && !/\(\d+,\d+\)/.test(output)) {
    errors.push({ location: 'tsconfig', message: output.trim() });
  }
  return {
    files,
    compiled: blocks.filter((block) => block.skipReason === undefined).length,
    skipped: blocks
      .filter((block) => block.skipReason !== undefined)
      .map((block) => ({ location: `${block.file}:${block.line}`, reason: block.skipReason ?? '' })),
    errors,
  };
}

async function runTsc(root: string, project: string): Promise<string> {
  try {
    await promisify(execFile)(join(root, 'node_modules/.bin/tsc'), ['-p', project, '--pretty', 'false'], {
      cwd: root,
      maxBuffer: 16 * 1024 * 1024,
    });
    return '';
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    return `${failed.stdout ?? ''}${failed.stderr ?? ''}`;
  }
}
