package stress

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
)

// PNGBomb is a complete, valid PNG of w×h 16-bit grey pixels, all zero:
// it compresses about 1000 to 1, so that a file of a few hundred KB
// decodes to 2·w·h bytes. The camera frame reader must refuse it from its
// header (docs/web.md, "Limits").
func PNGBomb(w, h int) []byte {
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression) // a valid level: no error
	row := make([]byte, 1+2*w)                             // filter byte, then the row's pixels
	for range h {
		_, _ = zw.Write(row)
	}
	_ = zw.Close()
	out := bytes.NewBufferString("\x89PNG\r\n\x1a\n")
	chunk := func(kind string, data []byte) {
		body := append([]byte(kind), data...)
		out.Write(binary.BigEndian.AppendUint32(nil, uint32(len(data))))
		out.Write(body)
		out.Write(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(body)))
	}
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(w)), uint32(h))
	chunk("IHDR", append(ihdr, 16, 0, 0, 0, 0)) // 16-bit grey, no interlace
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}
