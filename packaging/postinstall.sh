#!/bin/sh
# docbridge postinstall (dpkg postinst): the service user, its directories,
# the drop folder other programs write to, and the token key.
#
#   /var/lib/docbridge           0755 docbridge:docbridge   state directory (StateDirectory=)
#   /var/lib/docbridge/data      0700 docbridge:docbridge   the store: nobody else reads it
#   /var/lib/docbridge/drop      2770 docbridge:docbridge-drop
#       members of docbridge-drop write documents here; the setgid bit and
#       the unit's UMask=0007 keep failed/*.reason.json readable by them
#   /etc/docbridge/token.key     0640 root:docbridge        created once, never replaced
#
# DOCBRIDGE_ROOT runs the script against a test root instead of /: then no
# user or group is created, systemd is left alone, and DOCBRIDGE_USER,
# DOCBRIDGE_GROUP, DOCBRIDGE_DROP_GROUP and DOCBRIDGE_KEY_OWNER name
# existing accounts to own the files.
set -e
ROOT="${DOCBRIDGE_ROOT:-}"
SVC_USER="${DOCBRIDGE_USER:-docbridge}"
SVC_GROUP="${DOCBRIDGE_GROUP:-docbridge}"
DROP_GROUP="${DOCBRIDGE_DROP_GROUP:-docbridge-drop}"
KEY_OWNER="${DOCBRIDGE_KEY_OWNER:-root}"

if [ -z "$ROOT" ]; then
	if ! getent group "$DROP_GROUP" >/dev/null; then
		addgroup --system "$DROP_GROUP"
	fi
	if ! getent passwd "$SVC_USER" >/dev/null; then
		adduser --system --group --home /var/lib/docbridge --no-create-home "$SVC_USER"
	fi
	# The service reads what other programs drop, whoever owns it.
	adduser --quiet "$SVC_USER" "$DROP_GROUP"
fi

install -d -m 0755 -o "$SVC_USER" -g "$SVC_GROUP" "$ROOT/var/lib/docbridge"
install -d -m 0700 -o "$SVC_USER" -g "$SVC_GROUP" "$ROOT/var/lib/docbridge/data"
install -d -m 2770 -o "$SVC_USER" -g "$DROP_GROUP" "$ROOT/var/lib/docbridge/drop"
# install -d leaves an existing directory's mode alone: set it.
chmod 0755 "$ROOT/var/lib/docbridge"
chmod 0700 "$ROOT/var/lib/docbridge/data"
chmod 2770 "$ROOT/var/lib/docbridge/drop"

# The key that encrypts pairing tokens at rest (security.key_file): 32
# random bytes, base64. Created once: a new key would make the stored
# tokens unreadable.
install -d -m 0755 "$ROOT/etc/docbridge"
key="$ROOT/etc/docbridge/token.key"
if [ ! -e "$key" ]; then
	tmp="$key.new"
	(umask 0077 && head -c 32 /dev/urandom | base64 >"$tmp")
	chown "$KEY_OWNER:$SVC_GROUP" "$tmp"
	chmod 0640 "$tmp"
	mv "$tmp" "$key"
	echo "docbridge: created the token key /etc/docbridge/token.key (keep a copy with the store's backups)." >&2
	echo "docbridge: before starting: set mes.base_url in /etc/docbridge/docbridge.yaml, add a console user to" >&2
	echo "  /etc/docbridge/users.yaml (docbridge admin hash-password), then: systemctl enable --now docbridge" >&2
fi

for f in "$ROOT/etc/docbridge/docbridge.yaml" "$ROOT/etc/docbridge/users.yaml"; do
	if [ -e "$f" ]; then
		chown "$KEY_OWNER:$SVC_GROUP" "$f"
		chmod 0640 "$f"
	fi
done

if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
	# An upgrade restarts a running service on the new binary; a first
	# install leaves it stopped until the configuration is filled in.
	systemctl try-restart docbridge.service || true
fi
