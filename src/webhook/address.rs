//! Where webhooks may be sent. Only `http` and `https` URLs without
//! credentials; and, unless `LVZHI_WEBHOOK_ALLOW_PRIVATE` allows them, never
//! to loopback, link-local, private, shared, multicast or reserved addresses —
//! so a subscription cannot make lvzhi probe its own network. The rule is
//! applied to the addresses a name resolves to at each attempt
//! ([`GuardedResolver`]), not only when the subscription is made, so a name
//! that later resolves inward is refused too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Which non-public addresses webhooks may go to (`LVZHI_WEBHOOK_ALLOW_PRIVATE`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PrivateNetworks {
    /// None: public addresses only.
    #[default]
    None,
    /// Every address (a county intranet's receivers).
    All,
    /// These networks, e.g. `10.20.0.0/16` (and public addresses).
    Listed(Vec<Network>),
}

/// An address block, `ADDRESS/PREFIX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    /// `10.0.0.0/8`, `fd00::/8`, or one address (`10.1.2.3`).
    pub fn parse(text: &str) -> Result<Network, String> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address
            .trim()
            .parse()
            .map_err(|_| format!("{text:?} is not an address or ADDRESS/PREFIX"))?;
        let most = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= most)
                .ok_or_else(|| format!("{text:?}: the prefix must be from 0 to {most}"))?,
            None => most,
        };
        Ok(Network { address, prefix })
    }

    /// Whether `ip` lies inside.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl PrivateNetworks {
    /// `false`, `true`, or comma-separated networks.
    pub fn parse(text: &str) -> Result<PrivateNetworks, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "false" => Ok(PrivateNetworks::None),
            "true" => Ok(PrivateNetworks::All),
            _ => text
                .split(',')
                .filter(|n| !n.trim().is_empty())
                .map(Network::parse)
                .collect::<Result<Vec<_>, _>>()
                .map(PrivateNetworks::Listed),
        }
    }

    /// Whether a webhook may be sent to `ip`.
    pub fn permits(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        is_public(ip)
            || match self {
                PrivateNetworks::None => false,
                PrivateNetworks::All => true,
                PrivateNetworks::Listed(networks) => networks.iter().any(|n| n.contains(ip)),
            }
    }
}

/// An IPv4 address written as IPv6 (`::ffff:10.0.0.1`) is that IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether `ip` is a public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b) // NAT64 to any IPv4
}

/// Why a URL may not receive webhooks.
pub fn check_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "`{text}`: only http and https URLs receive webhooks"
        ));
    }
    if url.host().is_none() {
        return Err(format!("`{text}` names no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "`{text}` holds credentials: receivers verify the signature instead"
        ));
    }
    if url.fragment().is_some() {
        return Err(format!("`{text}` has a fragment, which is never sent"));
    }
    Ok(url)
}

/// `text` as a URL webhooks may go to: [`check_url`]'s rules, and an address
/// written in it (never resolved, so never seen by [`GuardedResolver`])
/// checked against `allowed`. A name's addresses are checked when resolved.
pub fn permitted_url(text: &str, allowed: &PrivateNetworks) -> Result<Url, String> {
    let url = check_url(text)?;
    match literal_address(&url) {
        Some(ip) if !allowed.permits(ip) => Err(format!(
            "{ip} is a loopback, private or reserved address: allow it with LVZHI_WEBHOOK_ALLOW_PRIVATE"
        )),
        _ => Ok(url),
    }
}

/// The address of an address-literal URL (`http://10.0.0.1/`), if it is one.
pub fn literal_address(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    }
}

/// Resolve `host` and keep the addresses webhooks may go to; an error names
/// what was refused.
pub async fn permitted_addresses(
    host: &str,
    port: u16,
    allowed: &PrivateNetworks,
) -> Result<Vec<SocketAddr>, String> {
    let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| format!("cannot resolve `{host}`: {e}"))?
        .collect();
    let permitted: Vec<SocketAddr> = resolved
        .iter()
        .copied()
        .filter(|a| allowed.permits(a.ip()))
        .collect();
    if permitted.is_empty() {
        let first = resolved
            .first()
            .map(|a| a.ip().to_string())
            .unwrap_or_default();
        return Err(format!(
            "`{host}` resolves to {first}, a loopback, private or reserved address: allow it with LVZHI_WEBHOOK_ALLOW_PRIVATE"
        ));
    }
    Ok(permitted)
}

/// The HTTP client's resolver: a name's addresses, less those refused.
#[derive(Clone)]
pub struct GuardedResolver(pub Arc<PrivateNetworks>);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allowed = self.0.clone();
        Box::pin(async move {
            let addresses = permitted_addresses(name.as_str(), 0, &allowed).await?;
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn loopback_private_link_local_and_reserved_addresses_are_refused_by_default() {
        let none = PrivateNetworks::None;
        for refused in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::",
        ] {
            assert!(!none.permits(ip(refused)), "{refused}");
        }
        for public in ["8.8.8.8", "114.114.114.114", "2400:3200::1"] {
            assert!(none.permits(ip(public)), "{public}");
        }
    }

    #[test]
    fn listed_networks_and_true_allow_what_they_name() {
        let listed = PrivateNetworks::parse("10.20.0.0/16, 192.168.5.7").unwrap();
        assert!(listed.permits(ip("10.20.3.4")));
        assert!(!listed.permits(ip("10.21.0.1")));
        assert!(listed.permits(ip("192.168.5.7")));
        assert!(!listed.permits(ip("192.168.5.8")));
        assert!(
            PrivateNetworks::parse("true")
                .unwrap()
                .permits(ip("127.0.0.1"))
        );
        assert_eq!(
            PrivateNetworks::parse("false").unwrap(),
            PrivateNetworks::None
        );
        assert!(PrivateNetworks::parse("10.0.0.0/33").is_err());
        assert!(PrivateNetworks::parse("intranet").is_err());
    }

    #[test]
    fn only_http_urls_without_credentials_are_accepted() {
        assert!(check_url("https://oa.example.cn/hooks/lvzhi").is_ok());
        assert!(check_url("http://10.0.0.1:8080/").is_ok());
        for bad in [
            "ftp://example.cn/",
            "file:///etc/passwd",
            "https://user:pw@example.cn/",
            "not a url",
            "https://example.cn/#x",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
