#!/usr/bin/env bash
# The test suites drive real system programs: Chromium (the dashboard and reports, through
# playwright-core; never a downloaded browser), shellcheck (deploy.sh), systemd-analyze (the
# unit template), PostgreSQL's server binaries (initdb/postgres, started by the tests in a
# temp dir), and nginx with openssl (the nginx templates, run with a self-signed certificate). `npm test` runs this first: it finds them, installs the missing Debian packages
# when it runs as root with apt-get, and otherwise stops at once with the command to run.
set -euo pipefail

have_postgres() {
  command -v initdb >/dev/null 2>&1 && return 0
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
have_postgres || need+=(postgresql)
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || need+=(nginx-light)
command -v openssl >/dev/null 2>&1 || need+=(openssl)

((${#need[@]})) || exit 0

cmd="apt-get update && apt-get install -y --no-install-recommends ${need[*]}"
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "fmc tests: installing the Debian packages the suites drive: ${need[*]}" >&2
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }; then
    echo "fmc tests: installing ${need[*]} failed; run: $cmd" >&2
    exit 1
  fi
  exit 0
fi
echo "fmc tests: missing ${need[*]}; install them first (as root): $cmd" >&2
exit 1
