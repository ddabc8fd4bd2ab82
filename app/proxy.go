package app

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// proxies knows which peers are our reverse proxies, and finds the client behind them.
type proxies struct {
	header  string // AC_PROXY_HEADER, e.g. X-Forwarded-For
	trusted []netip.Prefix
}

// parseProxies reads AC_TRUSTED_PROXIES' entries: CIDRs, or single addresses.
func parseProxies(header string, entries []string) (proxies, error) {
	p := proxies{header: header}
	for _, e := range entries {
		pfx, err := netip.ParsePrefix(e)
		if err != nil {
			addr, aerr := netip.ParseAddr(e)
			if aerr != nil {
				return p, fmt.Errorf("AC_TRUSTED_PROXIES: %q is neither a CIDR (10.0.0.0/8) nor an address", e)
			}
			pfx = netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen())
		}
		p.trusted = append(p.trusted, pfx.Masked())
	}
	return p, nil
}

func (p proxies) isTrusted(a netip.Addr) bool {
	for _, pfx := range p.trusted {
		if pfx.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP is the address the rate limits count. From a peer that is not a trusted proxy
// (Fiber's check, fed with the same list) it is the peer: the header is the client's own word.
// Behind trusted proxies it is the right-most address of the header that is not a trusted
// proxy: each proxy appends the address it received the request from, so everything to the
// left of that may be made up. A malformed entry ends the walk at the hop to its right, which
// is ours: a client never gets to choose the address it is counted as.
func (p proxies) clientIP(c *fiber.Ctx) string {
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return c.Context().RemoteIP().String()
	}
	client := peer.Unmap()
	if p.header == "" || len(p.trusted) == 0 || !c.IsProxyTrusted() {
		return client.String()
	}
	var hops []string
	for _, v := range c.Request().Header.PeekAll(p.header) {
		hops = append(hops, strings.Split(string(v), ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break
		}
		client = a
		if !p.isTrusted(a) {
			break
		}
	}
	return client.String()
}

// parseHop reads one entry of a forwarding header: an address, possibly with a port.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Addr().Zone() == "" {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}
