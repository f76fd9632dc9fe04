#!/usr/bin/env bash
# A MongoDB-wire server for the lab on 127.0.0.1:27017: mongo-java-server with
# its H2 backend, started by the small Java main in scripts/mongo/WireServer.java.
#
#   scripts/mongo.sh start     fetch and compile if needed, start (no-op if it already answers), wait
#   scripts/mongo.sh stop      SIGTERM (the store is closed cleanly), then SIGKILL after 15 s
#   scripts/mongo.sh restart   stop + start (the reliability drills take the database away)
#   scripts/mongo.sh status    exit 0 only if the server answers `isMaster`
#   scripts/mongo.sh check     mongoengine save/query/unique/$inc check (needs .venv)
#   scripts/mongo.sh env       print the environment the project reads
#
# It is a server made for tests that speaks MongoDB's wire protocol, not
# MongoDB: no registry reachable from CI ships a real `mongod`. Its jars come
# from Maven Central through scripts/mongo/pom.xml, as Kafka's do, and the main
# is compiled with javac against them. First start: ~20 s; later ones ~2 s.
# Knobs: MODELGUARD_MONGO_WAIT (30 s), MONGO_HEAP_OPTS (-Xms64m -Xmx384m),
# MODELGUARD_MONGO_PORT (27017), which with MODELGUARD_RUN_DIR lets a second,
# isolated copy run beside the usual one.
set -euo pipefail

# shellcheck disable=SC2034 # read by _lib.sh
MG_NAME=mongo
# shellcheck source=scripts/_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/_lib.sh"

readonly HOST=127.0.0.1
readonly PORT=${MODELGUARD_MONGO_PORT:-27017}
readonly SRC=$MG_SCRIPTS/mongo
readonly POM=$SRC/pom.xml
SERVER_VERSION=$(sed -n 's:.*<mongo-java-server.version>\(.*\)</mongo-java-server.version>.*:\1:p' "$POM")
readonly SERVER_VERSION
readonly HOME_DIR=$MG_CACHE/mongo-java-server-$SERVER_VERSION
readonly LIBS=$HOME_DIR/libs
readonly CLASSES=$HOME_DIR/classes
readonly MG_STATE=$MG_RUN/mongo
readonly DATA=$MG_STATE/data
readonly DATA_FILE=$DATA/modelguard.mv.db
readonly MG_PIDFILE=$MG_STATE/mongo.pid
readonly MG_LOG=$MG_STATE/mongo.log
# Only the server JVM carries this argument (not Maven, not javac), so it
# identifies our server among all the java processes on a shared machine.
readonly MG_MARKER=-Dmodelguard.state=$MG_STATE
readonly WAIT_S=${MODELGUARD_MONGO_WAIT:-30}
readonly STOP_WAIT_S=15

print_env() {
	echo "export MONGODB_URI=mongodb://$HOST:$PORT/modelguard"
}

check_java() {
	need java "install a JDK 17 or newer"
	need javac "install a JDK 17 or newer (javac compiles scripts/mongo/WireServer.java)"
}

# The classpath is keyed by the pom's content, so a bumped version or an added
# jar is picked up without a manual wipe. Once resolved, starting needs
# neither Maven nor the network.
ensure_libs() {
	local want tmp
	want=$(sha256sum "$POM" | cut -c1-16)
	if [[ -f $LIBS/.pom-sha256 && $(<"$LIBS/.pom-sha256") == "$want" ]]; then
		return 0
	fi
	need mvn "install Maven 3 (it fetches mongo-java-server from Maven Central)"
	log "fetching mongo-java-server $SERVER_VERSION jars into $LIBS (first run only)"
	tmp=$LIBS.partial.$$
	rm -rf "$tmp"
	mkdir -p "$HOME_DIR"
	# The same local repository as Kafka's, under ~/.cache/modelguard.
	if ! mvn -B -Dstyle.color=never -f "$POM" -Dmaven.repo.local="$MG_CACHE/m2" \
		dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
		>"$MG_STATE/mvn.log" 2>&1; then
		rm -rf "$tmp"
		tail -n 30 "$MG_STATE/mvn.log" >&2
		die "mvn could not fetch the mongo-java-server jars (full output: $MG_STATE/mvn.log)"
	fi
	echo "$want" >"$tmp/.pom-sha256"
	# Swap in whole: a half-copied libs/ must never look complete.
	rm -rf "$LIBS"
	mv "$tmp" "$LIBS"
}

# Compiled again whenever the source or the jars it was compiled against change.
ensure_classes() {
	local want tmp
	want=$(cat "$SRC/WireServer.java" "$LIBS/.pom-sha256" | sha256sum | cut -c1-16)
	if [[ -f $CLASSES/.src-sha256 && $(<"$CLASSES/.src-sha256") == "$want" ]]; then
		return 0
	fi
	log "compiling $SRC/WireServer.java into $CLASSES"
	tmp=$CLASSES.partial.$$
	rm -rf "$tmp"
	mkdir -p "$tmp"
	if ! javac -nowarn -d "$tmp" -cp "$LIBS/*" "$SRC/WireServer.java" >"$MG_STATE/javac.log" 2>&1; then
		rm -rf "$tmp"
		cat "$MG_STATE/javac.log" >&2
		die "javac could not compile $SRC/WireServer.java"
	fi
	echo "$want" >"$tmp/.src-sha256"
	rm -rf "$CLASSES"
	mv "$tmp" "$CLASSES"
}

launch() {
	local heap=${MONGO_HEAP_OPTS:--Xms64m -Xmx384m}
	mkdir -p "$DATA"
	# Serial GC: one small heap on a machine whose cores the broker and the
	# workers need more. Connection-level logging is left at warn: every
	# client connect and disconnect is not worth a line.
	# shellcheck disable=SC2086 # MONGO_HEAP_OPTS is a list of JVM flags
	(
		cd "$MG_STATE"
		exec nohup java $heap -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError \
			-Djava.awt.headless=true \
			-Dorg.slf4j.simpleLogger.showDateTime=true "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS" \
			-Dorg.slf4j.simpleLogger.log.de.bwaldvogel.mongo.wire=warn \
			"$MG_MARKER" \
			-cp "$LIBS/*:$CLASSES" WireServer "$HOST" "$PORT" "$DATA_FILE" \
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

	check_java
	ensure_libs
	ensure_classes
	rotate_log
	local had_data=false
	[[ -n $(ls -A "$DATA" 2>/dev/null) ]] && had_data=true

	log "starting mongo-java-server $SERVER_VERSION (H2 file $DATA_FILE, log: $MG_LOG)"
	launch
	pid=$(<"$MG_PIDFILE")
	rc=0
	wait_ready "$pid" || rc=$?
	if ((rc == 2)) && $had_data; then
		# A store file the server cannot open is the one start-up failure that
		# data causes; for a lab an empty database is the cure. The old file
		# is kept aside (once) for a post-mortem.
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
