//! The client address of a request: the TCP peer, or, when the peer is a trusted proxy
//! (`AFORO_TRUSTED_PROXIES`), the right-most `X-Forwarded-For` entry that is not itself a
//! trusted proxy. Everything left of it was written by the client and proves nothing.

use std::net::IpAddr;

/// One trusted block: an address and the leading bits that must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Block {
    addr: IpAddr,
    bits: u8,
}

impl Block {
    fn parse(s: &str) -> Result<Block, String> {
        let (a, bits) = match s.split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (s, None),
        };
        let addr: IpAddr = a.trim().parse().map_err(|_| format!("{s:?} is not an IP address or CIDR block"))?;
        let addr = addr.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let bits = match bits {
            Some(b) => b.trim().parse::<u8>().ok().filter(|b| *b <= max).ok_or_else(|| format!("{s:?}: prefix length must be 0-{max}"))?,
            None => max,
        };
        Ok(Block { addr, bits })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(a), IpAddr::V4(b)) => prefix(u128::from(u32::from(a)), u128::from(u32::from(b)), 32, self.bits),
            (IpAddr::V6(a), IpAddr::V6(b)) => prefix(u128::from(a), u128::from(b), 128, self.bits),
            _ => false,
        }
    }
}

/// Whether `a` and `b` (numbers of `width` bits) share their first `bits` bits.
fn prefix(a: u128, b: u128, width: u32, bits: u8) -> bool {
    let shift = width.saturating_sub(u32::from(bits));
    if shift >= 128 {
        return true;
    }
    (a >> shift) == (b >> shift)
}

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proxies(Vec<Block>);

impl Proxies {
    /// Parses a comma-separated list of IP addresses and CIDR blocks (empty: none).
    pub fn parse(list: &str) -> Result<Proxies, String> {
        list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(Block::parse).collect::<Result<_, _>>().map(Proxies)
    }

    /// Whether `ip` is a trusted proxy.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|b| b.contains(ip))
    }

    /// The client address of a request from `peer` carrying these `X-Forwarded-For` header
    /// values (in the order received): walking the entries right to left from a trusted
    /// peer, the first that is not a trusted proxy. An entry that is not an address stops
    /// the walk at the hop that wrote it; when every entry is trusted, the left-most.
    pub fn client<'a>(&self, peer: IpAddr, xff: impl Iterator<Item = &'a str>) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let entries: Vec<&str> = xff.flat_map(|v| v.split(',')).map(str::trim).filter(|s| !s.is_empty()).collect();
        let mut hop = peer;
        for e in entries.iter().rev() {
            let Some(ip) = parse_entry(e) else { return hop };
            hop = ip;
            if !self.trusts(ip) {
                return ip;
            }
        }
        hop
    }
}

/// An `X-Forwarded-For` entry: an address, perhaps with a port (`1.2.3.4:80`, `[::1]:80`).
fn parse_entry(e: &str) -> Option<IpAddr> {
    let ip = e
        .parse::<IpAddr>()
        .ok()
        .or_else(|| e.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| e.strip_prefix('[').and_then(|r| r.strip_suffix(']')).and_then(|r| r.parse().ok()))?;
    Some(ip.to_canonical())
}

/// The key a client address is limited under: an IPv4 address, or an IPv6 address's /64
/// (one subscriber gets a whole /64, so a key per address would cost them nothing to dodge).
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        v4 => v4,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks_match_by_prefix() {
        let p = Proxies::parse(" 10.0.0.0/8, 192.168.1.7 ,fd00::/8").unwrap();
        assert!(p.trusts(ip("10.200.3.4")) && p.trusts(ip("192.168.1.7")) && p.trusts(ip("fd12::1")));
        assert!(p.trusts(ip("::ffff:10.1.1.1")), "an IPv4-mapped address is its IPv4 address");
        assert!(!p.trusts(ip("11.0.0.1")) && !p.trusts(ip("192.168.1.8")) && !p.trusts(ip("fe80::1")));
        assert!(Proxies::parse("0.0.0.0/0").unwrap().trusts(ip("8.8.8.8")));
        assert_eq!(Proxies::parse("").unwrap(), Proxies::default());
        assert!(Proxies::parse("10.0.0.0/33").is_err() && Proxies::parse("nope").is_err() && Proxies::parse("::/129").is_err());
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_hop() {
        let p = Proxies::parse("127.0.0.1,10.0.0.0/8").unwrap();
        // An untrusted peer's header is ignored.
        assert_eq!(p.client(ip("203.0.113.9"), ["1.1.1.1"].into_iter()), ip("203.0.113.9"));
        // A trusted peer: the right-most entry that is not a proxy, whatever the client wrote left of it.
        assert_eq!(p.client(ip("127.0.0.1"), ["6.6.6.6, 198.51.100.2, 10.1.1.1"].into_iter()), ip("198.51.100.2"));
        assert_eq!(p.client(ip("127.0.0.1"), ["6.6.6.6", "198.51.100.2:4711"].into_iter()), ip("198.51.100.2"));
        assert_eq!(p.client(ip("127.0.0.1"), ["[2001:db8::1]:80"].into_iter()), ip("2001:db8::1"));
        // No header, or only proxies: the left-most known hop.
        assert_eq!(p.client(ip("127.0.0.1"), std::iter::empty()), ip("127.0.0.1"));
        assert_eq!(p.client(ip("127.0.0.1"), ["10.0.0.2, 10.0.0.3"].into_iter()), ip("10.0.0.2"));
        // Garbage stops the walk at the proxy that passed it on.
        assert_eq!(p.client(ip("127.0.0.1"), ["garbage, 10.0.0.3"].into_iter()), ip("10.0.0.3"));
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64() {
        assert_eq!(limit_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("::ffff:1.2.3.4")), ip("1.2.3.4"));
        assert_eq!(limit_key(ip("1.2.3.4")), ip("1.2.3.4"));
    }
}
