#!/bin/sh
# docbridge preremove (dpkg prerm): stop and disable the service before its
# files go. An upgrade ($1 = upgrade) leaves it running: postinstall
# restarts it on the new binary.
set -e
case "$1" in
remove | deconfigure)
	if [ -z "${DOCBRIDGE_ROOT:-}" ] && [ -d /run/systemd/system ]; then
		systemctl stop docbridge.service || true
		systemctl disable docbridge.service || true
	fi
	;;
esac
