#!/bin/sh
# softtoken-server's package, before removal (deb: remove; rpm: 0): the
# service stopped and disabled. An upgrade (deb: upgrade; rpm: 1) keeps
# it running until postinstall restarts it.
set -e
case "$1" in
remove | 0) ;;
*) exit 0 ;;
esac
if [ -d /run/systemd/system ]; then
	systemctl disable --now softtoken-server.service >/dev/null 2>&1 || true
fi
exit 0
