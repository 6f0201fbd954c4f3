# A Raspberry Pi 4 on the hallway shelf running Home Assistant.
{ ... }:
{
  imports = [
    ./hardware-configuration.nix
    ../../modules/common.nix
    ../../modules/users.nix
    ../../modules/backups.nix
    ../../modules/secrets.nix
  ];

  networking.hostName = "pi";
  networking.firewall.allowedTCPPorts = [ 8123 ];

  services.home-assistant = {
    enable = true;
    extraComponents = [
      "met"
      "zha"
    ];
  };
  homelab.backups.home-assistant = {
    paths = [ "/var/lib/hass" ];
    schedule = "*-*-* 04:00:00";
  };
}
