package radius

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
)

// Client is a RADIUS client the server answers: the addresses it sends
// from, the secret it shares with the server, and its name for the audit,
// the log and the metrics.
type Client struct {
	Prefix netip.Prefix
	Secret []byte
	Name   string
}

// Clients are the listed clients, in the file's order.
type Clients []Client

// minSecret is the shortest shared secret a client file may hold: RFC
// 2865 asks for at least 16 octets; shorter ones fall to an offline guess
// from one captured packet.
const minSecret = 16

// find is the client addr sends from: the listed prefix that holds it and
// is longest (the first such, when two are as long); nil for none.
func (cs Clients) find(addr netip.Addr) *Client {
	addr = addr.Unmap()
	var best *Client
	for i := range cs {
		c := &cs[i]
		if c.Prefix.Contains(addr) && (best == nil || c.Prefix.Bits() > best.Prefix.Bits()) {
			best = c
		}
	}
	return best
}

// Name is the name of the client addr sends from, "" for none.
func (cs Clients) Name(addr netip.Addr) string {
	if c := cs.find(addr); c != nil {
		return c.Name
	}
	return ""
}

// LoadClients reads the clients file at path (see ParseClients). It
// refuses a file that its group or others may read, since it holds the
// shared secrets.
func LoadClients(path string) (Clients, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("radius clients: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("radius clients: %w", err)
	}
	if m := fi.Mode().Perm(); m&0o077 != 0 {
		return nil, fmt.Errorf("radius clients: %s holds shared secrets but its group or others may read it (mode %04o): chmod 600 it", path, m)
	}
	cs, err := ParseClients(f)
	if err != nil {
		return nil, fmt.Errorf("radius clients: %s: %w", path, err)
	}
	return cs, nil
}

// ParseClients reads one client a line: an address or CIDR prefix, the
// shared secret (at least 16 characters, no spaces) and a name (the rest
// of the line), separated by spaces; blank lines and lines starting with
// # are skipped. A malformed line, or one whose name or address or prefix
// another line has, is refused, named by its number (never its secret).
func ParseClients(r io.Reader) (Clients, error) {
	var cs Clients
	names, prefixes := map[string]bool{}, map[netip.Prefix]bool{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c, err := parseClient(line)
		switch {
		case err != nil:
		case names[c.Name]:
			err = fmt.Errorf("the name %q is listed twice", c.Name)
		case prefixes[c.Prefix]:
			// Only the first would be answered: the other's secret
			// would never work, and nothing would say why.
			err = fmt.Errorf("the address or prefix %s is listed twice", c.Prefix)
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		names[c.Name], prefixes[c.Prefix] = true, true
		cs = append(cs, c)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, errors.New("no clients listed")
	}
	return cs, nil
}

// parseClient reads one line of the clients file.
func parseClient(line string) (Client, error) {
	f := strings.Fields(line)
	if len(f) < 3 {
		return Client{}, errors.New("want an address or CIDR, a shared secret and a name")
	}
	p, err := netip.ParsePrefix(f[0])
	if err != nil {
		a, aerr := netip.ParseAddr(f[0])
		if aerr != nil {
			// Not quoted: a line with its fields swapped would show
			// its secret.
			return Client{}, errors.New("the first field is not an address or CIDR prefix")
		}
		if a.Zone() != "" {
			// A zoned (link-local) address matches no sender.
			return Client{}, errors.New("the first field has an IPv6 zone: list the address without it, or a prefix")
		}
		a = a.Unmap()
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if p.Addr().Is4In6() {
		if p.Bits() < 96 {
			return Client{}, errors.New("the first field is an IPv4-mapped prefix: write it as an IPv4 one")
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	if !p.IsValid() {
		return Client{}, errors.New("the first field is not an address or CIDR prefix")
	}
	if len(f[1]) < minSecret {
		return Client{}, fmt.Errorf("the shared secret is shorter than %d characters", minSecret)
	}
	return Client{Prefix: p.Masked(), Secret: []byte(f[1]), Name: strings.Join(f[2:], " ")}, nil
}
