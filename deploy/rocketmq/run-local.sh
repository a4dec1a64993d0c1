#!/usr/bin/env bash
# Start a loopback-only RocketMQ-Rust 1.0.0 name server + single broker for local development.
#
#   run-local.sh <bin-dir> <run-dir> [start|stop|status]      (default: start)
#
#   <bin-dir>  directory containing rocketmq-namesrv-rust and rocketmq-broker-rust
#              (e.g. ~/.cache/chat-cluster/rocketmq/bin from
#               cargo install --locked --root ~/.cache/chat-cluster/rocketmq rocketmq-namesrv@1.0.0 rocketmq-broker@1.0.0)
#   <run-dir>  scratch directory (e.g. /tmp/chat-run/rocketmq). Gets:
#                conf/{namesrv,broker}.toml   rendered from this directory (path prefix rewritten)
#                namesrv/                     kvConfig.json, namesrv properties
#                store/                       commitlog, consumequeue, config/*.json (topics, offsets)
#                logs/{namesrv,broker}.log    stdout+stderr of each process
#                namesrv.pid broker.pid
#
# Ports (all 127.0.0.1): 9876 namesrv, 10911 broker, 10909 broker fast/VIP (= 10911-2), 10912 broker HA.
# Env passed to both processes: ROCKETMQ_HOME=<run-dir>,
#   ROCKETMQ_SECURITY_PROFILE=development-insecure-loopback (startup fails if any listener is not loopback),
#   ROCKETMQ_SHUTDOWN_TIMEOUT_SECONDS (default here 10; upstream default 45). NAMESRV_ADDR is unset for the
#   broker because an *empty* NAMESRV_ADDR would override the file's namesrvAddr.
# Extra env honoured by this script: RUST_LOG (process log filter, default "info"),
#   ROCKETMQ_FRESH=1 (start): wipe <run-dir>/store and <run-dir>/namesrv first (default: keep them,
#   so topics and consumer offsets survive restarts).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TEMPLATE_PREFIX="/tmp/chat-run/rocketmq"   # literal prefix used inside the checked-in TOML files

