{
  description = "Alice's dotfiles as a Home Manager module";

  inputs.secrets = {
    url = "git+file:///flakeflow-example-inputs/secrets";
    flake = false;
  };

  outputs =
    { secrets, ... }:
    {
      homeModules.alice = import ./home.nix { inherit secrets; };
    };
}
