# The box in the cupboard: photos, passwords and the backup disk.
{ ... }:
{
  imports = [
    ./hardware-configuration.nix
    ../../modules/common.nix
    ../../modules/users.nix
    ../../modules/backups.nix
    ../../modules/secrets.nix
  ];

  networking.hostName = "homeserver";
  networking.firewall.allowedTCPPorts = [
    80
    443
  ];

  services.immich = {
    enable = true;
    mediaLocation = "/srv/photos";
    port = 2283;
  };
  services.vaultwarden = {
    enable = true;
    backupDir = "/var/backup/vaultwarden";
    config.ROCKET_PORT = 8222;
  };

  # The USB disk is mounted here, so this host's backups skip the network.
  homelab.backupRepository = "/mnt/backup/restic";
  homelab.backups = {
    immich = {
      paths = [
        "/srv/photos"
        "/var/lib/immich"
      ];
      exclude = [
        "/srv/photos/thumbs"
        "/srv/photos/encoded-video"
      ];
    };
    vaultwarden = {
      paths = [ "/var/backup/vaultwarden" ];
      schedule = "*-*-* 03:30:00";
    };
  };
}
