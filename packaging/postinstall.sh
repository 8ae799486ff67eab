#!/bin/sh
# Creates the docbridge system user and its data directory.
set -e
if ! getent passwd docbridge >/dev/null; then
	adduser --system --group --home /var/lib/docbridge --no-create-home docbridge
fi
install -d -m 0700 -o docbridge -g docbridge /var/lib/docbridge
chown root:docbridge /etc/docbridge/docbridge.yaml /etc/docbridge/users.yaml
chmod 0640 /etc/docbridge/docbridge.yaml /etc/docbridge/users.yaml
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
