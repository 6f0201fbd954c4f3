# One batch of hosts for an evaluator process of src/nix/eval-workers.ts: each host's derivation,
# found by its attribute path in the flake's outputs, evaluated in the order given.
#
# Each host is announced on stderr before it is evaluated (`flakeflow-host-start <key>`) and its
# record is traced once it evaluated (`flakeflow-host-done {json}`), so the caller sees progress as
# it happens, stops a process that grew too large between two hosts, and knows which host an error
# that aborted the process belongs to. Nothing is caught: Nix's own message names the error.
{
  # The flake, as `builtins.getFlake` returns it.
  flake,
  # [ { key = "nixos/pi"; attr = [ "nixosConfigurations" "pi" "config" "system" "build" "toplevel" ]; } ]
  hosts,
}:
let
  inherit (builtins)
    deepSeq
    foldl'
    seq
    toJSON
    trace
    ;

  evaluated =
    host:
    let
      target = foldl' (value: name: value.${name}) flake host.attr;
      record = {
        inherit (host) key;
        inherit (target) drvPath system;
        # Not `outPath`: an attribute set with one would be printed as that path alone.
        output = target.outPath;
      };
      forced = deepSeq record record;
    in
    trace "flakeflow-host-start ${host.key}" (seq forced (trace "flakeflow-host-done ${toJSON forced}" forced));
in
map evaluated hosts
