#!/usr/bin/env bash
# Both local services the lab needs: Kafka on 127.0.0.1:9092 and a
# MongoDB-wire server (mongo-java-server) on 127.0.0.1:27017.
#
#   scripts/services.sh up       start both (already running is fine), then check
#                                them with the project's own clients if .venv has them
#   scripts/services.sh down     stop both
#   scripts/services.sh status   exit 0 only if both answer
#   scripts/services.sh check    client-level check of both (needs .venv)
#   scripts/services.sh env      print the exports, e.g. eval "$(scripts/services.sh env)"
#
# Used by `make services-up|services-down` and by CI. First run on a fresh
# machine fetches both servers' jars from Maven Central; after that it needs
# no network. Everything lives under ~/.cache/modelguard (MODELGUARD_CACHE).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")

print_env() {
	bash "$here/kafka.sh" env
	bash "$here/mongo.sh" env
}

# run SERVICE ACTION: the per-service script, minus its export line, so the
# two exports are printed once, together, at the end.
run() {
	bash "$here/$1.sh" "$2" | sed '/^export /d'
}

# The wire probes already proved both servers answer; this proves the
# project's clients can work with them. It needs the venv, which CI may build
# after the services, so its absence is reported, not fatal.
client_check() {
	local py=${MODELGUARD_PYTHON:-$repo/.venv/bin/python}
	if [[ -x $py ]] && "$py" -c 'import kafka, mongoengine' 2>/dev/null; then
		# Check the servers these scripts manage, whatever the caller's shell says.
		eval "$(print_env)"
		"$py" "$here/check_services.py" kafka mongo
	else
		echo "[services] skipped the client check: $py lacks kafka-python or mongoengine"
	fi
}

case ${1:-} in
up)
	t0=$SECONDS
	run kafka start
	# Kafka's own tools, which the integration tests compare the lab with: fetched
	# once, beside the broker's jars, and a no-op when they are there.
	run kafka fetch-tools
	run mongo start
	client_check
	echo "[services] up in $((SECONDS - t0))s"
	print_env
	;;
down)
	# Stop both even if the first one fails to stop.
	rc=0
	run mongo stop || rc=1
	run kafka stop || rc=1
	exit "$rc"
	;;
status)
	rc=0
	run kafka status || rc=1
	run mongo status || rc=1
	((rc == 0)) && print_env
	exit "$rc"
	;;
check) client_check ;;
env) print_env ;;
*)
	echo "usage: $0 {up|down|status|check|env}" >&2
	exit 2
	;;
esac
