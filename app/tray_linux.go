package main

import "github.com/godbus/dbus/v5"

// trayAvailable reports whether a system tray host (a StatusNotifierItem
// watcher, as KDE, GNOME with AppIndicator, XFCE and others run) is on the
// session bus. Without one, closing the window must quit the app rather
// than hide it where nobody can bring it back.
func trayAvailable() bool {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return false
	}
	defer conn.Close()
	var has bool
	err = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&has)
	return err == nil && has
}
