#!/bin/sh
# softtoken-server's package, after install or upgrade (deb: configure;
# rpm: 1 or 2): its system user, its state directory, the env file's group,
# and systemd told of the unit. It never starts the service: configure
# /etc/softtoken-server/env, then `systemctl enable --now softtoken-server`.
# An upgrade restarts the service if it runs.
set -e
case "$1" in
configure | 1 | 2) ;;
*) exit 0 ;;
esac

if command -v systemd-sysusers >/dev/null 2>&1; then
	systemd-sysusers /usr/lib/sysusers.d/softtoken-server.conf
elif ! getent passwd softtoken-server >/dev/null; then
	useradd --system --user-group --home-dir /var/lib/softtoken-server --no-create-home \
		--shell /usr/sbin/nologin --comment "softtoken server" softtoken-server
fi

# The state directory systemd makes at start (StateDirectory=), made now
# so that the admin commands can run before the first start.
if [ ! -d /var/lib/softtoken-server ]; then
	install -d -m 0700 -o softtoken-server -g softtoken-server /var/lib/softtoken-server
fi

# The package ships the env file as root:root 0640: its group is set
# here, where the group exists (also after an upgrade replaced it).
if [ "$(stat -c %G /etc/softtoken-server/env)" = root ]; then
	chgrp softtoken-server /etc/softtoken-server/env
fi

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null || true
	case "$1" in
	2) systemctl try-restart softtoken-server.service || true ;;
	configure) [ -z "$2" ] || systemctl try-restart softtoken-server.service || true ;;
	esac
fi
exit 0
