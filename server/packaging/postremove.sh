#!/bin/sh
# softtoken-server's package, after removal: systemd forgets the unit.
# Purging removes the env file (dpkg) but never the state directory
# (/var/lib/softtoken-server: the database and its master key, every
# user's token) nor the user that owns it: docs/deploy.md says how to
# remove them by hand.
set -e
case "$1" in
remove | purge | 0) ;;
*) exit 0 ;;
esac
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null || true
fi
if [ "$1" = purge ]; then
	rmdir /etc/softtoken-server 2>/dev/null || true
fi
exit 0
