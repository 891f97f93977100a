#!/usr/bin/env bash
# Stands in for `systemctl` in the deploy.sh tests. Containers (and most CI runners) have no
# systemd as PID 1 and no D-Bus, so the real systemctl cannot start anything there. This runs
# the unit's own ExecStart, WorkingDirectory and EnvironmentFile (FAKE_UNIT_FILE, the shipped
# template with test paths), so deploy.sh restarts the real `fmc serve` the unit describes.
# State (pid, log) lives in FAKE_SYSTEMD_DIR.
set -euo pipefail

: "${FAKE_SYSTEMD_DIR:?}"
# FAKE_UNIT_DIR: several units (deploy.sh's FMC_INSTANCES), each its own file and state,
# named by the unit argument; else the one FAKE_UNIT_FILE.
if [[ -n ${FAKE_UNIT_DIR:-} && -n ${2:-} ]]; then
  FAKE_UNIT_FILE=$FAKE_UNIT_DIR/$2
  pidfile=$FAKE_SYSTEMD_DIR/$2.pid
  logfile=$FAKE_SYSTEMD_DIR/$2.log
else
  : "${FAKE_UNIT_FILE:?}"
  pidfile=$FAKE_SYSTEMD_DIR/service.pid
  logfile=$FAKE_SYSTEMD_DIR/service.log
fi

unit_value() { sed -n "s/^$1=//p" "$FAKE_UNIT_FILE" | tail -n 1; }

running() { [[ -s $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

start() {
  if running; then return 0; fi
  local envs=() line
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; then envs+=("$line"); fi
  done <"$(unit_value EnvironmentFile)"
  # systemd starts services with an empty environment plus the EnvironmentFile; so does this.
  # ExecStart has no quoting in the template, so word splitting reproduces its argv.
  # shellcheck disable=SC2046
  (cd "$(unit_value WorkingDirectory)" && exec setsid env -i PATH=/usr/bin:/bin "${envs[@]}" $(unit_value ExecStart) </dev/null >>"$logfile" 2>&1) &
  echo $! >"$pidfile"
}

stop() {
  # FAKE_SYSTEMCTL_STOP_FAILS=1: a stop that is refused (no sudoers line, a unit that hangs).
  if [[ ${FAKE_SYSTEMCTL_STOP_FAILS:-} == 1 ]]; then
    echo "Failed to stop the unit: Access denied" >&2
    exit 1
  fi
  if ! running; then return 0; fi
  local pid
  pid=$(cat "$pidfile")
  kill -TERM "$pid"
  for _ in $(seq 150); do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pidfile"
      return 0
    fi
    sleep 0.1
  done
  kill -KILL "$pid"
  rm -f "$pidfile"
}

case $1 in
  start) start ;;
  stop) stop ;;
  restart)
    stop
    start
    ;;
  is-active)
    if running; then echo active; else
      echo inactive
      exit 3
    fi
    ;;
  status)
    if running; then echo "${2:-fmc.service}: active (running), pid $(cat "$pidfile")"; else
      echo "${2:-fmc.service}: inactive (dead)"
      exit 3
    fi
    ;;
  *)
    echo "systemctl stand-in: $1 is not supported" >&2
    exit 1
    ;;
esac
