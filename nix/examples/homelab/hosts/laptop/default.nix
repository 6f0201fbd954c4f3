# Alice's MacBook, managed by nix-darwin with her dotfiles through Home Manager.
{ inputs, ... }:
{
  nixpkgs.hostPlatform = "aarch64-darwin";
  networking.hostName = "alices-macbook";
  networking.computerName = "Alice's MacBook";

  nix.settings.experimental-features = [
    "nix-command"
    "flakes"
  ];
  security.pam.enableSudoTouchIdAuth = true;
  homebrew = {
    enable = true;
    casks = [
      "firefox"
      "tailscale"
    ];
  };

  users.users.alice.home = "/Users/alice";
  home-manager.users.alice = inputs.dotfiles.homeModules.alice;

  system.stateVersion = 5;
}
