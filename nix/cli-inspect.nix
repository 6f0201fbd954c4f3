# What `flakeflow init` (src/cli/init/inspect.ts) needs to know about a fleet flake, from one
# evaluation: its hosts with their systems, its deploy-rs nodes, which systems have a `formatter`,
# and the restic backups its NixOS hosts run.
#
# Nothing here evaluates a host's whole system: a host's system is what nixpkgs was instantiated
# for, and a backup job is read option by option. A host or a backup that fails to evaluate is
# reported with `system = null` or left out, so one broken host never stops `init`.
{
  # The flake, as `builtins.getFlake` returns it.
  flake,
  # nix/fleet-hosts.nix, which decides what counts as a host (the hosts action's own list).
  fleetHosts,
}:
let
  inherit (builtins)
    attrNames
    deepSeq
    map
    mapAttrs
    tryEval
    ;

  attempt =
    value:
    let
      caught = tryEval (deepSeq value value);
    in
    if caught.success then caught.value else null;

  configurations = {
    nixos = flake.nixosConfigurations or { };
    darwin = flake.darwinConfigurations or { };
    home = flake.homeConfigurations or { };
  };

  # The derivation a host builds, for its `system` when nothing better says it.
  targetOf =
    kind: configuration:
    if kind == "home" then
      configuration.activationPackage
    else if kind == "darwin" && configuration ? system then
      configuration.system
    else
      configuration.config.system.build.toplevel;

  systemOf =
    kind: name:
    let
      configuration = configurations.${kind}.${name};
    in
    attempt (
      configuration.pkgs.stdenv.hostPlatform.system or configuration.config.nixpkgs.hostPlatform.system
        or (targetOf kind configuration).system
    );

  hosts = map (host: {
    inherit (host) kind name;
    system = systemOf host.kind host.name;
  }) (import fleetHosts {
    inherit flake;
    format = "names";
  });

  deployNodes =
    if flake ? deploy && flake.deploy ? nodes then
      mapAttrs (
        _: node:
        attempt {
          hostname = node.hostname or null;
          tags = node.tags or [ ];
        }
      ) flake.deploy.nodes
    else
      null;

  backupsOf =
    name: configuration:
    let
      inherit (configuration) config;
      jobs = attempt (
        mapAttrs (_: job: {
          repository = job.repository or null;
          passwordFile = job.passwordFile or null;
          paths = job.paths or [ ];
          pruneOpts = job.pruneOpts or [ ];
          extraBackupArgs = job.extraBackupArgs or [ ];
          onCalendar = job.timerConfig.OnCalendar or null;
        }) (config.services.restic.backups or { })
      );
    in
    {
      hostName = attempt (config.networking.hostName or name);
      jobs = if jobs == null then { } else jobs;
    };
in
{
  inherit hosts deployNodes;
  formatterSystems = attrNames (flake.formatter or { });
  backups = mapAttrs backupsOf configurations.nixos;
}
