# Sourced by .ci/run (bash, set -euo pipefail, root): a throw-away PostgreSQL cluster for the
# JDBC tests, plus the pinned JDBC drivers fetched once so tests never race a download.
# Exports LAKEOPT_TEST_PG_URL (a JDBC URL whose password holds '(', ')' and '%') and
# LAKEOPT_TEST_STORE_URL (a SQLAlchemy URL of a database of its own, for a shared task store).

lakeopt_start_postgres() {
  local bin port dir password encoded
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  [ -x "$bin/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; return 1; }

  # The first free port from 55432 on (a connect that succeeds means the port is taken).
  port=55432
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done

  dir=$(mktemp -d /tmp/lakeopt-pg.XXXXXX)
  chown postgres:postgres "$dir"
  chmod 700 "$dir"
  runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C \
    --auth-local=trust --auth-host=scram-sha-256 >"$dir/initdb.log"
  runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=64MB" start >/dev/null

  password='lk(pw)%9z)x'
  runuser -u postgres -- psql -q -h "$dir" -p "$port" -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE lakeopt LOGIN PASSWORD '$password'" \
    -c "CREATE DATABASE lakeopt_test OWNER lakeopt" \
    -c "CREATE DATABASE lakeopt_store OWNER lakeopt"
  # hypopg's hypothetical indexes for the what-if index costs (creating an extension needs a superuser).
  runuser -u postgres -- psql -q -h "$dir" -p "$port" -d lakeopt_test -v ON_ERROR_STOP=1 -c "CREATE EXTENSION hypopg"
  # '%' is percent-encoded in the URL; '(' and ')' are sent as they are.
  encoded=${password//%/%25}
  export LAKEOPT_TEST_PG_URL="jdbc:postgresql://127.0.0.1:$port/lakeopt_test?user=lakeopt&password=$encoded"
  export LAKEOPT_TEST_PG_DIR="$dir"
  # SQLAlchemy wants every special character of the password percent-encoded.
  encoded=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$password")
  export LAKEOPT_TEST_STORE_URL="postgresql+psycopg://lakeopt:$encoded@127.0.0.1:$port/lakeopt_store"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir)"
}

lakeopt_start_postgres
python -m jobs.db.drivers "${LAKEOPT_DRIVER_DIR:?}"
