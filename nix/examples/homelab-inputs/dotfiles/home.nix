{ secrets }:
{ ... }:
{
  home.stateVersion = "24.05";

  programs.git = {
    enable = true;
    userName = "Alice Liddell";
    userEmail = "alice@example.org";
    extraConfig.init.defaultBranch = "main";
  };
  programs.zsh.enable = true;

  home.file.".config/shell/aliases.sh".text = builtins.readFile ./shell/aliases.sh;
  home.file.".ssh/authorized_keys".text = builtins.readFile "${secrets}/authorized_keys/alice";
}
