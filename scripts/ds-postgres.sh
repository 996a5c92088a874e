# Sourced by scripts/test-ds and scripts/bench-ds: a throwaway PostgreSQL
# cluster for cohort-ds. `ds_pg_start` installs PostgreSQL from Debian if
# missing, runs initdb and pg_ctl as the postgres user on a free loopback
# port with data and socket in a temp dir, and exports
# COHORT_DS_POSTGRES_URL; `ds_pg_stop` stops it and removes the dir.

ds_pg_dir=""
ds_pg_bin=""

ds_pg_start() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "== installing PostgreSQL"
    apt-get update -q && apt-get install -y -q postgresql
  fi
  ds_pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  ds_pg_dir=$(mktemp -d /tmp/cohort-ds-pg.XXXXXX)
  chown postgres "$ds_pg_dir"
  echo "== PostgreSQL $("$ds_pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($ds_pg_dir)"
  runuser -u postgres -- "$ds_pg_bin/initdb" -D "$ds_pg_dir/data" --auth=trust -U postgres >/dev/null
  runuser -u postgres -- "$ds_pg_bin/pg_ctl" -D "$ds_pg_dir/data" -l "$ds_pg_dir/log" -w \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$ds_pg_dir -c max_connections=200" \
    start >/dev/null
  export COHORT_DS_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

ds_pg_stop() {
  if [ -n "$ds_pg_dir" ] && [ -n "$ds_pg_bin" ] && [ -f "$ds_pg_dir/data/postmaster.pid" ]; then
    runuser -u postgres -- "$ds_pg_bin/pg_ctl" -D "$ds_pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  if [ -n "$ds_pg_dir" ]; then
    rm -rf "$ds_pg_dir"
  fi
  ds_pg_dir=""
}
