# shellcheck shell=bash
# Shared by scripts/kafka.sh and scripts/mongo.sh; sourced, never run.
# The sourcing script sets MG_NAME, MG_STATE, MG_PIDFILE, MG_LOG, MG_MARKER.
#
# Layout (everything under one directory, so a fresh machine is one `mv` away
# and a second run finds its downloads and builds):
#   ~/.cache/modelguard/            MODELGUARD_CACHE overrides
#     m2/                           Maven repository for the Kafka and mongo-java-server jars
#     kafka-<version>/libs/         the broker's classpath
#     mongo-java-server-<version>/  the database's classpath (libs/) and its compiled main (classes/)
#     run/{kafka,mongo}/            state: data, config, log, pid (MODELGUARD_RUN_DIR overrides run/)

MG_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MG_REPO=$(dirname "$MG_SCRIPTS")
MG_CACHE=${MODELGUARD_CACHE:-$HOME/.cache/modelguard}
# shellcheck disable=SC2034 # used by the sourcing scripts
MG_RUN=${MODELGUARD_RUN_DIR:-$MG_CACHE/run}

log() { printf '[%s] %s\n' "$MG_NAME" "$*"; }
warn() { printf '[%s] WARNING: %s\n' "$MG_NAME" "$*" >&2; }
die() {
	printf '[%s] ERROR: %s\n' "$MG_NAME" "$*" >&2
	exit 1
}

need() {
	command -v "$1" >/dev/null 2>&1 || die "'$1' is not on PATH: $2"
}

# The wire probe needs only the standard library, so any Python 3 will do;
# the project's venv is preferred only because it is known to be there locally.
probe_python() {
	if [[ -x $MG_REPO/.venv/bin/python ]]; then
		echo "$MG_REPO/.venv/bin/python"
	elif command -v python3 >/dev/null 2>&1; then
		echo python3
	else
		die "no python3 on PATH (needed for the readiness probe)"
	fi
}

# The client-level check needs kafka-python / mongoengine, i.e. the project's venv.
check_python() {
	echo "${MODELGUARD_PYTHON:-$MG_REPO/.venv/bin/python}"
}

# probe SERVICE HOST:PORT [probe.py options...]
probe() {
	"$(probe_python)" "$MG_SCRIPTS/probe.py" "$@"
}

# Serialise start/stop of one service: `make services-up` in two terminals, or
# a test restarting the broker while CI brings it up, must not launch two
# servers on one data directory. The lock fd is closed for the server itself
# (see launch), otherwise the server would hold the lock for its whole life.
take_lock() {
	mkdir -p "$MG_STATE"
	exec 9>"$MG_STATE/.lock"
	flock -w 300 9 || die "another start/stop of $MG_NAME has held $MG_STATE/.lock for 5 minutes"
}

# pids_with_arg ARG: processes whose argv contains exactly ARG. Our servers are
# started with an argument naming their own state path, so this finds them even
# when the pid file is gone (say, after `rm -rf run/`), without matching anyone
# else's Kafka or mongod on the machine.
pids_with_arg() {
	local dir arg
	for dir in /proc/[0-9]*; do
		[[ ${dir#/proc/} == "$$" ]] && continue
		while IFS= read -r -d '' arg; do
			if [[ $arg == "$1" ]]; then
				echo "${dir#/proc/}"
				break
			fi
		done 2>/dev/null <"$dir/cmdline" || true
	done
}

# our_pids: the pids of this service's server, by pid file and by argv marker.
# A pid file whose process is gone, or that now belongs to some other program
# (pids get reused after a reboot or a crash), is stale and is removed.
our_pids() {
	local pid pids
	pids=$(pids_with_arg "$MG_MARKER")
	if [[ -f $MG_PIDFILE ]]; then
		pid=$(<"$MG_PIDFILE")
		if [[ -z $pids ]] || ! grep -qx -- "$pid" <<<"$pids"; then
			rm -f "$MG_PIDFILE"
		fi
	fi
	[[ -n $pids ]] && echo "$pids"
	return 0
}

# port_busy PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

alive() {
	local state
	kill -0 "$1" 2>/dev/null || return 1
	# A zombie passes kill -0 but is already dead.
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || echo X)
	[[ $state != Z && $state != X ]]
}

# stop_pids TIMEOUT PID...: SIGTERM lets Kafka do a controlled shutdown and
# the database close its H2 store file; SIGKILL only if that hangs past TIMEOUT.
stop_pids() {
	local timeout=$1 pid waited=0
	shift
	kill -TERM "$@" 2>/dev/null || true
	while :; do
		local left=()
		for pid in "$@"; do
			alive "$pid" && left+=("$pid")
		done
		((${#left[@]} == 0)) && return 0
		if ((waited >= timeout * 10)); then
			warn "pid ${left[*]} ignored SIGTERM for ${timeout}s; sending SIGKILL"
			kill -KILL "${left[@]}" 2>/dev/null || true
			sleep 0.5
			return 0
		fi
		sleep 0.1
		waited=$((waited + 1))
	done
}

# Keep the previous run's log for post-mortems, but never let logs grow forever.
rotate_log() {
	[[ -f $MG_LOG ]] && mv -f "$MG_LOG" "$MG_LOG.1"
	return 0
}

log_tail() {
	if [[ -f $MG_LOG ]]; then
		echo "----- last lines of $MG_LOG -----" >&2
		tail -n "${1:-25}" "$MG_LOG" >&2
		echo "-----" >&2
	fi
}

# Generic stop: everything that carries our marker goes.
stop_service() {
	local timeout=$1 pids
	pids=$(our_pids)
	if [[ -z $pids ]]; then
		rm -f "$MG_PIDFILE"
		log "not running"
		return 0
	fi
	log "stopping (pid ${pids//$'\n'/ })"
	# shellcheck disable=SC2086
	stop_pids "$timeout" $pids
	rm -f "$MG_PIDFILE"
	log "stopped"
}

# Generic status: exit 0 only if the server answers on $HOST:$PORT. $1 names what
# it is ("broker", "server") for the message about an answer from someone else's.
status_service() {
	local noun=$1 pids
	pids=$(our_pids)
	if probe "$MG_NAME" "$HOST:$PORT" --quiet; then
		if [[ -n $pids ]]; then
			log "running (pid ${pids//$'\n'/ }) on $HOST:$PORT"
		else
			log "answering on $HOST:$PORT, but not a $noun started by this script"
		fi
		print_env
		return 0
	fi
	if [[ -n $pids ]]; then
		log "pid ${pids//$'\n'/ } is running but does not answer on $HOST:$PORT"
	else
		log "not running"
	fi
	return 1
}
