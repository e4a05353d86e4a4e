//go:build wine

package wintest

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"fmt"
	"image"
	_ "image/png"
	"os"
	"regexp"
	"testing"
	"unicode/utf16"
)

// Resource types of a PE file.
const (
	rtIcon      = 3
	rtGroupIcon = 14
	rtVersion   = 16
)

// The packaged .exe carries FyneApp.toml's version (Version.Build as its
// file and product version, in the version resource Explorer shows) and
// name, and the app's icon as its own.
func TestPackageMetadata(t *testing.T) {
	toml, err := os.ReadFile("../../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	version := regexp.MustCompile(`(?m)^\s*Version\s*=\s*"([0-9.]+)"`).FindSubmatch(toml)
	build := regexp.MustCompile(`(?m)^\s*Build\s*=\s*([0-9]+)`).FindSubmatch(toml)
	name := regexp.MustCompile(`(?m)^\s*Name\s*=\s*"([^"]+)"`).FindSubmatch(toml)
	if version == nil || build == nil || name == nil {
		t.Fatalf("FyneApp.toml lacks Version, Build or Name:\n%s", toml)
	}
	want := string(version[1]) + "." + string(build[1])

	res := readResources(t, exe)
	vs := res[rtVersion]
	if len(vs) != 1 {
		t.Fatalf("%d version resources, want 1", len(vs))
	}
	fixed := bytes.Index(vs[0], []byte{0xbd, 0x04, 0xef, 0xfe}) // VS_FIXEDFILEINFO's signature
	if fixed < 0 || fixed+24 > len(vs[0]) {
		t.Fatal("the version resource has no VS_FIXEDFILEINFO")
	}
	w := func(i int) uint32 { return binary.LittleEndian.Uint32(vs[0][fixed+4*i:]) }
	fileVersion := fmt.Sprintf("%d.%d.%d.%d", w(2)>>16, w(2)&0xffff, w(3)>>16, w(3)&0xffff)
	productVersion := fmt.Sprintf("%d.%d.%d.%d", w(4)>>16, w(4)&0xffff, w(5)>>16, w(5)&0xffff)
	if fileVersion != want || productVersion != want {
		t.Errorf("the .exe's file version %s, product version %s; FyneApp.toml says %s", fileVersion, productVersion, want)
	}
	text := utf16String(vs[0])
	for key, value := range map[string]string{"FileVersion": want, "ProductVersion": want, "ProductName": string(name[1])} {
		// A key, NUL and padding, then its value, NUL-terminated.
		if !regexp.MustCompile(key + "\x00+" + regexp.QuoteMeta(value) + "\x00").MatchString(text) {
			t.Errorf("the version strings lack %s %s: %q", key, value, text)
		}
	}

	// The icon: a group naming the icons, the largest of which is the
	// app's icon (assets/icon.png) scaled.
	if len(res[rtGroupIcon]) == 0 || len(res[rtIcon]) == 0 {
		t.Fatalf("no icon: %d icon groups, %d icons", len(res[rtGroupIcon]), len(res[rtIcon]))
	}
	var largest image.Image
	for _, data := range res[rtIcon] {
		img, err := decodeIcon(data)
		if err != nil {
			t.Errorf("an icon does not decode: %v", err)
			continue
		}
		if largest == nil || img.Bounds().Dx() > largest.Bounds().Dx() {
			largest = img
		}
	}
	f, err := os.Open("../../assets/icon.png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if largest == nil {
		t.Fatal("no icon decodes")
	}
	d := meanDifference(src, largest)
	t.Logf("the .exe's largest icon: %dx%d, %.1f%% from assets/icon.png", largest.Bounds().Dx(), largest.Bounds().Dy(), 100*d)
	if d > 0.05 {
		t.Errorf("the .exe's %dx%d icon differs from assets/icon.png by %.0f%% on average", largest.Bounds().Dx(), largest.Bounds().Dy(), 100*d)
	}
}

// readResources returns the data of every resource of the PE file at path,
// by type.
func readResources(t *testing.T, path string) map[uint32][][]byte {
	t.Helper()
	f, err := pe.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sec := f.Section(".rsrc")
	if sec == nil {
		t.Fatal("the .exe has no .rsrc section")
	}
	data, err := sec.Data()
	if err != nil {
		t.Fatal(err)
	}
	u16 := func(off uint32) uint32 { return uint32(binary.LittleEndian.Uint16(data[off:])) }
	u32 := func(off uint32) uint32 { return binary.LittleEndian.Uint32(data[off:]) }
	// Three levels: type, name, language; then a data entry whose offset
	// is an RVA.
	var walk func(dir uint32, depth int, typ uint32)
	out := map[uint32][][]byte{}
	walk = func(dir uint32, depth int, typ uint32) {
		n := u16(dir+12) + u16(dir+14)
		for i := uint32(0); i < n; i++ {
			entry := dir + 16 + 8*i
			id, off := u32(entry), u32(entry+4)
			if depth == 0 {
				typ = id
			}
			if off&0x80000000 != 0 {
				walk(off&0x7fffffff, depth+1, typ)
				continue
			}
			rva, size := u32(off), u32(off+4)
			start := rva - sec.VirtualAddress
			out[typ] = append(out[typ], data[start:start+size])
		}
	}
	walk(0, 0, 0)
	return out
}

// decodeIcon decodes an RT_ICON: a PNG, or a DIB (BITMAPINFOHEADER, 32-bit
// BGRA, bottom-up, twice the height for the AND mask).
func decodeIcon(b []byte) (image.Image, error) {
	if bytes.HasPrefix(b, []byte("\x89PNG")) {
		img, _, err := image.Decode(bytes.NewReader(b))
		return img, err
	}
	if len(b) < 40 {
		return nil, fmt.Errorf("%d bytes", len(b))
	}
	width := int(int32(binary.LittleEndian.Uint32(b[4:])))
	height := int(int32(binary.LittleEndian.Uint32(b[8:]))) / 2
	bits := binary.LittleEndian.Uint16(b[14:])
	hdr := int(binary.LittleEndian.Uint32(b[0:]))
	if bits != 32 || width <= 0 || height <= 0 || len(b) < hdr+4*width*height {
		return nil, fmt.Errorf("a %dx%d DIB of %d bits", width, height, bits)
	}
	img := image.NewNRGBA(image.Rect(0, 0, width, height))
	for y := 0; y < height; y++ {
		row := b[hdr+4*width*(height-1-y):]
		for x := 0; x < width; x++ {
			p := row[4*x:]
			copy(img.Pix[img.PixOffset(x, y):], []byte{p[2], p[1], p[0], p[3]})
		}
	}
	return img, nil
}

// meanDifference compares a with b sampled at a's size (nearest pixel),
// colour channels premultiplied by alpha: 0 is equal, 1 opposite.
func meanDifference(a, b image.Image) float64 {
	ab, bb := a.Bounds(), b.Bounds()
	var sum float64
	n := 0
	for y := ab.Min.Y; y < ab.Max.Y; y += 4 {
		for x := ab.Min.X; x < ab.Max.X; x += 4 {
			bx := bb.Min.X + (x-ab.Min.X)*bb.Dx()/ab.Dx()
			by := bb.Min.Y + (y-ab.Min.Y)*bb.Dy()/ab.Dy()
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(bx, by).RGBA()
			for _, d := range []int64{int64(r1) - int64(r2), int64(g1) - int64(g2), int64(b1) - int64(b2), int64(a1) - int64(a2)} {
				if d < 0 {
					d = -d
				}
				sum += float64(d) / 0xffff
			}
			n += 4
		}
	}
	return sum / float64(n)
}

// utf16String reads b as UTF-16LE text (invalid pairs as U+FFFD).
func utf16String(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}
