# Router and DNS for the whole flat.
{ ... }:
{
  imports = [
    ../../modules/common.nix
    ../../modules/users.nix
    ../../modules/backups.nix
    ../../modules/secrets.nix
  ];

  nixpkgs.hostPlatform = "x86_64-linux";
  networking.hostName = "gateway";
  networking.nat = {
    enable = true;
    externalInterface = "wan0";
    internalInterfaces = [ "lan0" ];
  };
  networking.firewall.allowedUDPPorts = [ 53 ];
  fileSystems."/" = {
    device = "/dev/disk/by-label/nixos";
    fsType = "ext4";
  };

  services.adguardhome = {
    enable = true;
    settings.dns.upstream_dns = [ "9.9.9.9" ];
  };
  homelab.backups.adguardhome.paths = [ "/var/lib/AdGuardHome" ];
}
