//go:build !linux

package scan

import "fmt"

// OpenCamera is not available on this system yet.
func OpenCamera() (FrameSource, error) {
	return nil, fmt.Errorf("%w (webcam scanning works on Linux for now)", ErrNoCamera)
}
