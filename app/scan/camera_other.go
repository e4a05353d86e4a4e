//go:build !linux

package scan

import "fmt"

// CameraSupported says whether this system has webcam scanning. Windows
// and macOS do not: no pure-Go or well-kept library reads their cameras
// (docs/qr.md), so the scan dialog offers the screen, a file and the
// clipboard there.
const CameraSupported = false

// OpenCamera is not available on this system.
func OpenCamera() (FrameSource, error) {
	return nil, fmt.Errorf("%w (webcam scanning works on Linux only: scan the screen, an image file or the clipboard instead)", ErrNoCamera)
}
