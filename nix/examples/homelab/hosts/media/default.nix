# Streams the film collection; the first host each rollout reaches.
{ ... }:
{
  imports = [
    ../../modules/common.nix
    ../../modules/users.nix
    ../../modules/backups.nix
    ../../modules/secrets.nix
  ];

  nixpkgs.hostPlatform = "x86_64-linux";
  networking.hostName = "media";
  networking.firewall.allowedTCPPorts = [ 8096 ];
  fileSystems."/" = {
    device = "/dev/vda1";
    fsType = "ext4";
  };

  services.jellyfin = {
    enable = true;
    openFirewall = false;
  };
  homelab.backups.jellyfin.paths = [ "/var/lib/jellyfin" ];
}
