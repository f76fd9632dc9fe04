#!/usr/bin/env bash
# A single-node Apache Kafka for the lab: KRaft, broker and controller in one
# JVM, PLAINTEXT on 127.0.0.1:9092, SASL_PLAINTEXT (mechanism PLAIN) on
# 127.0.0.1:9094, controller on 127.0.0.1:9093.
#
#   scripts/kafka.sh start     start (no-op if it already answers), wait until ready
#   scripts/kafka.sh stop      SIGTERM, then SIGKILL after 30 s
#   scripts/kafka.sh restart   stop + start (the reliability drills bounce the broker)
#   scripts/kafka.sh status    exit 0 only if the broker answers
#   scripts/kafka.sh check     produce/consume round trip with kafka-python (needs .venv)
#   scripts/kafka.sh env       print the environment the project reads
#   scripts/kafka.sh fetch-tools  fetch Kafka's tools now (services.sh up does), not on first use
#   scripts/kafka.sh tool NAME [ARGS...]
#                              run one of Kafka's own tools against this broker, or
#                              the one KAFKA_BOOTSTRAP_SERVERS names when it is set
#                              (--bootstrap-server is added): consumer-groups
#                              (kafka-consumer-groups, ConsumerGroupCommand),
#                              get-offsets (GetOffsetShell) or console-consumer, e.g.
#                              tool consumer-groups --describe --all-groups
#                              tool get-offsets --topic purchases.dlq
#                              tool console-consumer --topic purchases.dlq --from-beginning
#                                --formatter-property print.headers=true --timeout-ms 5000
#
# The tools are the broker's version, from org.apache.kafka:kafka-tools through
# scripts/kafka/tools/pom.xml, fetched on first use (~20 s) into
# ~/.cache/modelguard/kafka-<version>/tools, beside the broker's libs/.
# The broker's jars come from Maven Central through scripts/kafka/pom.xml,
# because no Apache download site is reachable from CI. First start: ~1 min.
# Knobs: KAFKA_HEAP_OPTS (default -Xms256m -Xmx512m), MODELGUARD_KAFKA_WAIT (90 s),
# MODELGUARD_KAFKA_PORT / MODELGUARD_KAFKA_CONTROLLER_PORT (9092 / 9093) and
# MODELGUARD_KAFKA_SASL_PORT (the plain port + 2), which with MODELGUARD_RUN_DIR
# let a second, isolated copy run beside the usual one.
#
# The SASL listener knows one user, the lab's: `modelguard`, password
# `modelguard-lab` (MODELGUARD_KAFKA_SASL_USERNAME / _PASSWORD change them). It is
# a lab credential for trying KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT, not a secret:
# SASL_PLAINTEXT sends the password unencrypted, and the plain listener beside it
# needs none. Brokers and the controller talk over the plain listeners.
set -euo pipefail

# shellcheck disable=SC2034 # read by _lib.sh
MG_NAME=kafka
# shellcheck source=scripts/_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/_lib.sh"

readonly HOST=127.0.0.1
readonly PORT=${MODELGUARD_KAFKA_PORT:-9092}
readonly CONTROLLER_PORT=${MODELGUARD_KAFKA_CONTROLLER_PORT:-9093}
readonly SASL_PORT=${MODELGUARD_KAFKA_SASL_PORT:-$((PORT + 2))}
readonly SASL_USERNAME=${MODELGUARD_KAFKA_SASL_USERNAME:-modelguard}
readonly SASL_PASSWORD=${MODELGUARD_KAFKA_SASL_PASSWORD:-modelguard-lab}
readonly POM=$MG_SCRIPTS/kafka/pom.xml
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM")
readonly KAFKA_VERSION
readonly LIBS=$MG_CACHE/kafka-$KAFKA_VERSION/libs
readonly TOOLS_POM=$MG_SCRIPTS/kafka/tools/pom.xml
readonly TOOLS=$MG_CACHE/kafka-$KAFKA_VERSION/tools
readonly MG_STATE=$MG_RUN/kafka
readonly DATA=$MG_STATE/data
readonly CONF=$MG_STATE/server.properties
readonly MG_PIDFILE=$MG_STATE/kafka.pid
readonly MG_LOG=$MG_STATE/kafka.log
# Only the broker JVM carries this argument (not StorageTool, not Maven), so
# it identifies our broker among all the java processes on a shared machine.
readonly MG_MARKER=-Dmodelguard.state=$MG_STATE
readonly WAIT_S=${MODELGUARD_KAFKA_WAIT:-90}
readonly STOP_WAIT_S=30

