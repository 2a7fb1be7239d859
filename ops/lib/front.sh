# shellcheck shell=bash
# The embedded default's front door (Ledger.Gateway/NginxFront.cs says why): nginx from Debian, installed on first use
# like PostgreSQL. Sourced by ops/run and ops/test.

# Sets NGINX_BIN to an nginx binary, installing nginx-light with apt-get as root when there is none. Returns 1, with a
# plain message, when there is none and it cannot be installed.
front_ensure_nginx() {
  NGINX_BIN="$(command -v nginx || true)"
  [[ -z "$NGINX_BIN" && -x /usr/sbin/nginx ]] && NGINX_BIN=/usr/sbin/nginx
  export NGINX_BIN
  [[ -n "$NGINX_BIN" ]] && return 0
  if [[ "$(id -u)" != 0 ]]; then
    echo "nginx is not installed. Install it as root:  apt-get update && apt-get install -y nginx-light" >&2
    return 1
  fi
  echo "Installing nginx (apt-get)..." >&2
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq \
         && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; }; then
    echo "Could not install nginx-light with apt-get." >&2
    return 1
  fi
  # Debian's package starts a system-wide nginx on port 80; ours runs from its own configuration only.
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now nginx >/dev/null 2>&1 || true; fi
  pkill -f 'nginx: master process /usr/sbin/nginx -g daemon on' 2>/dev/null || true
  NGINX_BIN=/usr/sbin/nginx
  [[ -x "$NGINX_BIN" ]] || { echo "nginx-light installed but $NGINX_BIN is missing." >&2; return 1; }
}
