#!/usr/bin/env bash
# A MongoDB-wire server for the lab on 127.0.0.1:27017: FerretDB 1.24 with its
# SQLite backend, embedded in the small launcher in scripts/ferretdb/.
#
#   scripts/mongo.sh start     build if needed, start (no-op if it already answers), wait
#   scripts/mongo.sh stop      SIGTERM, then SIGKILL after 15 s
#   scripts/mongo.sh restart   stop + start (the reliability drills take the database away)
#   scripts/mongo.sh status    exit 0 only if the server answers `hello`
#   scripts/mongo.sh check     mongoengine save/query/unique/$inc check (needs .venv)
#   scripts/mongo.sh env       print the environment the project reads
#
# Why not mongod: no registry reachable from CI ships one; every package that
# claims to downloads it from mongodb.org at run time. FerretDB is a Go module,
# so the Go module proxy can serve it. First start builds it: ~2-3 min on 2 cores.
# Knobs: MODELGUARD_MONGO_WAIT (30 s), MODELGUARD_MONGO_PORT (27017), which
# with MODELGUARD_CACHE lets a second, isolated copy run beside the usual one.
set -euo pipefail

# shellcheck disable=SC2034 # read by _lib.sh
MG_NAME=mongo
# shellcheck source=scripts/_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/_lib.sh"

readonly HOST=127.0.0.1
readonly PORT=${MODELGUARD_MONGO_PORT:-27017}
readonly SRC=$MG_SCRIPTS/ferretdb
readonly GO_CACHE=$MG_CACHE/go
readonly MG_STATE=$MG_RUN/mongo
readonly DATA=$MG_STATE/data
readonly MG_PIDFILE=$MG_STATE/mongo.pid
readonly MG_LOG=$MG_STATE/mongo.log
# The launcher is started with exactly this argument, and nothing else is.
readonly MG_MARKER=-dir=$DATA
readonly WAIT_S=${MODELGUARD_MONGO_WAIT:-30}
readonly STOP_WAIT_S=15

print_env() {
	echo "export MONGODB_URI=mongodb://$HOST:$PORT/modelguard"
}

