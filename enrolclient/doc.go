// Package enrolclient enrols a soft token with the companion server: it
// proves the user's password and initial passcode over the server's
// challenge/RSA protocol and receives the token's seed. The desktop app's
// Add dialog and the command line share it. (It arrives with the enrolment
// work; this file reserves the package.)
package enrolclient
