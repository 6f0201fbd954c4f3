# Public keys only: the age files under restic/ are encrypted to these keys and the hosts' own.
let
  readKeys =
    file:
    builtins.filter (line: builtins.isString line && line != "") (
      builtins.split "\n" (builtins.readFile file)
    );
in
{
  admins = {
    alice = readKeys ./authorized_keys/alice;
  };
  deploy = readKeys ./authorized_keys/deploy;
}
