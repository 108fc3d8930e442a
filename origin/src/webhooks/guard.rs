//! Where a webhook may be sent: no loopback, private, link-local, cloud-metadata or otherwise
//! special address, checked when the endpoint is created and again by the resolver every
//! connection uses, so that a name cannot be switched to an inner address after the check.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Why a target is refused, in words; `None` for a public address.
pub fn refused(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return refused_v4(v4);
            }
            let s = v6.segments();
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if (s[0] & 0xfe00) == 0xfc00 {
                Some("private (unique local)")
            } else if (s[0] & 0xffc0) == 0xfe80 {
                Some("link-local")
            } else if (s[0] & 0xff00) == 0xff00 {
                Some("multicast")
            } else if s[0] == 0x64 && s[1] == 0xff9b {
                // NAT64 embeds an IPv4 address: judge that one.
                refused_v4(Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8))
            } else if s[0] == 0x2002 {
                // 6to4 embeds an IPv4 address too.
                refused_v4(Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8))
            } else if s[0] == 0xfd00 && s[1] == 0x0ec2 {
                Some("cloud metadata")
            } else if s[0] == 0x2001 && s[1] == 0xdb8 {
                Some("documentation")
            } else {
                None
            }
        }
    }
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if o[0] == 169 && o[1] == 254 {
        // 169.254.169.254 (AWS, GCP, Azure, OpenStack metadata) is in here.
        Some("link-local or cloud metadata")
    } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
        Some("shared address space (carrier-grade NAT)")
    } else if o[0] == 0 || ip.is_broadcast() || ip.is_multicast() || o[0] >= 240 {
        Some("not a unicast address")
    } else if (o[0] == 192 && o[1] == 0 && (o[2] == 0 || o[2] == 2)) || (o[0] == 198 && (o[1] & 0xfe) == 18) {
        Some("reserved")
    } else if (o[0] == 198 && o[1] == 51 && o[2] == 100) || (o[0] == 203 && o[1] == 0 && o[2] == 113) {
        Some("documentation")
    } else {
        None
    }
}

/// A resolver that resolves as the system does, then drops what [`refused`] refuses (unless
/// private targets are allowed); a name with no address left fails the connection.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    /// `AFORO_WEBHOOK_ALLOW_PRIVATE`.
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept: Vec<SocketAddr> = addrs.into_iter().filter(|a| allow || refused(a.ip()).is_none()).collect();
            if kept.is_empty() {
                return Err(format!("{host}: no public address (refused: loopback, private, link-local or metadata)").into());
            }
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Checks a host at creation: an address literal is judged as is, a name by what it resolves
/// to now (every address must be public). Errs with why.
pub async fn check_host(host: &str, allow_private: bool) -> Result<(), String> {
    if allow_private {
        return Ok(());
    }
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return refused(ip).map_or(Ok(()), |why| Err(format!("{host} is a {why} address")));
    }
    let lower = host.to_ascii_lowercase();
    if lower == "localhost" || lower.ends_with(".localhost") || lower.ends_with(".internal") || lower.ends_with(".local") {
        return Err(format!("{host} names a local or internal host"));
    }
    let lookup = tokio::time::timeout(std::time::Duration::from_secs(2), tokio::net::lookup_host((host, 0)));
    let addrs = lookup.await.map_err(|_| format!("{host} did not resolve within 2 s"))?.map_err(|_| format!("{host} does not resolve"))?;
    for a in addrs {
        if let Some(why) = refused(a.ip()) {
            return Err(format!("{host} resolves to a {why} address"));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::refused;

    #[test]
    fn inner_addresses_are_refused_and_public_ones_kept() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "fd00:ec2::254",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
        ] {
            assert!(refused(bad.parse().unwrap()).is_some(), "{bad} must be refused");
        }
        for ok in ["1.1.1.1", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"] {
            assert!(refused(ok.parse().unwrap()).is_none(), "{ok} must be allowed");
        }
    }
}
