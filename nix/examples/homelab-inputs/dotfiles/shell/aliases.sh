alias ll='ls -lh'
alias gs='git status --short'
alias rebuild='sudo nixos-rebuild switch --flake .'
