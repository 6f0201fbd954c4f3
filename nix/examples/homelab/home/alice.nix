# Alice's Ubuntu workstation at work: no NixOS there, only Home Manager.
{ inputs, ... }:
{
  imports = [ inputs.dotfiles.homeModules.alice ];

  home.username = "alice";
  home.homeDirectory = "/home/alice";
  programs.git.extraConfig.user.signingKey = "~/.ssh/id_ed25519.pub";
}
