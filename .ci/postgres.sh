# Sourced by .ci/run: a throwaway PostgreSQL cluster on loopback for the model tests.
# start_postgres exports LAMBA_TEST_PG_* (tox passes LAMBA_* through; tests/settings.py switches
# to PostgreSQL when LAMBA_TEST_PG_HOST is set); stop_postgres stops it and deletes its files.
# Needs Debian's postgresql package (initdb and pg_ctl under /usr/lib/postgresql/*/bin).

PG_DIR=""
PG_BIN=""

_as_postgres() {
    # initdb refuses to run as root: as root, run the server as the package's `postgres` user.
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start_postgres() {
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    PG_DIR="$(mktemp -d /tmp/lamba-pg.XXXXXX)"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres:postgres "$PG_DIR"
    fi
    local port
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    _as_postgres "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 \
        --no-instructions >/dev/null
    # Loopback only, socket in the cluster's own directory, no fsync: the data is thrown away.
    _as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
        -o "-k $PG_DIR -p $port -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    _as_postgres "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres django_lamba
    export LAMBA_TEST_PG_HOST=127.0.0.1
    export LAMBA_TEST_PG_PORT="$port"
    export LAMBA_TEST_PG_NAME=django_lamba
    export LAMBA_TEST_PG_USER=postgres
    echo "$("$PG_BIN/postgres" --version) on 127.0.0.1:$port ($PG_DIR)"
}

stop_postgres() {
    if [ -n "$PG_DIR" ] && [ -d "$PG_DIR/data" ]; then
        _as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$PG_DIR"
    fi
    PG_DIR=""
}