print_env() {
	echo "export KAFKA_BOOTSTRAP_SERVERS=$HOST:$PORT"
	# Where the SASL listener is; a client opts in with KAFKA_SECURITY_PROTOCOL.
	echo "export KAFKA_SASL_BOOTSTRAP_SERVERS=$HOST:$SASL_PORT"
}

check_java() {
	need java "install a JDK 17 or newer (Kafka 4 needs Java 17)"
	local major
	major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
	[[ ${major%%.*} -ge 17 ]] 2>/dev/null || die "java is version '$major'; Kafka $KAFKA_VERSION needs 17 or newer"
}

# The classpath is keyed by the pom's content, not just the version, so a
# changed logging bridge or an added jar is picked up without a manual wipe.
# Once resolved, starting needs neither Maven nor the network.
ensure_libs() {
	local want tmp
	want=$(sha256sum "$POM" | cut -c1-16)
	if [[ -f $LIBS/.pom-sha256 && $(<"$LIBS/.pom-sha256") == "$want" ]]; then
		return 0
	fi
	need mvn "install Maven 3 (it fetches the Kafka jars from Maven Central)"
	log "fetching Kafka $KAFKA_VERSION jars into $LIBS (first run only)"
	tmp=$LIBS.partial.$$
	rm -rf "$tmp"
	# A separate local repository keeps the cache self-contained under
	# ~/.cache/modelguard and leaves the developer's ~/.m2 alone. Maven's
	# output goes to a file: it is only worth reading when it failed.
	if ! mvn -B -Dstyle.color=never -f "$POM" -Dmaven.repo.local="$MG_CACHE/m2" \
		dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
		>"$MG_STATE/mvn.log" 2>&1; then
		rm -rf "$tmp"
		tail -n 30 "$MG_STATE/mvn.log" >&2
		die "mvn could not fetch the Kafka jars (full output: $MG_STATE/mvn.log)"
	fi
	echo "$want" >"$tmp/.pom-sha256"
	# Swap in whole: a half-copied libs/ must never look complete.
	rm -rf "$LIBS"
	mv "$tmp" "$LIBS"
}

# Kafka's tools, fetched as the broker's libs are, keyed by their own manifest and the
# broker's version, so fetching them never touches the broker's classpath.
ensure_tools() {
	local want tmp
	want=$(cat "$TOOLS_POM" <(echo "$KAFKA_VERSION") | sha256sum | cut -c1-16)
	if [[ -f $TOOLS/.pom-sha256 && $(<"$TOOLS/.pom-sha256") == "$want" ]]; then
		return 0
	fi
	need mvn "install Maven 3 (it fetches Kafka's tools from Maven Central)"
	mkdir -p "$MG_STATE"
	log "fetching Kafka $KAFKA_VERSION tools into $TOOLS (first use only)" >&2
	tmp=$TOOLS.partial.$$
	rm -rf "$tmp"
	if ! mvn -B -Dstyle.color=never -f "$TOOLS_POM" -Dkafka.version="$KAFKA_VERSION" \
		-Dmaven.repo.local="$MG_CACHE/m2" dependency:copy-dependencies -DincludeScope=runtime \
		-DoutputDirectory="$tmp" >"$MG_STATE/mvn-tools.log" 2>&1; then
		rm -rf "$tmp"
		tail -n 30 "$MG_STATE/mvn-tools.log" >&2
		die "mvn could not fetch Kafka's tools (full output: $MG_STATE/mvn-tools.log)"
	fi
	echo "$want" >"$tmp/.pom-sha256"
	rm -rf "$TOOLS"
	mv "$tmp" "$TOOLS"
}

