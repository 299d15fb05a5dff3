//! Where health checks may connect (pure). A check's URL is written by whoever may edit a
//! ClaudeEnvironment, and the controller makes the request from inside the cluster: without
//! limits a check reads cloud metadata or another team's Services. So a check reaches only
//!
//! - Services of the environment's own namespaces (`<svc>.<ns>.svc[.cluster.local]`), and
//! - hosts the operator lists (`--check-allowed-hosts`: `host`, `*.suffix`, an IP or a CIDR),
//!
//! and never a link-local or cloud-metadata address, whatever a name resolves to (the
//! resolver checks every address it returns, so DNS cannot smuggle one in).

use std::net::IpAddr;

/// One entry of `--check-allowed-hosts`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Pattern {
    /// `prometheus.monitoring.svc`: exactly this host name.
    Host(String),
    /// `*.monitoring.svc`: any host ending in `.monitoring.svc`.
    Suffix(String),
    /// `10.0.0.0/8`, `127.0.0.1`: addresses in this network (IP literals in URLs).
    Net(IpAddr, u8),
}

/// The operator's egress allowances for checks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Egress {
    allowed: Vec<Pattern>,
}

/// Why a check may not connect.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Denied {
    #[error(
        "host {0:?} is not allowed for health checks: only Services of the environment's own \
         namespaces and hosts the operator lists (--check-allowed-hosts)"
    )]
    NotAllowed(String),
    #[error("address {0} is link-local or cloud metadata: never reachable by health checks")]
    Blocked(IpAddr),
}

impl Egress {
    /// From `--check-allowed-hosts` entries; an invalid one is an error naming it.
    pub(crate) fn new(entries: &[String]) -> Result<Egress, String> {
        let allowed = entries
            .iter()
            .map(|e| e.trim())
            .filter(|e| !e.is_empty())
            .map(|e| {
                pattern(e).ok_or_else(|| {
                    format!("--check-allowed-hosts: {e:?} is not a host, *.suffix, IP or CIDR")
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Egress { allowed })
    }

    /// Whether a check of an environment whose namespaces are `namespaces` may connect to
    /// `host` (a URL's host: a name, or an IP literal).
    pub(crate) fn check(&self, host: &str, namespaces: &[&str]) -> Result<(), Denied> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            if blocked(ip) {
                return Err(Denied::Blocked(ip));
            }
            return if self
                .allowed
                .iter()
                .any(|p| matches!(p, Pattern::Net(net, bits) if in_net(ip, *net, *bits)))
            {
                Ok(())
            } else {
                Err(Denied::NotAllowed(host.to_string()))
            };
        }
        let name = host.trim_end_matches('.').to_ascii_lowercase();
        if own_service(&name, namespaces) || self.allowed.iter().any(|p| matches_name(p, &name)) {
            Ok(())
        } else {
            Err(Denied::NotAllowed(host.to_string()))
        }
    }
}

/// Link-local (which holds every cloud's metadata endpoint: 169.254.169.254, AWS's
/// fd00:ec2::254, Alibaba's 100.100.100.200 aside) and unspecified addresses.
pub(crate) fn blocked(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_link_local() || v4.is_unspecified() || v4.octets() == [100, 100, 100, 200]
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            (s[0] & 0xffc0) == 0xfe80
                || v6.is_unspecified()
                || v6
                    == "fd00:ec2::254"
                        .parse::<std::net::Ipv6Addr>()
                        .expect("literal")
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| blocked(IpAddr::V4(v4)))
        }
    }
}

/// `<svc>.<ns>.svc` or `<svc>.<ns>.svc.cluster.local` with `ns` one of `namespaces`.
fn own_service(name: &str, namespaces: &[&str]) -> bool {
    let rest = name
        .strip_suffix(".svc.cluster.local")
        .or_else(|| name.strip_suffix(".svc"));
    let Some(rest) = rest else { return false };
    match rest.rsplit_once('.') {
        Some((service, ns)) => !service.is_empty() && namespaces.contains(&ns),
        None => false,
    }
}

