# Every service listed in `homelab.backups` gets a nightly restic backup with the fleet's
# retention, tagged with the service's name, into its own repository under
# `homelab.backupRepository`.
{ config, ... }:
let
  backup = service: settings: {
    repository = "${config.homelab.backupRepository}/${service}";
    passwordFile = "/run/agenix/restic-${service}";
    initialize = true;
    inherit (settings) paths;
    exclude = settings.exclude or [ ];
    pruneOpts = [
      "--keep-daily 7"
      "--keep-weekly 4"
      "--keep-monthly 6"
      "--keep-yearly 1"
    ];
    timerConfig = {
      OnCalendar = settings.schedule or "daily";
      Persistent = true;
      RandomizedDelaySec = "1h";
    };
    extraBackupArgs = [
      "--tag"
      service
    ];
  };
in
{
  homelab.backupRepository = "sftp:restic@backup.home.arpa:/srv/restic/${config.networking.hostName}";
  homelab.backups = { };
  services.restic.backups = builtins.mapAttrs backup config.homelab.backups;
}