# tool NAME ARGS...: one of Kafka's own tools against this script's broker.
cmd_tool() {
	local name=${1:-} class
	case $name in
	consumer-groups) class=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
	get-offsets) class=org.apache.kafka.tools.GetOffsetShell ;;
	console-consumer) class=org.apache.kafka.tools.consumer.ConsoleConsumer ;;
	*) die "usage: $0 tool {consumer-groups|get-offsets|console-consumer} [ARGS...]" ;;
	esac
	shift
	check_java
	ensure_tools
	# A short-lived JVM, as for StorageTool. The log4j bridge from the broker's libs
	# routes the tools' SLF4J logging to log4j2, configured for stderr.
	exec java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
		-Dlog4j2.configurationFile="$MG_SCRIPTS/kafka/tools/log4j2.properties" \
		-cp "$TOOLS/*:$(tool_bridge)" "$class" \
		--bootstrap-server "${KAFKA_BOOTSTRAP_SERVERS:-$HOST:$PORT}" "$@"
}

# The SLF4J-to-log4j2 bridge the broker's pom pins, when its libs are there.
tool_bridge() {
	local jar
	for jar in "$LIBS"/log4j-slf4j-impl-*.jar; do
		[[ -f $jar ]] && echo "$jar" && return 0
	done
	echo ""
}

