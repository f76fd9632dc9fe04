#!/usr/bin/env bash
# Real Mongoose 8 from npm, the oracle of the registry's differential test
# (tests/unit/test_mongoose_oracle.py). No database: Mongoose compiles models
# without a connection.
#
#   scripts/mongoose.sh install   npm ci the pinned version (no-op when cached), print its folder
#   scripts/mongoose.sh path      print the folder, exit 1 if it is not installed
#
# The pin is tests/oracle/mongoose/package.json with its package-lock.json. The
# install goes to ~/.cache/modelguard/mongoose-<lockfile hash>/ (MODELGUARD_CACHE
# overrides the root), so a changed lockfile installs afresh and an unchanged one
# costs nothing. Node and npm come from the machine.
set -euo pipefail

# shellcheck disable=SC2034 # read by _lib.sh
MG_NAME=mongoose
# shellcheck source=scripts/_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/_lib.sh"

readonly PIN=$MG_REPO/tests/oracle/mongoose
readonly LOCK=$PIN/package-lock.json
HASH=$(sha256sum "$LOCK" | cut -c1-16)
readonly HASH
readonly DEST=$MG_CACHE/mongoose-$HASH

installed() {
	[[ -f $DEST/.installed && -f $DEST/node_modules/mongoose/package.json ]]
}

install() {
	if installed; then
		echo "$DEST"
		return 0
	fi
	need node "install Node.js 18 or newer (Debian: apt-get install nodejs npm)"
	need npm "install npm (Debian: apt-get install npm)"
	local tmp=$DEST.partial.$$
	rm -rf "$tmp"
	mkdir -p "$tmp"
	cp "$PIN/package.json" "$LOCK" "$tmp/"
	log "npm ci into $DEST (first run only)" >&2
	# --ignore-scripts: the oracle needs no install hooks; npm's own output goes
	# to a file, worth reading only when it failed.
	if ! (cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund >npm.log 2>&1); then
		tail -n 30 "$tmp/npm.log" >&2
		die "npm ci failed (full output: $tmp/npm.log)"
	fi
	touch "$tmp/.installed"
	# Swap in whole: a half-installed folder must never look complete.
	rm -rf "$DEST"
	mv "$tmp" "$DEST"
	echo "$DEST"
}

case ${1:-install} in
install) install ;;
path)
	installed || die "not installed: run scripts/mongoose.sh install"
	echo "$DEST"
	;;
*) die "usage: $0 install|path" ;;
esac
