import { z } from 'zod';
import { UserError } from '../core/errors.js';
import type { DeployNode } from './nodes.js';

/** A node name, `@tag` (a key of `tags`), or `all`. */
const selector = z.string().min(1);

/** `tags`: a YAML map from tag (written without `@`) to the node names it stands for. */
export const deployTagsShape = z
  .record(z.string(), z.array(selector).min(1, 'lists no nodes'))
  .superRefine((tags, ctx) => {
    for (const tag of Object.keys(tags)) {
      if (tag.startsWith('@')) {
        ctx.addIssue({
          code: 'custom',
          message: `tag '${tag}' must be named without @ here (write ${tag.slice(1)}, and ${tag} in targets and waves)`,
        });
      }
    }
  });

/** `waves`: deployed in order; a wave is one selector or a list of them. */
export const wavesShape = z
  .array(
    z
      .union([selector, z.array(selector).min(1, 'is an empty wave')])
      .transform((wave) => (typeof wave === 'string' ? [wave] : wave)),
  )
  .min(1, 'lists no waves');

export type DeployTags = z.output<typeof deployTagsShape>;
export type Waves = z.output<typeof wavesShape>;

/** `@tag` → the nodes carrying it, from the nodes' own `tags` and the `tags` input together. */
export type TagIndex = ReadonlyMap<string, readonly string[]>;

/** Rollout order: by `wave` (nodes without one last), then as the flake lists them. */
export function inRolloutOrder(nodes: readonly DeployNode[]): DeployNode[] {
  return nodes
    .map((node, index) => ({ node, index }))
    .sort((a, b) => (a.node.wave ?? Infinity) - (b.node.wave ?? Infinity) || a.index - b.index)
    .map(({ node }) => node);
}

export function buildTagIndex(nodes: readonly DeployNode[], tags: DeployTags | undefined): TagIndex {
  const known = new Set(nodes.map((node) => node.name));
  const index = new Map<string, string[]>();
  const add = (tag: string, name: string) => {
    const members = index.get(tag) ?? [];
    if (!members.includes(name)) members.push(name);
    index.set(tag, members);
  };
  for (const node of nodes) for (const tag of node.tags) add(tag, node.name);
  for (const [tag, names] of Object.entries(tags ?? {})) {
    for (const name of names) {
      if (!known.has(name)) {
        throw new UserError(
          `Input 'tags' lists unknown node '${name}' under '${tag}'; known nodes: ${knownNodes(nodes)}`,
        );
      }
      add(tag, name);
    }
  }
  return index;
}

/**
 * The nodes that `selectors` (names, `@tag`, `all`) stand for, each once, in the order given; a tag
 * or `all` expands in rollout order. `input` names the input the selectors came from, for errors.
 */
export function resolveSelectors(
  selectors: readonly string[],
  input: string,
  nodes: readonly DeployNode[],
  tags: TagIndex,
): DeployNode[] {
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const ordered = inRolloutOrder(nodes);
  const chosen = new Set<DeployNode>();
  for (const selector of selectors) {
    if (selector === 'all') {
      for (const node of ordered) chosen.add(node);
    } else if (selector.startsWith('@')) {
      const members = tags.get(selector.slice(1));
      if (!members) {
        throw new UserError(
          `Input '${input}' names unknown tag '${selector}'; known tags: ${knownTags(tags)}`,
        );
      }
      for (const node of ordered) if (members.includes(node.name)) chosen.add(node);
    } else {
      const node = byName.get(selector);
      if (!node) {
        throw new UserError(
          `Input '${input}' names unknown node '${selector}'; known nodes: ${knownNodes(nodes)}`,
        );
      }
      chosen.add(node);
    }
  }
  return [...chosen];
}

function knownNodes(nodes: readonly DeployNode[]): string {
  return nodes.map((node) => node.name).join(', ');
}

function knownTags(tags: TagIndex): string {
  if (tags.size === 0) return "none (give nodes `tags = [ … ]` in deploy.nodes or use the 'tags' input)";
  return [...tags.keys()]
    .sort()
    .map((tag) => `@${tag}`)
    .join(', ');
}