# Rewritten on every start, so the file always matches this script. It holds
# the lab's SASL user, so only its owner may read it.
write_config() {
	mkdir -p "$MG_STATE"
	[[ $SASL_USERNAME =~ ^[A-Za-z0-9._-]+$ ]] ||
		die "MODELGUARD_KAFKA_SASL_USERNAME may hold only letters, digits, '.', '_' and '-'"
	[[ $SASL_PASSWORD != *[\"\\]* ]] ||
		die "MODELGUARD_KAFKA_SASL_PASSWORD may not contain a double quote or a backslash"
	(umask 077 && : >"$CONF")
	cat >"$CONF" <<EOF
# Generated by scripts/kafka.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,SASL_PLAINTEXT://$HOST:$SASL_PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT,SASL_PLAINTEXT://$HOST:$SASL_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
# SASL/PLAIN with the users listed here (user_NAME="PASSWORD"); no authorizer, so
# an authenticated user may do what a plaintext client may.
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$SASL_USERNAME="$SASL_PASSWORD";
log.dirs=$DATA
num.partitions=1
auto.create.topics.enable=true
# One broker: internal topics cannot have more than one replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# The defaults (50 partitions each) cost seconds and hundreds of files on a
# one-broker lab; one partition each is plenty.
offsets.topic.num.partitions=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Consumers in tests join a group and expect partitions at once, not after 3 s.
group.initial.rebalance.delay.ms=0
# The lab keeps little data; small segments keep the state directory small.
log.segment.bytes=16777216
log.retention.hours=24
num.network.threads=2
num.io.threads=2
EOF
}

storage_tool() {
	# Short-lived JVM: the smallest heap and the quickest JIT make it start fast.
	java -Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
		-Dlog4j2.configurationFile="$MG_SCRIPTS/kafka/log4j2.properties" \
		-cp "$LIBS/*" kafka.tools.StorageTool "$@"
}

# Format only a data directory that has never been formatted: formatting again
# would give it a new cluster id and orphan every topic in it.
ensure_formatted() {
	[[ -f $DATA/meta.properties ]] && return 0
	local cluster_id
	rm -rf "$DATA"
	mkdir -p "$DATA"
	cluster_id=$(storage_tool random-uuid 2>>"$MG_LOG" | tail -n 1)
	[[ -n $cluster_id ]] || die "StorageTool random-uuid printed nothing"
	# controller.quorum.voters is static, so Kafka 4 needs no --standalone.
	if ! storage_tool format -t "$cluster_id" -c "$CONF" >>"$MG_LOG" 2>&1; then
		log_tail
		die "could not format $DATA"
	fi
	log "formatted $DATA (cluster id $cluster_id)"
}

launch() {
	local heap=${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
	# shellcheck disable=SC2086 # KAFKA_HEAP_OPTS is a list of JVM flags
	(
		cd "$MG_STATE"
		exec nohup java $heap \
			-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
			-Djava.awt.headless=true \
			-Dlog4j2.configurationFile="$MG_SCRIPTS/kafka/log4j2.properties" \
			"$MG_MARKER" \
			-cp "$LIBS/*" kafka.Kafka "$CONF" \
			</dev/null >>"$MG_LOG" 2>&1 9>&-
	) &
	echo $! >"$MG_PIDFILE"
}

# wait_ready PID: 0 ready, 2 the broker exited, 1 timed out.
wait_ready() {
	local rc=0
	probe kafka "$HOST:$PORT" --wait "$WAIT_S" --pid "$1" --quiet || rc=$?
	return "$rc"
}

cmd_start() {
	local pids pid rc t0=$SECONDS
	pids=$(our_pids)
	if [[ -n $pids ]]; then
		# Ours, and perhaps still starting (another terminal launched it).
		pid=${pids%%$'\n'*}
		if wait_ready "$pid"; then
			log "already running (pid $pid) on $HOST:$PORT"
			port_busy "$SASL_PORT" ||
				warn "it has no SASL listener on $HOST:$SASL_PORT (started by an older copy of this script); '$0 restart' adds one"
			print_env
			return 0
		fi
		log_tail
		die "pid $pid is running but does not answer on $HOST:$PORT; try: $0 restart"
	fi
	rm -f "$MG_PIDFILE"
	if probe kafka "$HOST:$PORT" --quiet; then
		warn "a Kafka broker not started by this script answers on $HOST:$PORT; using it"
		print_env
		return 0
	fi
	for p in "$PORT" "$CONTROLLER_PORT" "$SASL_PORT"; do
		port_busy "$p" && die "port $p is taken by another process; free it first (ss -ltnp 'sport = :$p')"
	done

	check_java
	ensure_libs
	write_config
	rotate_log
	local had_data=false
	[[ -f $DATA/meta.properties ]] && had_data=true
	ensure_formatted

	log "starting Kafka $KAFKA_VERSION (log: $MG_LOG)"
	launch
	pid=$(<"$MG_PIDFILE")
	rc=0
	wait_ready "$pid" || rc=$?
	if ((rc == 2)) && $had_data; then
		# An unclean stop can leave metadata the broker refuses to load. For a
		# lab, a working empty broker beats a preserved broken one; the old
		# data is kept aside (once) for a post-mortem.
		log_tail
		warn "the broker exited during start-up; moving $DATA to $DATA.broken and starting empty"
		rm -rf "$DATA.broken"
		mv "$DATA" "$DATA.broken"
		mv -f "$MG_LOG" "$MG_LOG.failed"
		ensure_formatted
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
			die "the broker exited during start-up"
		fi
		die "the broker did not answer within ${WAIT_S}s"
	fi
	log "ready on $HOST:$PORT, SASL_PLAINTEXT on $HOST:$SASL_PORT (pid $pid, $((SECONDS - t0))s)"
	print_env
}

cmd_stop() {
	stop_service "$STOP_WAIT_S"
}

cmd_status() {
	status_service broker
}

cmd_check() {
	local py
	py=$(check_python)
	[[ -x $py ]] || die "no $py; create the project venv first (it needs kafka-python)"
	KAFKA_BOOTSTRAP_SERVERS=$HOST:$PORT "$py" "$MG_SCRIPTS/check_services.py" kafka
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
fetch-tools)
	check_java
	ensure_tools
	;;
tool)
	shift
	cmd_tool "$@"
	;;
*)
	echo "usage: $0 {start|stop|restart|status|check|env|fetch-tools|tool NAME [ARGS...]}" >&2
	exit 2
	;;
esac
