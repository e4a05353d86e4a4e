//go:build !race

package ws_test

// raceDetector says the tests run under the race detector, which makes
// each round trip several times slower.
const raceDetector = false
