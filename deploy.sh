#!/usr/bin/env bash
# Deploys fmc on a server where it runs as a systemd service from a git checkout.
# Run `./deploy.sh --help`; the README's "Operate it" section has the whole setup.
set -euo pipefail
# Without it, `x=$(f)` runs f with errexit off and a failed step inside would go unnoticed.
shopt -s inherit_errexit nullglob

usage() {
  cat <<'EOF'
Usage: deploy.sh <mode>

Modes:
  deploy             back up the release and databases (keeping the last $FMC_KEEP), git pull
                     --ff-only, install, build, `fmc health` on the new build, restart the
                     service, wait for /api/health; on any failure put the previous release
                     and databases back and restart it
  restart            restart the service and wait for /api/health (with FMC_INSTANCES: each
                     instance in turn, the next only once the one before answers)
  health             `fmc health --url $FMC_HEALTH_URL` with the service's environment
  rollback           put back the newest backed-up release older than the running one (code
                     only; `rollback --with-data` also restores its databases) and restart
  status             service state, running commit, /api/health, backups
  -h, --help         this help

Settings (environment variables):
  FMC_APP_DIR        the git checkout the service runs       (default: this script's folder)
  FMC_BACKUP_DIR     release backups                         (default: $FMC_APP_DIR/../backups)
  FMC_KEEP           release backups kept                    (default: 5)
  FMC_SERVICE        systemd unit                            (default: fmc.service)
  FMC_ENV_FILE       the unit's EnvironmentFile              (default: /etc/fmc/fmc.env)
  FMC_HEALTH_URL     where the service answers               (default: http://127.0.0.1:8502)
  FMC_HEALTH_TIMEOUT seconds to wait for /api/health         (default: 60)
  FMC_INSTANCES      several instances on one PostgreSQL, rolled one at a time: space-separated
                     unit=url pairs, e.g. "fmc@8502.service=http://127.0.0.1:8502
                     fmc@8503.service=http://127.0.0.1:8503"; replaces FMC_SERVICE and
                     FMC_HEALTH_URL for restarts and stops   (default: none)
  FMC_HEALTH_ARGS    extra `fmc health` flags, e.g. "--provider rules"   (default: none)
  FMC_INSTALL_CMD    install step, run in FMC_APP_DIR        (default: npm ci)
  FMC_BUILD_CMD      build step, run in FMC_APP_DIR          (default: npm run build)
  FMC_NODE           node binary                             (default: node)
  SYSTEMCTL          systemctl command, e.g. "sudo -n systemctl"  (default: systemctl)

Exit status: 0 done; 1 failed (after a deploy failure: rolled back, or says it could not);
2 bad usage.
EOF
}

APP_DIR=${FMC_APP_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
BACKUP_DIR=${FMC_BACKUP_DIR:-$(dirname "$APP_DIR")/backups}
KEEP=${FMC_KEEP:-5}
SERVICE=${FMC_SERVICE:-fmc.service}
ENV_FILE=${FMC_ENV_FILE:-/etc/fmc/fmc.env}
HEALTH_URL=${FMC_HEALTH_URL:-http://127.0.0.1:8502}
HEALTH_TIMEOUT=${FMC_HEALTH_TIMEOUT:-60}
INSTALL_CMD=${FMC_INSTALL_CMD:-npm ci}
BUILD_CMD=${FMC_BUILD_CMD:-npm run build}
NODE=${FMC_NODE:-node}
read -r -a SYSTEMCTL_CMD <<<"${SYSTEMCTL:-systemctl}"
read -r -a HEALTH_ARGS <<<"${FMC_HEALTH_ARGS:-}"
read -r -a INSTANCES <<<"${FMC_INSTANCES:-}"

say() { printf 'deploy.sh: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}

# FMC_KEEP=0 would prune the backup this deploy just made, the one a rollback needs.
if ! [[ $KEEP =~ ^[1-9][0-9]*$ && $HEALTH_TIMEOUT =~ ^[1-9][0-9]*$ ]]; then
  say "FMC_KEEP and FMC_HEALTH_TIMEOUT must be whole numbers ≥ 1"
  exit 2
fi

for pair in "${INSTANCES[@]}"; do
  if ! [[ $pair =~ ^[^=[:space:]]+=https?://[^[:space:]]+$ ]]; then
    say "FMC_INSTANCES: \"$pair\" is not unit=url (e.g. fmc@8502.service=http://127.0.0.1:8502)"
    exit 2
  fi
done

# 9>&-: the deploy lock must not leak into whatever systemctl starts.
systemctl_() { "${SYSTEMCTL_CMD[@]}" "$@" 9>&-; }

# The service's variables, so `fmc health`/`backup`/`restore` see what the service sees.
# Read line by line rather than sourced: the file is systemd syntax, not shell, and its
# values (keys, secrets) must never be evaluated or echoed. Only fmc's own subshell gets
# them: `npm ci` runs third-party install scripts, which have no business seeing API keys.
load_env_file() {
  [[ -r $ENV_FILE ]] || return 0
  local line key value
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    [[ $line =~ ^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    key=${BASH_REMATCH[1]}
    value=${BASH_REMATCH[2]}
    if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then value=${BASH_REMATCH[1]}; fi
    export "$key=$value"
  done <"$ENV_FILE"
}

fmc() { (
  load_env_file
  exec "$NODE" "$APP_DIR/bin/fmc.js" "$@"
); }

warn_env_file() {
  if [[ ! -r $ENV_FILE ]]; then say "$ENV_FILE not readable: fmc runs with this shell's environment"; fi
}

# Everything but node_modules is copied; node_modules is hard-linked when the filesystem
# allows: `npm ci` deletes the tree before installing, so the links never see a change, and
# five backups cost one tree (~640 MB) instead of five. dist/ is copied: tsc rewrites in place.
copy_release() {
  local from=$1 to=$2 entry
  mkdir -p "$to"
  for entry in "$from"/* "$from"/.[!.]*; do
    [[ $(basename "$entry") == node_modules ]] && continue
    cp -a -- "$entry" "$to/"
  done
  if [[ -e $from/node_modules || -L $from/node_modules ]]; then
    cp -al -- "$from/node_modules" "$to/" 2>/dev/null || cp -a -- "$from/node_modules" "$to/"
  fi
}

current_commit() { git -C "$APP_DIR" rev-parse --short HEAD; }

# 200 from $1/api/health within HEALTH_TIMEOUT seconds (unit $2). node is there anyway; curl may not be.
wait_ready() {
  local url=${1:-$HEALTH_URL} unit=${2:-$SERVICE}
  local deadline=$((SECONDS + HEALTH_TIMEOUT))
  while ((SECONDS < deadline)); do
    if "$NODE" -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))' "$url/api/health"; then
      say "$url/api/health is ready"
      return 0
    fi
    sleep 0.5
  done
  say "$url/api/health not ready within ${HEALTH_TIMEOUT}s (journalctl -u $unit says why)"
  return 1
}

# One instance at a time: the others keep serving (nginx sends clients there, chat clients
# reconnect and resume), and a release that does not come up stops the roll at its first
# instance instead of taking every one down.
restart_service() {
  if ((${#INSTANCES[@]} == 0)); then
    say "restarting $SERVICE"
    systemctl_ restart "$SERVICE" && wait_ready
    return
  fi
  local pair unit url
  for pair in "${INSTANCES[@]}"; do
    unit=${pair%%=*}
    url=${pair#*=}
    say "restarting $unit (rolling: the other instances keep serving)"
    if ! { systemctl_ restart "$unit" && wait_ready "$url" "$unit"; }; then
      say "stopped rolling at $unit: the instances after it were not restarted"
      return 1
    fi
  done
}

# Every unit this deploy runs: the one service, or each instance.
stop_services() {
  if ((${#INSTANCES[@]} == 0)); then
    systemctl_ stop "$SERVICE"
    return
  fi
  local pair
  for pair in "${INSTANCES[@]}"; do systemctl_ stop "${pair%%=*}" || return 1; done
}

# `fmc health` exits 3 when only optional tiers (Gemini, Ollama) are down: still deployable.
run_health() {
  local code=0
  fmc health "${HEALTH_ARGS[@]}" "$@" || code=$?
  case $code in
    0) return 0 ;;
    3) say "fmc health: only optional tiers are down; going on" ;;
    *) return 1 ;;
  esac
}

# Names sort by time (UTC stamps), so the newest is last.
list_backups() {
  local d
  for d in "$BACKUP_DIR"/release-*/; do
    printf '%s\n' "${d%/}"
  done | sort
}

prune_backups() {
  local old
  list_backups | head -n "-$KEEP" | while IFS= read -r old; do
    say "removing old backup $(basename "$old")"
    rm -rf -- "$old"
  done
}

# release-<stamp>/app: a full copy of the checkout (dist and node_modules included, so a
# rollback needs no network and no build); fmc-backup-*/: `fmc backup` of the databases.
backup_release() {
  local stamp dest
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  dest=$BACKUP_DIR/release-$stamp
  if [[ -e $dest ]]; then die "$dest already exists; wait a second and deploy again"; fi
  # Built under another name and renamed when complete: a half-made backup (full disk) is
  # never listed, so never rolled back to.
  rm -rf -- "$BACKUP_DIR/partial-release-$stamp"
  mkdir -m 700 "$BACKUP_DIR/partial-release-$stamp"
  copy_release "$APP_DIR" "$BACKUP_DIR/partial-release-$stamp/app"
  current_commit >"$BACKUP_DIR/partial-release-$stamp/commit"
  fmc backup "$BACKUP_DIR/partial-release-$stamp" >/dev/null
  mv -- "$BACKUP_DIR/partial-release-$stamp" "$dest"
  printf '%s\n' "$dest"
}

# Puts the release saved in $1 back in place of the checkout, and its databases if $2 = data.
restore_release() {
  local backup=$1 with=${2:-code} folder
  # A service still running would keep writing to the databases being put back (acknowledged
  # messages lost, their seqs handed out again): nothing is touched unless it stopped.
  if ! stop_services; then
    die "could not stop $SERVICE (\`${SYSTEMCTL_CMD[*]} stop $SERVICE\` failed); nothing was rolled back: stop it, then run deploy.sh rollback"
  fi
  rm -rf -- "$APP_DIR.failed"
  mv -- "$APP_DIR" "$APP_DIR.failed"
  copy_release "$backup/app" "$APP_DIR"
  say "release $(cat "$backup/commit") is back in $APP_DIR (the replaced one is in $APP_DIR.failed)"
  if [[ $with == data ]]; then
    folder=$(find "$backup" -maxdepth 1 -type d -name 'fmc-backup-*' | sort | tail -n 1)
    [[ -n $folder ]] || die "no database backup in $backup"
    fmc restore "$folder" >/dev/null
    say "databases restored from $folder"
  fi
}

cmd_deploy() {
  warn_env_file
  [[ -d $APP_DIR/.git ]] || die "$APP_DIR is not a git checkout (set FMC_APP_DIR)"
  # Local edits would be silently mixed into the release, or make the pull fail half-way.
  if [[ -n $(git -C "$APP_DIR" status --porcelain --untracked-files=no) ]]; then
    die "$APP_DIR has uncommitted changes; commit or discard them first (deploy.sh never runs git add)"
  fi
  # Backups hold password hashes and secrets.
  mkdir -p "$BACKUP_DIR"
  chmod 700 "$BACKUP_DIR"
  exec 9>"$BACKUP_DIR/.deploy.lock"
  flock -n 9 || die "another deploy.sh holds $BACKUP_DIR/.deploy.lock"

  local backup before
  before=$(current_commit)
  backup=$(backup_release)
  say "backed up release $before and the databases to $backup"
  prune_backups

  # --quiet: git would print the remote URL, credentials included if it holds them.
  if GIT_TERMINAL_PROMPT=0 git -C "$APP_DIR" pull --ff-only --quiet &&
    say "pulled $before -> $(current_commit)" &&
    (cd "$APP_DIR" && bash -c "$INSTALL_CMD") &&
    (cd "$APP_DIR" && bash -c "$BUILD_CMD") &&
    run_health &&
    restart_service; then
    say "deployed $(current_commit)"
    return 0
  fi

  say "deploy of $(current_commit) failed: rolling back to $before"
  restore_release "$backup" data
  if restart_service; then
    die "rolled back to $before; the service is up"
  fi
  die "rolled back to $before but the service is not ready either: check journalctl -u $SERVICE"
}

cmd_rollback() {
  local with=code target="" b head
  if [[ ${1:-} == --with-data ]]; then with=data; fi
  warn_env_file
  head=$(current_commit)
  while IFS= read -r b; do
    if [[ $(cat "$b/commit") != "$head" ]]; then target=$b; fi
  done < <(list_backups)
  [[ -n $target ]] || die "no backed-up release other than the running $head in $BACKUP_DIR"
  restore_release "$target" "$with"
  restart_service || die "rolled back, but $SERVICE is not ready"
}

cmd_status() {
  local code=0
  systemctl_ status "$SERVICE" --no-pager || code=1
  printf 'release: %s in %s\n' "$(git -C "$APP_DIR" log -1 --format='%h %cd %s' --date=iso)" "$APP_DIR"
  printf 'backups (%s):\n' "$BACKUP_DIR"
  list_backups | while IFS= read -r b; do printf '  %s  %s\n' "$(basename "$b")" "$(cat "$b/commit")"; done
  "$NODE" -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(3000) }).then(async (r) => { const body = await r.json().catch(() => ({ status: "(not fmc health JSON)" })); console.log("health: HTTP " + r.status + " " + body.status); process.exit(r.status === 200 ? 0 : 1) }, (e) => { console.log("health: " + (e.cause?.code ?? e.message)); process.exit(1) })' "$HEALTH_URL/api/health" || code=1
  return "$code"
}

main() {
  case ${1:-} in
    deploy) cmd_deploy ;;
    restart) restart_service ;;
    health)
      warn_env_file
      run_health --url "$HEALTH_URL"
      ;;
    rollback) cmd_rollback "${2:-}" ;;
    status) cmd_status ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

# Everything above is parsed before anything runs: `git pull` may rewrite this very file.
main "$@"
