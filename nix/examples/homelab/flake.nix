{
  description = "Alice's homelab: three NixOS servers, a Raspberry Pi, a MacBook and a work machine";

  # The input URLs point at a placeholder directory; see README.md for how they are rewritten.
  inputs = {
    secrets = {
      url = "git+file:///flakeflow-example-inputs/secrets";
      flake = false;
    };
    dotfiles = {
      url = "git+file:///flakeflow-example-inputs/dotfiles";
      inputs.secrets.follows = "secrets";
    };
  };

  outputs =
    {
      self,
      secrets,
      dotfiles,
    }:
    let
      homelab = import ./lib;
      specialArgs.inputs = { inherit self secrets dotfiles; };

      # deploy-rs rolls out wave by wave: the canary first, the network's edge last.
      servers = {
        media = {
          tags = [
            "canary"
            "servers"
          ];
          wave = 1;
        };
        homeserver = {
          tags = [
            "servers"
            "storage"
          ];
          wave = 2;
        };
        gateway = {
          tags = [
            "edge"
            "network"
          ];
          wave = 3;
        };
        pi = {
          tags = [
            "edge"
            "arm"
          ];
          wave = 3;
        };
      };

      linuxSystems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forLinuxSystems =
        outputOf:
        builtins.listToAttrs (
          map (system: {
            name = system;
            value = outputOf system;
          }) linuxSystems
        );
    in
    {
      nixosConfigurations = builtins.mapAttrs (
        name: _:
        homelab.nixosSystem {
          inherit specialArgs;
          modules = [ (./hosts + "/${name}") ];
        }
      ) servers;

      darwinConfigurations.laptop = homelab.darwinSystem {
        inherit specialArgs;
        modules = [ ./hosts/laptop ];
      };

      homeConfigurations."alice@workstation" = homelab.homeManagerConfiguration {
        system = "x86_64-linux";
        extraSpecialArgs = specialArgs;
        modules = [ ./home/alice.nix ];
      };

      deploy.nodes = builtins.mapAttrs (
        name: server:
        homelab.deployNode {
          configuration = self.nixosConfigurations.${name};
          hostname = "${name}.home.arpa";
          inherit (server) tags wave;
        }
      ) servers;

      formatter = forLinuxSystems homelab.formatter;

      checks = forLinuxSystems (system: {
        deploy-waves = builtins.derivation {
          name = "deploy-waves";
          inherit system;
          builder = "/bin/sh";
          args = [
            "-c"
            ''printf '%s\n' "$waves" > "$out"''
          ];
          waves = builtins.toJSON (builtins.mapAttrs (_: node: node.wave) self.deploy.nodes);
        };
      });
    };
}
