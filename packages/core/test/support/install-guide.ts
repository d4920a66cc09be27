import { extractTsBlocks } from '../../../../test-support/docs-code-blocks.js';

/**
 * What docs/getting-started.md tells a user to put in a fresh project, read out of the page so
 * the install test runs exactly what the page says.
 */
export interface InstallGuide {
  /** The `pnpm-workspace.yaml` that allows or denies dependencies' build scripts. */
  readonly workspaceYaml: string;
  /** The `pnpm add ./dist-packages/...` commands, each split into arguments. */
  readonly commands: readonly (readonly string[])[];
  /** The `tsconfig.json` with `experimentalDecorators`. */
  readonly tsconfig: string;
  /** The page's program: the first ```ts block with a prelude and the blocks that continue it. */
  readonly program: string;
}

const MARKED_FENCE = /<!--\s*install-check:\s*(\S+)\s*-->\s*\n```[a-z]*\n([\s\S]*?)\n```/g;

/**
 * Reads the install guide's marked blocks (`<!-- install-check: NAME -->` right before a fence)
 * and its program. Throws naming what is missing, so a reworded page fails with a reason.
 */
export function readInstallGuide(markdown: string, file: string): InstallGuide {
  const marked = new Map<string, string>();
  for (const match of markdown.matchAll(MARKED_FENCE)) marked.set(match[1] ?? '', match[2] ?? '');
  const block = (name: string): string => {
    const text = marked.get(name);
    if (text === undefined) throw new Error(`${file} has no block marked <!-- install-check: ${name} -->`);
    return text;
  };
  const commands = block('commands')
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line !== '')
    .map((line) => line.split(/\s+/));
  if (!commands.every((command) => command[0] === 'pnpm' && command[1] === 'add')) {
    throw new Error(`${file}: the commands block may only hold \`pnpm add\` lines`);
  }
  return {
    workspaceYaml: block('pnpm-workspace.yaml'),
    commands,
    tsconfig: block('tsconfig.json'),
    program: programOf(markdown, file),
  };
}

function programOf(markdown: string, file: string): string {
  const blocks = extractTsBlocks(markdown, file);
  const first = blocks.findIndex((block) => block.prelude !== '');
  if (first === -1) throw new Error(`${file} has no \`\`\`ts block with a docs-check prelude`);
  const parts = [blocks[first]?.prelude ?? '', blocks[first]?.code ?? ''];
  for (const block of blocks.slice(first + 1)) {
    if (!block.continues) break;
    parts.push(block.code);
  }
  return `${parts.join('\n')}\n`;
}