usage() { sed -n '2,9p' "$0" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
BIN_DIR="$(cd "$1" && pwd)"
mkdir -p "$2"
RUN_DIR="$(cd "$2" && pwd)"
ACTION="${3:-start}"

NAMESRV_BIN="$BIN_DIR/rocketmq-namesrv-rust"
BROKER_BIN="$BIN_DIR/rocketmq-broker-rust"
NAMESRV_PORTS=(9876)
BROKER_PORTS=(10911 10909 10912)

export ROCKETMQ_HOME="$RUN_DIR"
export ROCKETMQ_SECURITY_PROFILE="${ROCKETMQ_SECURITY_PROFILE:-development-insecure-loopback}"
export ROCKETMQ_SHUTDOWN_TIMEOUT_SECONDS="${ROCKETMQ_SHUTDOWN_TIMEOUT_SECONDS:-10}"
export RUST_LOG="${RUST_LOG:-info}"
unset NAMESRV_ADDR

log() { printf '[run-local] %s\n' "$*" >&2; }

alive() { local pidfile="$1"; [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

listening() { # port -> true if something listens on 127.0.0.1:port
  ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

wait_ports() { # name pidfile timeout ports...
  local name="$1" pidfile="$2" timeout="$3"; shift 3
  local deadline=$((SECONDS + timeout)) p missing
  while :; do
    if ! alive "$pidfile"; then
      log "$name exited during startup; last log lines:"
      tail -n 30 "$RUN_DIR/logs/$name.log" >&2 || true
      return 1
    fi
    missing=""
    for p in "$@"; do listening "$p" || missing+=" $p"; done
    [[ -z "$missing" ]] && return 0
    if (( SECONDS >= deadline )); then
      log "$name: ports not listening after ${timeout}s:$missing (see $RUN_DIR/logs/$name.log)"
      return 1
    fi
    sleep 0.2
  done
}

stop_one() { # name
  local name="$1" pidfile="$RUN_DIR/$1.pid" pid i
  if ! alive "$pidfile"; then rm -f "$pidfile"; return 0; fi
  pid="$(cat "$pidfile")"
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < (ROCKETMQ_SHUTDOWN_TIMEOUT_SECONDS + 5) * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; return 0; }
    sleep 0.2
  done
  log "$name (pid $pid) did not stop in time; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

render() { # template -> rendered path
  sed "s#${TEMPLATE_PREFIX}#${RUN_DIR}#g" "$SCRIPT_DIR/$1" > "$RUN_DIR/conf/$1"
}

start() {
  [[ -x "$NAMESRV_BIN" && -x "$BROKER_BIN" ]] || { log "binaries not found in $BIN_DIR"; exit 1; }
  if alive "$RUN_DIR/namesrv.pid" || alive "$RUN_DIR/broker.pid"; then
    log "already running (pids: $(cat "$RUN_DIR"/*.pid 2>/dev/null | tr '\n' ' ')); use '$0 $BIN_DIR $RUN_DIR stop' first"
    exit 1
  fi
  local p
  for p in "${NAMESRV_PORTS[@]}" "${BROKER_PORTS[@]}"; do
    if listening "$p"; then log "port $p is already in use"; exit 1; fi
  done
  if [[ "${ROCKETMQ_FRESH:-0}" == 1 ]]; then
    log "ROCKETMQ_FRESH=1: wiping $RUN_DIR/store and $RUN_DIR/namesrv"
    rm -rf "${RUN_DIR:?}/store" "${RUN_DIR:?}/namesrv"
  fi
  mkdir -p "$RUN_DIR"/{conf,logs,namesrv,store}
  render namesrv.toml
  render broker.toml

  # Preflight: both binaries validate the config and exit 0 with -p. Their error output is only the
  # generic "Service lifecycle operation failed" (unknown TOML keys, bad values, ...).
  if ! "$NAMESRV_BIN" -c "$RUN_DIR/conf/namesrv.toml" -p > "$RUN_DIR/logs/namesrv-config.txt" 2>&1; then
    log "namesrv config invalid: $RUN_DIR/conf/namesrv.toml"; cat "$RUN_DIR/logs/namesrv-config.txt" >&2; exit 1
  fi
  if ! "$BROKER_BIN" -c "$RUN_DIR/conf/broker.toml" -p > "$RUN_DIR/logs/broker-config.txt" 2>&1; then
    log "broker config invalid: $RUN_DIR/conf/broker.toml (unknown keys are rejected)"
    cat "$RUN_DIR/logs/broker-config.txt" >&2; exit 1
  fi

  log "starting namesrv (log: $RUN_DIR/logs/namesrv.log)"
  setsid "$NAMESRV_BIN" -c "$RUN_DIR/conf/namesrv.toml" >> "$RUN_DIR/logs/namesrv.log" 2>&1 < /dev/null &
  echo $! > "$RUN_DIR/namesrv.pid"
  wait_ports namesrv "$RUN_DIR/namesrv.pid" 30 "${NAMESRV_PORTS[@]}" || { stop_one namesrv; exit 1; }

  log "starting broker (log: $RUN_DIR/logs/broker.log)"
  setsid "$BROKER_BIN" -c "$RUN_DIR/conf/broker.toml" >> "$RUN_DIR/logs/broker.log" 2>&1 < /dev/null &
  echo $! > "$RUN_DIR/broker.pid"
  wait_ports broker "$RUN_DIR/broker.pid" 60 "${BROKER_PORTS[@]}" || { stop_one broker; stop_one namesrv; exit 1; }

  log "up: namesrv pid $(cat "$RUN_DIR/namesrv.pid") 127.0.0.1:9876; broker pid $(cat "$RUN_DIR/broker.pid") 127.0.0.1:10911 (fast 10909, HA 10912)"
  log "stop with: $0 $BIN_DIR $RUN_DIR stop"
}

status() {
  local n
  for n in namesrv broker; do
    if alive "$RUN_DIR/$n.pid"; then echo "$n: running (pid $(cat "$RUN_DIR/$n.pid"))"; else echo "$n: stopped"; fi
  done
  ss -Hltnp 2>/dev/null | grep -E ':(9876|10909|10911|10912)\b' || true
}

case "$ACTION" in
  start) start ;;
  stop) stop_one broker; stop_one namesrv ;;
  status) status ;;
  *) usage ;;
esac
