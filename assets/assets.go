// Package assets holds the files softtoken ships inside its binaries: the
// application and tray icon. icon.svg is the source; icon.png is made from
// it (convert -background none icon.svg -depth 8 -resize 256x256 icon.png)
// because packagers and tray hosts want a bitmap.
package assets

import _ "embed"

// IconPNG is the application icon, 256×256 PNG.
//
//go:embed icon.png
var IconPNG []byte
