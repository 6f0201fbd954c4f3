#!/bin/sh
# homelab-fmt stands in for nixfmt so `nix fmt` works offline. It takes the same arguments
# (`--check`, then files or directories), fails on paths that do not exist, and leaves every
# .nix file as it is.
status=0
for path in "$@"; do
  case "$path" in
    --check) ;;
    -*) echo "homelab-fmt: unknown option $path" >&2; exit 2 ;;
    *) if [ ! -e "$path" ]; then echo "homelab-fmt: $path: no such file or directory" >&2; status=1; fi ;;
  esac
done
exit "$status"