fn pattern(entry: &str) -> Option<Pattern> {
    if let Some(suffix) = entry.strip_prefix("*.") {
        return (!suffix.is_empty()).then(|| Pattern::Suffix(suffix.to_ascii_lowercase()));
    }
    if let Some((ip, bits)) = entry.split_once('/') {
        let ip: IpAddr = ip.parse().ok()?;
        let bits: u8 = bits.parse().ok()?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        return (bits <= max).then_some(Pattern::Net(ip, bits));
    }
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(Pattern::Net(ip, if ip.is_ipv4() { 32 } else { 128 }));
    }
    let valid = entry
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    valid.then(|| Pattern::Host(entry.to_ascii_lowercase()))
}

fn matches_name(p: &Pattern, name: &str) -> bool {
    match p {
        Pattern::Host(h) => h == name,
        Pattern::Suffix(s) => name
            .strip_suffix(s.as_str())
            .is_some_and(|head| head.ends_with('.') && head.len() > 1),
        Pattern::Net(..) => false,
    }
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn egress(entries: &[&str]) -> Egress {
        Egress::new(&entries.iter().map(|e| e.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn by_default_only_services_of_the_environments_namespaces() {
        let e = Egress::default();
        let own = ["team-a"];
        assert!(e.check("mcp.team-a.svc", &own).is_ok());
        assert!(e.check("mcp.team-a.svc.cluster.local", &own).is_ok());
        assert!(e.check("MCP.Team-A.svc.", &own).is_ok());
        assert!(
            e.check("mcp.team-b.svc", &own).is_err(),
            "another team's Service"
        );
        assert!(e.check("kubernetes.default.svc", &own).is_err());
        assert!(e.check("team-a.svc", &own).is_err(), "no service part");
        assert!(e.check("example.com", &own).is_err());
        assert!(e.check("10.0.0.1", &own).is_err());
        assert!(e.check("127.0.0.1", &own).is_err());
    }

    #[test]
    fn the_operator_adds_hosts_suffixes_ips_and_networks() {
        let e = egress(&[
            "prometheus.example.com",
            "*.monitoring.svc",
            "127.0.0.1",
            "10.1.0.0/16",
        ]);
        assert!(e.check("prometheus.example.com", &[]).is_ok());
        assert!(e.check("other.example.com", &[]).is_err());
        assert!(e.check("prometheus.monitoring.svc", &[]).is_ok());
        assert!(
            e.check("monitoring.svc", &[]).is_err(),
            "the suffix needs a label before it"
        );
        assert!(e.check("127.0.0.1", &[]).is_ok());
        assert!(e.check("127.0.0.2", &[]).is_err());
        assert!(e.check("10.1.200.3", &[]).is_ok());
        assert!(e.check("10.2.0.1", &[]).is_err());
    }

    #[test]
    fn link_local_and_metadata_are_never_reachable_even_if_listed() {
        let e = egress(&["169.254.0.0/16", "0.0.0.0/0", "::/0"]);
        for ip in [
            "169.254.169.254",
            "[fd00:ec2::254]",
            "fe80::1",
            "100.100.100.200",
            "0.0.0.0",
            "::ffff:169.254.169.254",
        ] {
            assert!(matches!(e.check(ip, &[]), Err(Denied::Blocked(_))), "{ip}");
        }
        assert!(e.check("8.8.8.8", &[]).is_ok(), "0.0.0.0/0 allows the rest");
    }

    #[test]
    fn invalid_entries_are_refused_naming_them() {
        assert!(
            Egress::new(&["10.0.0.0/33".into()])
                .unwrap_err()
                .contains("10.0.0.0/33")
        );
        assert!(Egress::new(&["*.".into()]).is_err());
        assert!(Egress::new(&["http://x".into()]).is_err());
    }
}
