{
  description = "A generated fleet for benchmarks and scale tests; hosts.nix lists its hosts";

  outputs =
    { self }:
    let
      homelab = import ./lib;
      hosts = import ./hosts.nix;
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
        _: host: homelab.nixosSystem { modules = [ host.module ]; }
      ) (ofKind "nixos");

      darwinConfigurations = builtins.mapAttrs (
        _: host: homelab.darwinSystem { modules = [ host.module ]; }
      ) (ofKind "darwin");

      homeConfigurations = builtins.mapAttrs (
        _: host:
        homelab.homeManagerConfiguration {
          inherit (host) system;
          modules = [ host.module ];
        }
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
