#!/usr/bin/env bash
# Offline CI provisioning: make sure the images the labs and the grader name exist locally.
# Each image is used as it is when present, pulled when a registry answers, and otherwise
# built here as a stand-in from a Debian minbase root file system (debootstrap + docker import).
# The stand-ins trust this machine's CA bundle so that `pip install` works inside image builds;
# that is a property of this build environment, which is why it lives in .ci/ and not in the labs.
set -euo pipefail
shopt -s inherit_errexit

here=$(cd "$(dirname "$0")" && pwd)
work=${STANDINS_WORK:-/var/tmp/backend-labs-standins}
suite=trixie   # Debian 13: Python 3.13, PostgreSQL 17, Redis 8
ca=/etc/ssl/certs/ca-certificates.crt
mkdir -p "$work"

log() { printf '[standins] %s\n' "$*" >&2; }

have() { docker image inspect "$1" >/dev/null 2>&1; }

try_pull() {
  # A registry that is not reachable answers quickly; never wait long for it.
  timeout 20 docker pull -q "$1" >/dev/null 2>&1
}

rootfs() { # rootfs NAME PACKAGES -> prints the directory
  local name=$1 packages=$2 dir="$work/$1"
  if [ ! -f "$dir/.complete" ]; then
    rm -rf "$dir"
    log "debootstrap $suite for $name ($packages)"
    debootstrap --variant=minbase --include="$packages" "$suite" "$dir" >"$work/$name.debootstrap.log" 2>&1 \
      || { tail -20 "$work/$name.debootstrap.log"; return 1; }
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
    if [ -f "$ca" ]; then mkdir -p "$dir/etc/ssl/certs"; install -m 0644 "$ca" "$dir/etc/ssl/certs/ca-certificates.crt"; fi
    touch "$dir/.complete"
  fi
  printf '%s\n' "$dir"
}

import_dir() { # import_dir DIR TAG [--change ...]
  local dir=$1 tag=$2
  shift 2
  tar -C "$dir" --exclude=./.complete --exclude=./proc/* --exclude=./sys/* --exclude=./dev/* -c . \
    | docker import "$@" - "$tag" >/dev/null
  log "imported $tag"
}

build_python() { # python:3.13-slim: python, pip and a venv on PATH like the official image
  local tag=$1 dir
  dir=$(rootfs python "python3,python3-venv,ca-certificates")
  if [ ! -x "$dir/opt/python/bin/pip" ]; then
    chroot "$dir" /usr/bin/python3 -m venv /opt/python
  fi
  import_dir "$dir" "$tag" \
    --change 'ENV PATH=/opt/python/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]'
}

build_postgres() { # postgres:17 honouring POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB like the official image
  local tag=$1 dir
  dir=$(rootfs postgres "postgresql-17,util-linux")
  install -m 0755 "$here/standins/postgres-entrypoint.sh" "$dir/usr/local/bin/docker-entrypoint.sh"
  import_dir "$dir" "$tag" \
    --change 'ENV PATH=/usr/lib/postgresql/17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV PGDATA=/var/lib/postgresql/data' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'EXPOSE 5432' \
    --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
    --change 'CMD ["postgres"]'
}

build_redis() { # redis:8 listening on all interfaces of its container, nothing kept on disk
  local tag=$1 dir
  dir=$(rootfs redis "redis-server")
  import_dir "$dir" "$tag" \
    --change 'ENV LANG=C.UTF-8' \
    --change 'EXPOSE 6379' \
    --change 'CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no"]'
}

build_rabbitmq() { # rabbitmq:4 from Debian's rabbitmq-server: console logs, conf.d, runs as rabbitmq
  local tag=$1 dir
  dir=$(rootfs rabbitmq "rabbitmq-server")
  mkdir -p "$dir/etc/rabbitmq/conf.d"
  install -m 0644 "$here/standins/rabbitmq-10-defaults.conf" "$dir/etc/rabbitmq/conf.d/10-defaults.conf"
  : >"$dir/etc/rabbitmq/rabbitmq-env.conf"
  import_dir "$dir" "$tag" \
    --change 'ENV PATH=/usr/lib/rabbitmq/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV RABBITMQ_CONFIG_FILES=/etc/rabbitmq/conf.d' \
    --change 'ENV RABBITMQ_DATA_DIR=/var/lib/rabbitmq' \
    --change 'ENV HOME=/var/lib/rabbitmq' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'USER rabbitmq' \
    --change 'EXPOSE 5672' \
    --change 'CMD ["rabbitmq-server"]'
}

build_mongo() { # mongo:8 served by SecantusDB (a MongoDB-wire-protocol server), on the python stand-in
  local tag=$1
  docker build -q -t "$tag" "$here/standins/mongo" >/dev/null
  log "built $tag"
}

ensure() { # ensure TAG BUILDER
  local tag=$1 builder=$2
  if have "$tag"; then log "$tag present"; return; fi
  if try_pull "$tag"; then log "$tag pulled"; return; fi
  log "$tag cannot be pulled here: building a local stand-in"
  "$builder" "$tag"
}

# The image names below must match grader/services/containers.py and the labs' Dockerfiles;
# tests/test_ci_files.py keeps them in step.
ensure python:3.13-slim build_python
ensure postgres:17 build_postgres
ensure redis:8 build_redis
ensure rabbitmq:4 build_rabbitmq
ensure mongo:8 build_mongo
