//go:build !linux

package scan

import (
	"context"
	"errors"
	"image"
)

var errNoPortal = errors.New("no screenshot portal on this system")

func capturePortal(context.Context) (image.Image, error) { return nil, errNoPortal }
