# agenix-style secrets: each backup's restic password is an age file in the secrets repository.
{ config, inputs, ... }:
{
  age.secrets = builtins.listToAttrs (
    map (service: {
      name = "restic-${service}";
      value = {
        file = "${inputs.secrets}/restic/${service}.age";
        path = "/run/agenix/restic-${service}";
      };
    }) (builtins.attrNames config.homelab.backups)
  );
}