# The binary is named after a hash of its sources, so editing a .go file or
# bumping FerretDB in go.mod rebuilds it, and an unchanged checkout never does
# (which is also what lets a cached machine start it offline).
binary_path() {
	local sum
	sum=$(cat "$SRC/go.mod" "$SRC/go.sum" "$SRC"/*.go | sha256sum | cut -c1-16)
	echo "$MG_CACHE/bin/modelguard-ferretdb-$sum"
}

ensure_binary() {
	local bin tmp
	bin=$(binary_path)
	[[ -x $bin ]] && return 0
	need go "install Go 1.24 or newer (it builds FerretDB)"
	log "building FerretDB into $bin (first run only, a few minutes)"
	mkdir -p "$MG_CACHE/bin" "$GO_CACHE"
	tmp=$bin.partial.$$
	# CGO_ENABLED=0: FerretDB's SQLite is the pure-Go modernc port, so no C
	# toolchain is needed. -mod=readonly: go.sum is committed and must not
	# drift. -modcacherw: Go makes its module cache read-only, which would
	# make `rm -rf ~/.cache/modelguard` fail. GOTOOLCHAIN=local: never try to
	# download another Go. The PostgreSQL backend is left out; we never use it.
	if ! (
		cd "$SRC"
		env CGO_ENABLED=0 GOTOOLCHAIN=local \
			GOPATH="$GO_CACHE/path" GOMODCACHE="$GO_CACHE/mod" GOCACHE="$GO_CACHE/build" \
			GOFLAGS="-mod=readonly -modcacherw -buildvcs=false" \
			go build -trimpath -tags ferretdb_no_postgresql -o "$tmp" .
	) >"$MG_STATE/build.log" 2>&1; then
		rm -f "$tmp"
		tail -n 30 "$MG_STATE/build.log" >&2
		die "go build of the FerretDB launcher failed (full output: $MG_STATE/build.log)"
	fi
	mv -f "$tmp" "$bin"
	# Older builds are dead weight (~30 MB each); a running one keeps its inode.
	find "$MG_CACHE/bin" -maxdepth 1 -name 'modelguard-ferretdb-*' ! -path "$bin" -delete
}

launch() {
	local bin
	bin=$(binary_path)
	mkdir -p "$DATA"
	(
		cd "$MG_STATE"
		exec nohup "$bin" -listen="$HOST:$PORT" "$MG_MARKER" -log-level=info \
			</dev/null >>"$MG_LOG" 2>&1 9>&-
	) &
	echo $! >"$MG_PIDFILE"
}

# wait_ready PID: 0 ready, 2 the server exited, 1 timed out.
wait_ready() {
	local rc=0
	probe mongo "$HOST:$PORT" --wait "$WAIT_S" --pid "$1" --quiet || rc=$?
	return "$rc"
}

cmd_start() {
	local pids pid rc t0=$SECONDS
	pids=$(our_pids)
	if [[ -n $pids ]]; then
		pid=${pids%%$'\n'*}
		if wait_ready "$pid"; then
			log "already running (pid $pid) on $HOST:$PORT"
			print_env
			return 0
		fi
		log_tail
		die "pid $pid is running but does not answer on $HOST:$PORT; try: $0 restart"
	fi
	rm -f "$MG_PIDFILE"
	if probe mongo "$HOST:$PORT" --quiet; then
		warn "a MongoDB-wire server not started by this script answers on $HOST:$PORT; using it"
		print_env
		return 0
	fi
	port_busy "$PORT" && die "port $PORT is taken by another process; free it first (ss -ltnp 'sport = :$PORT')"

	ensure_binary
	rotate_log
	local had_data=false
	[[ -n $(ls -A "$DATA" 2>/dev/null) ]] && had_data=true

	log "starting FerretDB (SQLite in $DATA, log: $MG_LOG)"
	launch
	pid=$(<"$MG_PIDFILE")
	rc=0
	wait_ready "$pid" || rc=$?
	if ((rc == 2)) && $had_data; then
		# A SQLite file left unusable by a kill mid-write is the one start-up
		# failure that data causes; for a lab an empty database is the cure.
		log_tail
		warn "the server exited during start-up; moving $DATA to $DATA.broken and starting empty"
		rm -rf "$DATA.broken"
		mv "$DATA" "$DATA.broken"
		mv -f "$MG_LOG" "$MG_LOG.failed"
		launch
		pid=$(<"$MG_PIDFILE")
		rc=0
		wait_ready "$pid" || rc=$?
	fi
	if ((rc != 0)); then
		log_tail 40
		alive "$pid" && stop_pids "$STOP_WAIT_S" "$pid"
		rm -f "$MG_PIDFILE"
		if ((rc == 2)); then
			die "the server exited during start-up"
		fi
		die "the server did not answer within ${WAIT_S}s"
	fi
	log "ready on $HOST:$PORT (pid $pid, $((SECONDS - t0))s)"
	print_env
}

cmd_stop() {
	stop_service "$STOP_WAIT_S"
}

cmd_status() {
	status_service server
}

cmd_check() {
	local py
	py=$(check_python)
	[[ -x $py ]] || die "no $py; create the project venv first (it needs mongoengine)"
	MONGODB_URI=mongodb://$HOST:$PORT/modelguard "$py" "$MG_SCRIPTS/check_services.py" mongo
}

case ${1:-} in
start)
	take_lock
	cmd_start
	;;
stop)
	take_lock
	cmd_stop
	;;
restart)
	# One lock across both halves, so nobody else starts it in between.
	take_lock
	cmd_stop
	cmd_start
	;;
status) cmd_status ;;
check) cmd_check ;;
env) print_env ;;
*)
	echo "usage: $0 {start|stop|restart|status|check|env}" >&2
	exit 2
	;;
esac
