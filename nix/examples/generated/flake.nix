{
  description = "A generated fleet for benchmarks and scale tests; hosts.nix lists its hosts";

  outputs =
    { self }:
    let
      homelab = import ./lib;
      hosts = import ./hosts.nix;
      # A host with `ballast = n` holds a list of n × 1024 numbers once evaluated, reachable from its
      # configuration as long as the evaluator lives: the memory a real NixOS host holds, without
      # nixpkgs. The numbers are one shared block, so the list is mostly pointers and leaves little garbage.
      withBallast =
        host: configuration:
        if (host.ballast or 0) == 0 then
          configuration
        else
          let
            block = builtins.genList (index: index) 1024;
            ballast = builtins.concatLists (builtins.genList (_: block) host.ballast);
            held = value: builtins.deepSeq ballast value;
          in
          configuration
          // builtins.mapAttrs (name: held) (
            builtins.intersectAttrs {
              config = null;
              system = null;
              activationPackage = null;
            } configuration
          )
          // {
            inherit ballast;
          };
      ofKind =
        kind:
        builtins.listToAttrs (
          builtins.concatMap (
            name:
            if hosts.${name}.kind == kind then
              [
                {
                  inherit name;
                  value = hosts.${name};
                }
              ]
            else
              [ ]
          ) (builtins.attrNames hosts)
        );
    in
    {
      nixosConfigurations = builtins.mapAttrs (
        _: host: withBallast host (homelab.nixosSystem { modules = [ host.module ]; })
      ) (ofKind "nixos");

      darwinConfigurations = builtins.mapAttrs (
        _: host: withBallast host (homelab.darwinSystem { modules = [ host.module ]; })
      ) (ofKind "darwin");

      homeConfigurations = builtins.mapAttrs (
        _: host:
        withBallast host (
          homelab.homeManagerConfiguration {
            inherit (host) system;
            modules = [ host.module ];
          }
        )
      ) (ofKind "home-manager");

      deploy.nodes = builtins.mapAttrs (
        name: host:
        homelab.deployNode {
          configuration = self.nixosConfigurations.${name};
          hostname = "${name}.fleet.internal";
          inherit (host) tags wave;
        }
      ) (ofKind "nixos");

      formatter.x86_64-linux = homelab.formatter "x86_64-linux";
    };
}
