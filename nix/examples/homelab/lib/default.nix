# Stands in for nixpkgs' lib.nixosSystem, nix-darwin's darwinSystem and home-manager's
# homeManagerConfiguration, so this fleet evaluates and builds offline in seconds without nixpkgs.
# A host's output is a builtins.derivation run by /bin/sh (so builds need `sandbox = false`) that
# writes the host's whole configuration as JSON: any change to a module or an input a host uses
# changes that host's derivation, as it would on a real fleet.
let
  # The definitions several modules give one option: attribute sets merge, lists concatenate, and
  # otherwise the module listed last wins. Imports come before the module importing them, so a
  # host overrides the shared modules' defaults, as lib.mkDefault would let it. Mixing a set or a
  # list with another kind of value is an error naming the option, as in the real module system.
  merge =
    option: definitions:
    if builtins.length definitions == 1 then
      builtins.head definitions
    else if builtins.all builtins.isAttrs definitions then
      builtins.zipAttrsWith (name: merge "${option}.${name}") definitions
    else if builtins.all builtins.isList definitions then
      builtins.concatLists definitions
    else if builtins.any (value: builtins.isAttrs value || builtins.isList value) definitions then
      throw "The option `${option}' has conflicting definitions: sets or lists mixed with other values."
    else
      builtins.elemAt definitions (builtins.length definitions - 1);

  # Modules are paths, functions of { config, pkgs, ... } or attribute sets, and may list
  # `imports`. Like the real module system, a module's top-level attribute names must not depend
  # on `config`; its values may.
  evalModules =
    {
      modules,
      args,
      finish,
    }:
    let
      load = module: if builtins.isPath module || builtins.isString module then import module else module;
      apply =
        module:
        let
          value = load module;
        in
        if builtins.isFunction value then value (args // { inherit config; }) else value;
      collect =
        module:
        let
          value = apply module;
        in
        builtins.concatMap collect (value.imports or [ ]) ++ [ (builtins.removeAttrs value [ "imports" ]) ];
      config = finish (merge "config" (builtins.concatMap collect modules));
    in
    config;

  matches = pattern: string: builtins.match pattern string != null;

  platform = system: {
    inherit system;
    isLinux = matches ".*-linux" system;
    isDarwin = matches ".*-darwin" system;
    isAarch64 = matches "aarch64-.*" system;
    isx86_64 = matches "x86_64-.*" system;
  };

  # The little of nixpkgs a module here may ask for.
  pkgsFor = system: {
    inherit system;
    stdenv = {
      hostPlatform = platform system;
      buildPlatform = platform system;
    };
  };

  # The Home Manager NixOS and nix-darwin module: each `home-manager.users.<name>` is a module
  # evaluated on its own, with `home.username` set to the user's name.
  homeManagerUsers =
    merged:
    if merged ? home-manager then
      {
        home-manager = merged.home-manager // {
          users = builtins.mapAttrs (
            user: module:
            evalModules {
              modules = [
                { home.username = user; }
                module
              ];
              args.pkgs = pkgsFor merged.nixpkgs.hostPlatform;
              finish = settings: settings;
            }
          ) merged.home-manager.users;
        };
      }
    else
      { };

  hostOutput =
    {
      name,
      system,
      settings,
    }:
    builtins.derivation {
      inherit name system;
      builder = "/bin/sh";
      args = [
        "-c"
        ''printf '%s\n' "$settings" > "$out"''
      ];
      settings = builtins.toJSON settings;
    };

  # A configuration whose `nixpkgs.hostPlatform` is a system string, elaborated as NixOS and
  # nix-darwin do, and whose `system.build.toplevel` is built from everything else in it.
  systemConfiguration =
    {
      class,
      outputName,
      modules,
      specialArgs,
    }:
    let
      config = evalModules {
        inherit modules;
        args = specialArgs // {
          inherit pkgs;
        };
        finish =
          merged:
          let
            settings =
              merged
              // {
                nixpkgs = merged.nixpkgs // {
                  hostPlatform = platform merged.nixpkgs.hostPlatform;
                };
              }
              // homeManagerUsers merged;
          in
          settings
          // {
            system = (settings.system or { }) // {
              build.toplevel = hostOutput {
                name = outputName settings;
                system = settings.nixpkgs.hostPlatform.system;
                inherit settings;
              };
            };
          };
      };
      pkgs = pkgsFor config.nixpkgs.hostPlatform.system;
    in
    {
      _type = "configuration";
      inherit class config pkgs;
      options = { };
    };
in
{
  nixosSystem =
    {
      modules,
      specialArgs ? { },
    }:
    systemConfiguration {
      class = "nixos";
      outputName = settings: "nixos-system-${settings.networking.hostName}-${settings.system.nixos.release}";
      modules = [ { system.nixos.release = "24.11"; } ] ++ modules;
      inherit specialArgs;
    };

  darwinSystem =
    {
      modules,
      specialArgs ? { },
    }:
    let
      darwin = systemConfiguration {
        class = "darwin";
        outputName = settings: "darwin-system-${settings.networking.hostName}";
        inherit modules specialArgs;
      };
    in
    darwin // { system = darwin.config.system.build.toplevel; };

  homeManagerConfiguration =
    {
      system,
      modules,
      extraSpecialArgs ? { },
    }:
    let
      pkgs = pkgsFor system;
      config = evalModules {
        inherit modules;
        args = extraSpecialArgs // {
          inherit pkgs;
        };
        finish =
          settings:
          settings
          // {
            home = settings.home // {
              activationPackage = hostOutput {
                name = "home-manager-generation";
                inherit system settings;
              };
            };
          };
      };
    in
    {
      inherit config pkgs;
      inherit (config.home) activationPackage;
    };

  # What deploy-rs reads from `deploy.nodes.<name>`; `tags` and `wave` are this fleet's own
  # rollout order, which deploy-rs ignores.
  deployNode =
    {
      configuration,
      hostname,
      tags,
      wave,
    }:
    {
      inherit hostname tags wave;
      sshUser = "deploy";
      profiles.system = {
        user = "root";
        path = configuration.config.system.build.toplevel;
      };
    };

  # A stand-in for nixfmt with the same command line: host tools from /usr/bin and /bin install it.
  formatter =
    system:
    builtins.derivation {
      name = "homelab-fmt";
      inherit system;
      builder = "/bin/sh";
      args = [
        "-c"
        ''mkdir -p "$out/bin" && cp "$script" "$out/bin/homelab-fmt" && chmod 555 "$out/bin/homelab-fmt"''
      ];
      script = ./homelab-fmt.sh;
      PATH = "/usr/bin:/bin";
    }
    // {
      meta.mainProgram = "homelab-fmt";
    };
}
