import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner, succeeded } from '../../src/core/process.js';
import { examplesDir } from '../../src/demo/fleet.js';
import { commitAll, git, initRepository } from '../../src/demo/git-repo.js';
import { gitSshCommand } from '../../src/nix/access.js';
import { startSshd, type TestSshd } from '../deploy/sshd.js';

/**
 * A fleet of two NixOS hosts, n1 and n2, that read the input `secrets` (flake = false) over git+ssh
 * from a bare repository the tests' own sshd serves to one key only: their motd, and their restic
 * backup jobs (`backups.nix`); it also holds deploy-rs nodes (`nodes.nix`) for a flake of the test's own. They are deploy-rs nodes too, at addresses that resolve nowhere; the
 * switch engine reaches the same configurations. The motd is random, so the input's source is in no
 * store before; each Nix process of a test gets a HOME and XDG_CACHE_HOME of
 * its own (`nixEnv`), so Nix's fetcher cache has never seen it either.
 */
export interface PrivateInputFleet {
  flakeDir: string;
  /** The bare repository of `secrets`. */
  repository: string;
  /**
   * Where the flake's formatter (`formatter.x86_64-linux`, a recorder) writes the environment it was
   * started with, as `formatter.env` (NUL-separated, as `env -0` prints it).
   */
  recordsDir: string;
  /** `git+ssh://root@127.0.0.1:<port>/…/secrets.git`, as flake.nix names it. */
  url: string;
  sshd: TestSshd;
  /** The key the repository accepts, and the known_hosts line of the sshd. */
  privateKey: string;
  privateKeyFile: string;
  knownHosts: string;
  /** A fresh HOME and XDG_CACHE_HOME (and the tests' Nix settings, inherited) for one Nix run. */
  nixEnv(name: string): Promise<Record<string, string>>;
  /** Takes the locked source of `secrets` out of the store again, after a run that fetched it. */
  forget(): Promise<void>;
  /** Commits a new motd to `secrets`; returns the new revision. */
  advance(): Promise<string>;
  stop(): Promise<void>;
}

const runner = new SpawnProcessRunner(new RecordingLogger());

function flakeNix(url: string, recordsDir: string): string {
  return `{
  inputs.secrets = {
    url = "${url}";
    flake = false;
  };
  outputs =
    { self, secrets, ... }:
    let
      homelab = import ./lib;
      host =
        name:
        homelab.nixosSystem {
          modules = [
            {
              nixpkgs.hostPlatform = "x86_64-linux";
              networking.hostName = name;
              environment.etc.motd.text = builtins.readFile "\${secrets}/motd";
              services.restic.backups = import "\${secrets}/backups.nix";
            }
          ];
        };
    in
    {
      nixosConfigurations = {
        n1 = host "n1";
        n2 = host "n2";
      };
      # Reading the nodes needs no input; their profiles' paths need secrets.
      deploy.nodes = builtins.mapAttrs (name: configuration: {
        hostname = "\${name}.invalid";
        profiles.system = {
          user = "root";
          path = configuration.config.system.build.toplevel;
        };
      }) self.nixosConfigurations;
      # flake check builds it: the check needs the private input, as a host's build does.
      checks.x86_64-linux.motd = builtins.derivation {
        name = "motd-check";
        system = "x86_64-linux";
        builder = "/bin/sh";
        motd = builtins.readFile "\${secrets}/motd";
        args = [
          "-c"
          "printf '%s' \\"$motd\\" > $out"
        ];
      };
      formatter.x86_64-linux = builtins.derivation {
        name = "record-formatter";
        system = "x86_64-linux";
        builder = "/bin/sh";
        script = "#!/bin/sh\\n/usr/bin/env -0 > ${recordsDir}/formatter.env\\n";
        args = [
          "-c"
          "/bin/mkdir -p $out/bin && printf '%b' \\"$script\\" > $out/bin/record-formatter && /bin/chmod +x $out/bin/record-formatter"
        ];
      };
    };
}
`;
}

