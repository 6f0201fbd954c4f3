# Admins and the deploy user log in with the public keys kept in the secrets repository.
{ inputs, ... }:
let
  keys = import "${inputs.secrets}/keys.nix";
in
{
  users.users.deploy = {
    isNormalUser = true;
    extraGroups = [ "wheel" ];
    openssh.authorizedKeys.keys = keys.deploy;
  };
  users.users.root.openssh.authorizedKeys.keys = builtins.concatLists (builtins.attrValues keys.admins);
  security.sudo.wheelNeedsPassword = false;
}
