# The hosts of a fleet flake, for flakeflow's hosts and build actions (src/hosts/evaluate.ts).
#
# Every host of every kind is evaluated by the one evaluator process that imports this file, so the
# flake, its inputs and the modules the hosts share are evaluated once, not once per host.
#
# Each host is announced on stderr before it is evaluated (`flakeflow-host-start`) and its record is
# traced once it evaluated (`flakeflow-host-done`). `builtins.tryEval` catches `throw` and `assert`,
# but not an undefined variable, a missing attribute or a type error: those abort the process, and
# the traces tell the caller which host broke and which hosts were already done, so it can start
# again with the rest (`skip`) and lose nothing.
{
  # The flake, as `builtins.getFlake` returns it.
  flake,
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
  # When a list of "<kind>/<name>", evaluate only those and without tryEval, so that Nix reports
  # the error a caught failure hid.
  only ? null,
  # "list": a JSON list of host records, for `nix eval --json`. "names": the hosts without evaluating
  # them. "jobs": an attribute set of derivations per kind, for nix-eval-jobs.
  format ? "list",
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
  selected =
    host:
    if only != null then
      elem (key host) only
    else
      matchesAny include host.name && !(matchesAny exclude host.name) && !(elem (key host) skip);

  record = host: {
    inherit (host) kind name attr system;
    drvPath = host.target.drvPath;
    # Not `outPath`: an attribute set with one would be printed as that path alone.
    output = host.target.outPath;
    buildSystem = host.target.system;
  };

  evaluated =
    host:
    let
      value = record host;
      forced = deepSeq value value;
      caught = tryEval forced;
      result =
        if only != null then
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

  list = map (host: if selected host then evaluated host else stub host) allHosts;

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
in
if format == "names" then
  names
else if format == "jobs" then
  jobs
else
  list
