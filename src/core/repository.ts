/** The repository an action runs for, from `GITHUB_REPOSITORY` (`owner/name`). */
export interface RepositoryRef {
  owner: string;
  repo: string;
}

export function parseRepository(slug: string): RepositoryRef | undefined {
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(slug.trim());
  return match ? { owner: match[1] as string, repo: match[2] as string } : undefined;
}
