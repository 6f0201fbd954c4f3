# The fleet model: everything flakeflow asks of a fleet flake, from one evaluation where it can
# (src/nix/fleet.ts is its only caller). `facts` says what to compute, so a caller pays only for
# what it asks: the hosts' derivations, their names, or their systems and backups, the deploy-rs nodes (whether there
# are any, what flakeflow reads of them, their profiles' paths), the `flakeflow.nodes` map and the
# configurations' toplevels of the switch engine, the formatter's systems, the restic backups per host.
#
# Hosts: every host of every kind is evaluated by the one evaluator process that imports this file, so the
# flake, its inputs and the modules the hosts share are evaluated once, not once per host.
#
# Each host is announced on stderr before it is evaluated (`flakeflow-host-start`) and its record is
# traced once it evaluated (`flakeflow-host-done`). `builtins.tryEval` catches `throw` and `assert`,
# but not an undefined variable, a missing attribute or a type error: those abort the process, and
# the traces tell the caller which host broke and which hosts were already done, so it can start
# again with the rest (`skip`) and lose nothing.
{
  # The flake, as `builtins.getFlake` returns it.
  flake ? { },
  # What to compute, any of: "hosts" (evaluated, one record each), "names" (listed, not evaluated),
  # "deploy" (deploy-rs's deploy.nodes),
  # "flakeflowNodes" (the flake's `flakeflow.nodes`), "formatter" (its systems), "backups"
  # (services.restic.backups of the NixOS hosts), "hasDeployNodes" (whether deploy.nodes exists,
  # no node evaluated), "toplevels" (each configuration's toplevel, drv and out path),
  # "deployProfiles" (each deploy-rs node's profiles: path, profilePath, user).
  facts ? [ "hosts" ],
  # With "toplevels": only these configurations; null: those `flakeflow.nodes` names when the
  # flake has it, else all.
  toplevelHosts ? null,
  # With "deployProfiles": only these deploy-rs nodes; all when null.
  profileNodes ? null,
  # With "backups": only these NixOS hosts; all when null.
  backupHosts ? null,
  # With "backups": one host's `config`, evaluated by the caller (so that Nix itself names a
  # missing host); the fact is then that host's backups alone.
  hostConfig ? null,
  # Report a node, a backup or a system that fails to evaluate as null instead of failing (init).
  tolerant ? false,
  # Outputs that hold hosts: any of "nixos" "darwin" "home" "checks".
  kinds ? [
    "nixos"
    "darwin"
    "home"
  ],
  # POSIX extended regular expressions over host names; flakeflow translates the user's globs.
  include ? [ ".*" ],
  exclude ? [ ],
  # Hosts not to evaluate again, as "<kind>/<name>": done or failed in an earlier attempt.
  skip ? [ ],
  # When a list of "<kind>/<name>", evaluate only those, in that order and without tryEval, so
  # that Nix reports the error a caught failure hid; a key the flake does not have is left out.
  only ? null,
  # When `{ index, count }`: of the hosts include and exclude select, evaluate every count-th from
  # the index-th, without tryEval, after tracing (`flakeflow-shard`) every selected host's key, this
  # shard's keys in the order they are evaluated, and the names: one process of a pool learns its
  # share from the flake itself, with no evaluation beforehand that lists the hosts.
  shard ? null,
  # With "hosts", what each host's record holds: "build", its derivation (the hosts action); "inspect",
  # its system and, for a NixOS host, its restic backups (init), each null where it fails to evaluate.
  hostRecord ? "build",
  # "facts": an attribute set of the facts asked for, for `nix eval --json`. "jobs": an attribute set
  # of the selected hosts' derivations per kind, for nix-eval-jobs.
  format ? "facts",
}:
let
  inherit (builtins)
    any
    attrNames
    concatMap
    elem
    filter
    listToAttrs
    map
    match
    toJSON
    trace
    tryEval
    deepSeq
    seq
    mapAttrs
    concatLists
    attrValues
    genList
    elemAt
    length
    ;

  matchesAny = patterns: name: any (pattern: match pattern name != null) patterns;
  key = host: "${host.kind}/${host.name}";

  configurationsOf = output: flake.${output} or { };

  # The system a host runs on: what nixpkgs was instantiated for, else what its derivation says.
  platformOf =
    configuration: target:
    configuration.pkgs.stdenv.hostPlatform.system or configuration.config.nixpkgs.hostPlatform.system
      or target.system;

  nixosHost = name: configuration: rec {
    kind = "nixos";
    inherit name;
    attr = [
      "nixosConfigurations"
      name
      "config"
      "system"
      "build"
      "toplevel"
    ];
    target = configuration.config.system.build.toplevel;
    system = platformOf configuration target;
  };

  # nix-darwin exposes `system`; configurations built without its wrapper only the toplevel.
  darwinHost =
    name: configuration:
    let
      hasSystem = configuration ? system;
    in
    rec {
      kind = "darwin";
      inherit name;
      attr = [
        "darwinConfigurations"
        name
      ]
      ++ (
        if hasSystem then
          [ "system" ]
        else
          [
            "config"
            "system"
            "build"
            "toplevel"
          ]
      );
      target = if hasSystem then configuration.system else configuration.config.system.build.toplevel;
      system = platformOf configuration target;
    };

  homeHost = name: configuration: rec {
    kind = "home";
    inherit name;
    attr = [
      "homeConfigurations"
      name
      "activationPackage"
    ];
    target = configuration.activationPackage;
    system = configuration.pkgs.stdenv.hostPlatform.system or target.system;
  };

  checkHosts =
    let
      checks = flake.checks or { };
    in
    concatMap (
      system:
      map (check: {
        kind = "checks";
        name = "checks.${system}.${check}";
        attr = [
          "checks"
          system
          check
        ];
        target = checks.${system}.${check};
        inherit system;
      }) (attrNames checks.${system})
    ) (attrNames checks);

  configurationHosts =
    output: describe:
    let
      configurations = configurationsOf output;
    in
    map (name: describe name configurations.${name}) (attrNames configurations);

  hostsOfKind = {
    nixos = configurationHosts "nixosConfigurations" nixosHost;
    darwin = configurationHosts "darwinConfigurations" darwinHost;
    home = configurationHosts "homeConfigurations" homeHost;
    checks = checkHosts;
  };

  allHosts = concatMap (kind: hostsOfKind.${kind}) kinds;
  hostsByKey = listToAttrs (
    map (host: {
      name = key host;
      value = host;
    }) allHosts
  );
  onlyHosts = map (wanted: hostsByKey.${wanted}) (filter (wanted: hostsByKey ? ${wanted}) only);
  onlyKeys = listToAttrs (
    map (wanted: {
      name = wanted;
      value = true;
    }) only
  );
  selected =
    host:
    if only != null then
      onlyKeys ? ${key host}
    else
      matchesAny include host.name && !(matchesAny exclude host.name) && !(elem (key host) skip);
  strict = only != null || shard != null;

  selectedHosts = filter selected allHosts;
  selectedCount = length selectedHosts;
  shardHosts = genList (position: elemAt selectedHosts (shard.index + position * shard.count)) (
    if selectedCount > shard.index then (selectedCount - shard.index + shard.count - 1) / shard.count else 0
  );

  record = host: {
    inherit (host) kind name attr system;
    drvPath = host.target.drvPath;
    # Not `outPath`: an attribute set with one would be printed as that path alone.
    output = host.target.outPath;
    buildSystem = host.target.system;
  };

  inspection = host: {
    inherit (host) kind name;
    system = systemOf host;
    backups =
      if host.kind == "nixos" then
        backupsOfConfig host.name (configurationsOf "nixosConfigurations").${host.name}.config
      else
        null;
  };

  evaluated =
    host:
    let
      value = if hostRecord == "inspect" then inspection host else record host;
      forced = deepSeq value value;
      caught = tryEval forced;
      result =
        if strict then
          forced
        else if caught.success then
          caught.value
        else
          {
            inherit (host) kind name;
            failed = true;
          };
    in
    trace "flakeflow-host-start ${key host}" (seq result (trace "flakeflow-host-done ${toJSON result}" result));

  stub = host: {
    inherit (host) kind name;
    selected = false;
  };

  list =
    if only != null then
      map evaluated onlyHosts
    else if shard != null then
      trace "flakeflow-shard ${
        toJSON {
          keys = map key selectedHosts;
          batch = map key shardHosts;
          inherit names;
        }
      }" (map evaluated shardHosts)
    else
      map (host: if selected host then evaluated host else stub host) allHosts;

  names = map (host: {
    inherit (host) kind name;
    selected = selected host;
  }) allHosts;

  # The meta that nix-eval-jobs prints with --meta: what its own output lacks.
  job =
    host:
    host.target
    // {
      meta.flakeflow = {
        inherit (host) attr system;
      };
    };

  jobs = listToAttrs (
    map (kind: {
      name = kind;
      value = {
        recurseForDerivations = true;
      }
      // listToAttrs (
        map (host: {
          inherit (host) name;
          value = job host;
        }) (filter selected hostsOfKind.${kind})
      );
    }) kinds
  );

  attempt =
    value:
    let
      caught = tryEval (deepSeq value value);
    in
    if caught.success then caught.value else null;
  guarded = value: if tolerant then attempt value else value;

  targetOf =
    kind: configuration:
    if kind == "home" then
      configuration.activationPackage
    else if kind == "darwin" && configuration ? system then
      configuration.system
    else
      configuration.config.system.build.toplevel;

  # A host's system without evaluating its whole system: what nixpkgs was instantiated for.
  systemOf =
    host:
    if host.kind == "checks" then
      host.system
    else
      let
        configuration = (configurationsOf "${host.kind}Configurations").${host.name};
      in
      attempt (platformOf configuration (targetOf host.kind configuration));

  # Where deploy-rs links a node's profile, without its `path` (which evaluates the system).
  deployProfileLink = node: profile: {
    profilePath = profile.profilePath or null;
    user = profile.user or node.user or flake.deploy.user or "root";
  };

  # Only what flakeflow reads of deploy-rs's `deploy`, so no profile's `path` (a whole system) is forced.
  deploy =
    if flake ? deploy then
      let
        inherit (flake) deploy;
      in
      {
        sshUser = deploy.sshUser or null;
        sshOpts = deploy.sshOpts or [ ];
        nodes =
          if deploy ? nodes then
            mapAttrs (
              _: node:
              guarded {
                hostname = node.hostname or null;
                tags = node.tags or [ ];
                wave = node.wave or null;
                sshUser = node.sshUser or null;
                # deploy-rs's order: the profiles', then the node's (ssh keeps the first `-o`).
                sshOpts =
                  concatLists (map (profile: profile.sshOpts or [ ]) (attrValues (node.profiles or { })))
                  ++ (node.sshOpts or [ ]);
                profiles = mapAttrs (_: deployProfileLink node) (node.profiles or { });
              }
            ) deploy.nodes
          else
            null;
      }
    else
      null;

  hasFlakeflowNodes = flake ? flakeflow && flake.flakeflow ? nodes;

  # The switch engine's node map: name -> { address, ssh-user, tags, wave, profile, current-system },
  # as written, so that its schema can name a misspelt attribute. It holds only plain data.
  flakeflowNodes =
    if hasFlakeflowNodes then mapAttrs (_: node: guarded node) flake.flakeflow.nodes else null;

  hasDeployNodes = flake ? deploy && builtins.isAttrs flake.deploy && flake.deploy ? nodes;

  # The switch engine's targets: each configuration's toplevel, evaluated (drv and out path), not built.
  # A name held by two kinds is the NixOS one, then the nix-darwin one (listToAttrs keeps the first).
  toplevelNames =
    if toplevelHosts != null then
      toplevelHosts
    else if hasFlakeflowNodes then
      attrNames flake.flakeflow.nodes
    else
      null;
  toplevels = listToAttrs (
    map
      (host: {
        inherit (host) name;
        value = {
          inherit (host) kind;
          attrPath = host.attr;
          drvPath = host.target.drvPath;
          path = host.target.outPath;
        };
      })
      (
        filter (host: toplevelNames == null || elem host.name toplevelNames) (
          concatMap (kind: hostsOfKind.${kind}) (filter (kind: kind != "checks") kinds)
        )
      )
  );

  # Each deploy-rs profile's path (which evaluates the node's system), and where deploy-rs puts it.
  deployProfiles =
    let
      inherit (flake) deploy;
      nodes =
        if profileNodes == null then
          deploy.nodes
        else
          builtins.intersectAttrs (listToAttrs (
            map (name: {
              inherit name;
              value = null;
            }) profileNodes
          )) deploy.nodes;
    in
    mapAttrs (
      _: node:
      mapAttrs (_: profile: deployProfileLink node profile // { path = "${profile.path}"; }) (
        node.profiles or { }
      )
    ) nodes;

  # Only the options flakeflow reads, so options holding functions or packages
  # (`backupPrepareCommand`, `package`) are never forced into JSON.
  backupsOfConfig =
    name: config:
    let
      jobs = guarded (
        mapAttrs (_: job: {
          repository = job.repository or null;
          passwordFile = job.passwordFile or null;
          paths = job.paths or null;
          pruneOpts = job.pruneOpts or [ ];
          extraBackupArgs = job.extraBackupArgs or [ ];
          timerConfig = job.timerConfig or null;
        }) (config.services.restic.backups or { })
      );
    in
    {
      hostName = guarded (config.networking.hostName or null);
      jobs = if jobs == null then { } else jobs;
    };

  nixosHosts = configurationsOf "nixosConfigurations";
  backups =
    if hostConfig != null then
      backupsOfConfig null hostConfig
    else
      mapAttrs (name: configuration: backupsOfConfig name configuration.config) (
        if backupHosts == null then
          nixosHosts
        else
          listToAttrs (
            map (name: {
              inherit name;
              value = nixosHosts.${name};
            }) backupHosts
          )
      );

  computed = {
    hosts = list;
    inherit
      names
      deploy
      flakeflowNodes
      hasDeployNodes
      toplevels
      deployProfiles
      backups
      ;
    formatter = attrNames (flake.formatter or { });
  };
in
if format == "jobs" then jobs else listToAttrs (map (fact: {
  name = fact;
  value = computed.${fact};
}) facts)