export async function privateInputFleet(dir: string): Promise<PrivateInputFleet> {
  const sshd = await startSshd(join(dir, 'sshd'));
  const repository = join(dir, 'secrets.git');
  const work = join(dir, 'secrets');
  await mkdir(work, { recursive: true });
  await git(runner, dir, ['init', '--quiet', '--bare', '--initial-branch=main', repository]);
  // As GitHub and GitLab do: Nix 2.26 fetches a locked revision by its hash, which an older lock
  // names once the branch moved on.
  await git(runner, repository, ['config', 'uploadpack.allowReachableSHA1InWant', 'true']);
  await initRepository(runner, work);
  await writeFile(
    join(work, 'nodes.nix'),
    '{ n1 = { hostname = "n1.invalid"; profiles.system = { user = "root"; path = "/nix/store/none"; }; }; }\n',
  );
  await writeFile(
    join(work, 'backups.nix'),
    '{ etc = { repository = "/srv/restic/etc"; paths = [ "/etc" ]; passwordFile = "/run/keys/restic"; }; }\n',
  );
  const advance = async () => {
    await writeFile(join(work, 'motd'), `welcome ${randomBytes(12).toString('hex')}\n`);
    const rev = await commitAll(runner, work, 'motd');
    await git(runner, work, ['push', '--quiet', repository, 'HEAD:refs/heads/main']);
    return rev;
  };
  await advance();

  const url = `git+ssh://${sshd.user}@127.0.0.1:${sshd.port}${repository}?ref=main`;
  const flakeDir = join(dir, 'fleet');
  await mkdir(flakeDir, { recursive: true });
  await cp(join(examplesDir(), 'homelab', 'lib'), join(flakeDir, 'lib'), { recursive: true });
  const recordsDir = join(dir, 'records');
  await mkdir(recordsDir, { recursive: true });
  await writeFile(join(flakeDir, 'flake.nix'), flakeNix(url, recordsDir));
  await initRepository(runner, flakeDir);
  await commitAll(runner, flakeDir, 'Two hosts reading a private input');

  let homes = 0;
  const nixEnv = async (name: string) => {
    homes += 1;
    const home = join(dir, 'homes', `${name}-${homes}`);
    await mkdir(home, { recursive: true });
    return { HOME: home, XDG_CACHE_HOME: join(home, '.cache') };
  };

  // Locking fetches the input with the key; the source is then deleted from the store again.
  const knownHostsFile = join(dir, 'known_hosts');
  await writeFile(knownHostsFile, `${sshd.knownHosts}\n`);
  const lockEnv = {
    ...(await nixEnv('lock')),
    GIT_SSH_COMMAND: gitSshCommand(sshd.userKey.privateKeyFile, knownHostsFile),
  };
  await nixOrThrow(['flake', 'lock', flakeDir], lockEnv);
  await commitAll(runner, flakeDir, 'flake.lock: Lock secrets');
  const archived = JSON.parse(await nixOrThrow(['flake', 'archive', '--json', flakeDir], lockEnv)) as {
    inputs: { secrets: { path: string } };
  };
  const source = archived.inputs.secrets.path;
  const forget = async () => {
    if (existsSync(source)) await nixOrThrow(['store', 'delete', source], await nixEnv('forget'));
  };
  await forget();

  return {
    flakeDir,
    repository,
    recordsDir,
    url,
    sshd,
    privateKey: sshd.userKey.privateKey,
    privateKeyFile: sshd.userKey.privateKeyFile,
    knownHosts: sshd.knownHosts,
    nixEnv,
    forget,
    advance,
    stop: () => sshd.stop(),
  };
}

async function nixOrThrow(args: readonly string[], env: Record<string, string>): Promise<string> {
  const result = await runner.run('nix', ['--extra-experimental-features', 'nix-command flakes', ...args], {
    env,
  });
  if (!succeeded(result)) throw new Error(`nix ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}
