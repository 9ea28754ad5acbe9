#!/bin/sh
# Stand-in for the official mongo image's entrypoint: `mongod ARGS` starts the server as the mongodb
# user (with a root user from MONGO_INITDB_ROOT_USERNAME / _PASSWORD); anything else is run as is.
set -eu
if [ "${1:-mongod}" != mongod ] && [ "${1#-}" = "${1:-}" ]; then
  exec "$@"
fi
[ "${1:-}" = mongod ] && shift
if [ "$(id -u)" = 0 ]; then
  chown -R mongodb:mongodb /data/db
  exec setpriv --reuid=mongodb --regid=mongodb --init-groups python3 /usr/local/lib/mongod-standin.py "$@"
fi
exec python3 /usr/local/lib/mongod-standin.py "$@"
