#!/bin/sh
# docbridge postremove (dpkg postrm). Remove and purge keep the data: the
# store under /var/lib/docbridge holds the audit trail and documents not
# yet delivered, and /etc/docbridge/token.key is the only key that reads
# its pairing tokens. Purge also keeps the docbridge user and the
# docbridge-drop group (files may still belong to them). Delete them by
# hand once the data is no longer needed:
#   rm -r /var/lib/docbridge /etc/docbridge; deluser docbridge; delgroup docbridge-drop
set -e
ROOT="${DOCBRIDGE_ROOT:-}"
case "$1" in
remove | purge)
	if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then
		systemctl daemon-reload || true
	fi
	if [ -d "$ROOT/var/lib/docbridge" ]; then
		echo "docbridge: the data in /var/lib/docbridge and the key /etc/docbridge/token.key are kept; delete them by hand when they are no longer needed" >&2
	fi
	;;
esac
