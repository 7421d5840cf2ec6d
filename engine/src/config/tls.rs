//! TLS keys whose values have a syntax of their own: protocol lists and
//! cipher suite lists, each as its product writes them. QuickFIX C++ 1.16
//! (OpenSSL): `SSLProtocol=all -SSLv2 -SSLv3`, `SSLCipherSuite=HIGH:!aNULL`
//! (TLS 1.2 suites; TLS 1.3 suites stay as they are, as in OpenSSL).
//! QuickFIX/J (JSSE): `EnabledProtocols=TLSv1.2,TLSv1.3`,
//! `CipherSuites=TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`.
//!
//! ringfix speaks TLS 1.2 and 1.3 with the cipher suites of rustls' `ring`
//! provider ([`SUITES`]): a protocol below TLS 1.2 or a suite outside that
//! list, asked for by name, is an error, never a silently weaker setting.

use super::value::Expected;

/// A TLS protocol version ringfix can speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TlsVersion {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

/// One cipher suite rustls offers: IANA code and names, and the OpenSSL
/// attributes cipher strings select by.
struct Suite {
    code: u16,
    iana: &'static str,
    openssl: &'static str,
    /// TLS 1.3 suites are not chosen by `SSLCipherSuite` (as OpenSSL).
    tls13: bool,
    /// OpenSSL keywords that select it (key exchange, authentication,
    /// encryption, MAC).
    tags: &'static [&'static str],
}

/// The suites of rustls' `ring` provider, in its order of preference.
const SUITES: &[Suite] = &[
    Suite {
        code: 0x1302,
        iana: "TLS_AES_256_GCM_SHA384",
        openssl: "TLS_AES_256_GCM_SHA384",
        tls13: true,
        tags: &[],
    },
    Suite {
        code: 0x1301,
        iana: "TLS_AES_128_GCM_SHA256",
        openssl: "TLS_AES_128_GCM_SHA256",
        tls13: true,
        tags: &[],
    },
    Suite {
        code: 0x1303,
        iana: "TLS_CHACHA20_POLY1305_SHA256",
        openssl: "TLS_CHACHA20_POLY1305_SHA256",
        tls13: true,
        tags: &[],
    },
    Suite {
        code: 0xC02C,
        iana: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        openssl: "ECDHE-ECDSA-AES256-GCM-SHA384",
        tls13: false,
        tags: &["ECDSA", "aECDSA", "AES", "AES256", "AESGCM", "SHA384"],
    },
    Suite {
        code: 0xC02B,
        iana: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        openssl: "ECDHE-ECDSA-AES128-GCM-SHA256",
        tls13: false,
        tags: &["ECDSA", "aECDSA", "AES", "AES128", "AESGCM", "SHA256"],
    },
    Suite {
        code: 0xCCA9,
        iana: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        openssl: "ECDHE-ECDSA-CHACHA20-POLY1305",
        tls13: false,
        tags: &["ECDSA", "aECDSA", "CHACHA20", "SHA256"],
    },
    Suite {
        code: 0xC030,
        iana: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        openssl: "ECDHE-RSA-AES256-GCM-SHA384",
        tls13: false,
        tags: &["RSA", "aRSA", "AES", "AES256", "AESGCM", "SHA384"],
    },
    Suite {
        code: 0xC02F,
        iana: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        openssl: "ECDHE-RSA-AES128-GCM-SHA256",
        tls13: false,
        tags: &["RSA", "aRSA", "AES", "AES128", "AESGCM", "SHA256"],
    },
    Suite {
        code: 0xCCA8,
        iana: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        openssl: "ECDHE-RSA-CHACHA20-POLY1305",
        tls13: false,
        tags: &["RSA", "aRSA", "CHACHA20", "SHA256"],
    },
];

/// OpenSSL keywords that select every TLS 1.2 suite of [`SUITES`] (all are
/// ECDHE, AEAD and strong).
const ALL_TLS12: &[&str] = &[
    "ALL", "DEFAULT", "HIGH", "ECDHE", "EECDH", "kECDHE", "kEECDH", "ECDH", "AEAD", "TLSv1.2",
    "FIPS",
];

/// `SSLProtocol` (OpenSSL/mod_ssl syntax): words `SSLv2`, `SSLv3`,
/// `TLSv1`, `TLSv1_1`, `TLSv1_2`, `TLSv1_3`, `all`, each optionally after
/// `+` (add) or `-` (remove); a bare word replaces the set. `all` means
/// every version ringfix speaks; naming one below TLS 1.2 to enable it is
/// an error.
pub(crate) fn ssl_protocol(v: &str) -> Result<Vec<TlsVersion>, Expected> {
    const EXPECTED: Expected = "TLS versions as in 'all -TLSv1_3' or 'TLSv1_2 +TLSv1_3' \
         (ringfix speaks TLSv1_2 and TLSv1_3; older versions cannot be enabled)";
    let mut set: Vec<TlsVersion> = Vec::new();
    for word in v.split_whitespace() {
        let (action, name) = match word.as_bytes().first() {
            Some(b'+') => (Some(true), &word[1..]),
            Some(b'-') => (Some(false), &word[1..]),
            _ => (None, word),
        };
        let versions: &[TlsVersion] = match name.to_ascii_lowercase().as_str() {
            "all" => &[TlsVersion::Tls12, TlsVersion::Tls13],
            "tlsv1_2" => &[TlsVersion::Tls12],
            "tlsv1_3" => &[TlsVersion::Tls13],
            "sslv2" | "sslv3" | "tlsv1" | "tlsv1_1" if action == Some(false) => &[],
            _ => return Err(EXPECTED),
        };
        match action {
            Some(true) => set.extend(versions),
            Some(false) => set.retain(|v| !versions.contains(v)),
            None => set = versions.to_vec(),
        }
    }
    finish_versions(set, EXPECTED)
}

/// `EnabledProtocols` (JSSE names, comma-separated): `TLSv1.2`, `TLSv1.3`.
pub(crate) fn enabled_protocols(v: &str) -> Result<Vec<TlsVersion>, Expected> {
    const EXPECTED: Expected = "TLSv1.2 and/or TLSv1.3, comma-separated \
         (older protocols cannot be enabled)";
    let mut set = Vec::new();
    for name in v.split(',').map(str::trim) {
        set.push(match name {
            "TLSv1.2" => TlsVersion::Tls12,
            "TLSv1.3" => TlsVersion::Tls13,
            _ => return Err(EXPECTED),
        });
    }
    finish_versions(set, EXPECTED)
}

fn finish_versions(
    mut set: Vec<TlsVersion>,
    expected: Expected,
) -> Result<Vec<TlsVersion>, Expected> {
    set.sort_unstable();
    set.dedup();
    if set.is_empty() {
        return Err(expected);
    }
    Ok(set)
}

fn suite_named(name: &str) -> Option<&'static Suite> {
    SUITES.iter().find(|s| s.iana == name || s.openssl == name)
}

/// Whether `suite` is selected by one OpenSSL cipher-string element
/// (`a+b` needs all of its parts).
fn selects(element: &str, suite: &Suite) -> bool {
    element.split('+').all(|part| {
        suite.openssl == part
            || suite.iana == part
            || ALL_TLS12.contains(&part)
            || suite.tags.contains(&part)
    })
}

/// `SSLCipherSuite` (OpenSSL cipher list syntax): elements separated by
/// `:`, `,` or spaces; `!x` removes for good, `-x` removes, `+x` moves to
/// the end, a bare element adds; `@STRENGTH` and `@SECLEVEL=n` are
/// accepted. It chooses among the TLS 1.2 suites; rustls' TLS 1.3 suites
/// stay (as OpenSSL). An element that adds nothing rustls has (e.g.
/// `RC4-SHA`, `LOW`) is an error. Returns IANA codes, TLS 1.3 first.
pub(crate) fn ssl_cipher_suite(v: &str) -> Result<Vec<u16>, Expected> {
    const EXPECTED: Expected = "an OpenSSL cipher list choosing among the TLS 1.2 suites \
         rustls has: ECDHE-ECDSA-AES256-GCM-SHA384, ECDHE-ECDSA-AES128-GCM-SHA256, \
         ECDHE-ECDSA-CHACHA20-POLY1305, ECDHE-RSA-AES256-GCM-SHA384, \
         ECDHE-RSA-AES128-GCM-SHA256, ECDHE-RSA-CHACHA20-POLY1305 (or HIGH, ECDHE, AESGCM...)";
    let tls12: Vec<&Suite> = SUITES.iter().filter(|s| !s.tls13).collect();
    let mut chosen: Vec<u16> = Vec::new();
    let mut banned: Vec<u16> = Vec::new();
    let elements = v
        .split([':', ',', ' '])
        .map(str::trim)
        .filter(|e| !e.is_empty());
    for element in elements {
        if element.starts_with('@') {
            continue;
        }
        let (op, name) = match element.as_bytes().first() {
            Some(b'!') => ('!', &element[1..]),
            Some(b'-') => ('-', &element[1..]),
            Some(b'+') => ('+', &element[1..]),
            _ => (' ', element),
        };
        let matching: Vec<u16> = tls12
            .iter()
            .filter(|s| selects(name, s))
            .map(|s| s.code)
            .collect();
        match op {
            '!' => {
                chosen.retain(|c| !matching.contains(c));
                banned.extend(&matching);
            }
            '-' => chosen.retain(|c| !matching.contains(c)),
            '+' => {
                let moved: Vec<u16> = chosen
                    .iter()
                    .copied()
                    .filter(|c| matching.contains(c))
                    .collect();
                chosen.retain(|c| !moved.contains(c));
                chosen.extend(moved);
            }
            _ => {
                if matching.is_empty() {
                    return Err(EXPECTED);
                }
                for c in matching {
                    if !chosen.contains(&c) && !banned.contains(&c) {
                        chosen.push(c);
                    }
                }
            }
        }
    }
    if chosen.is_empty() {
        return Err(EXPECTED);
    }
    let mut out: Vec<u16> = SUITES.iter().filter(|s| s.tls13).map(|s| s.code).collect();
    out.extend(chosen);
    Ok(out)
}

/// `CipherSuites` (JSSE: IANA names, comma-separated; OpenSSL names are
/// accepted too), TLS 1.2 and 1.3 alike. A name rustls lacks is an error
/// (`TLS_EMPTY_RENEGOTIATION_INFO_SCSV`, a signalling value, is skipped).
pub(crate) fn cipher_suites(v: &str) -> Result<Vec<u16>, Expected> {
    const EXPECTED: Expected =
        "cipher suites rustls has, comma-separated: TLS_AES_256_GCM_SHA384, \
         TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256, \
         TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, \
         TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, \
         TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256";
    let mut out = Vec::new();
    for name in v.split(',').map(str::trim) {
        if name == "TLS_EMPTY_RENEGOTIATION_INFO_SCSV" {
            continue;
        }
        let s = suite_named(name).ok_or(EXPECTED)?;
        if !out.contains(&s.code) {
            out.push(s.code);
        }
    }
    if out.is_empty() {
        return Err(EXPECTED);
    }
    Ok(out)
}

/// `TLSCipherSuites` (QuickFIX C++ 1.16, OpenSSL's TLS 1.3 list syntax:
/// names separated by `:`): the TLS 1.3 suites, in order of preference. A
/// suite rustls lacks (`TLS_AES_128_CCM_SHA256`, ...) or a TLS 1.2 suite
/// is an error.
pub(crate) fn tls13_cipher_suites(v: &str) -> Result<Vec<u16>, Expected> {
    const EXPECTED: Expected = "TLS 1.3 suites rustls has, separated by ':': \
         TLS_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256";
    let mut out = Vec::new();
    for name in v.split(':').map(str::trim) {
        let s = SUITES
            .iter()
            .find(|s| s.tls13 && s.iana == name)
            .ok_or(EXPECTED)?;
        if !out.contains(&s.code) {
            out.push(s.code);
        }
    }
    Ok(out)
}

/// Every TLS 1.2 suite ringfix speaks (IANA codes, rustls' order).
pub(crate) fn tls12_suites() -> Vec<u16> {
    SUITES.iter().filter(|s| !s.tls13).map(|s| s.code).collect()
}

/// The IANA name of a suite ringfix speaks (`config check` shows them).
pub(crate) fn suite_name(code: u16) -> Option<&'static str> {
    SUITES.iter().find(|s| s.code == code).map(|s| s.iana)
}

/// Whether a suite (IANA code) can be used with `version`.
pub fn suite_speaks(code: u16, version: TlsVersion) -> bool {
    SUITES
        .iter()
        .find(|s| s.code == code)
        .is_some_and(|s| s.tls13 == (version == TlsVersion::Tls13))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssl_protocol_as_mod_ssl_writes_it() {
        use TlsVersion::*;
        assert_eq!(ssl_protocol("all -SSLv2 -SSLv3").unwrap(), [Tls12, Tls13]);
        assert_eq!(ssl_protocol("all -TLSv1_3").unwrap(), [Tls12]);
        assert_eq!(ssl_protocol("TLSv1_3").unwrap(), [Tls13]);
        assert_eq!(ssl_protocol("TLSv1_2 +TLSv1_3").unwrap(), [Tls12, Tls13]);
        assert_eq!(ssl_protocol("-TLSv1 -TLSv1_1 +tlsv1_2").unwrap(), [Tls12]);
        assert!(ssl_protocol("TLSv1").is_err(), "below TLS 1.2");
        assert!(ssl_protocol("all +SSLv3").is_err(), "below TLS 1.2");
        assert!(
            ssl_protocol("all -TLSv1_2 -TLSv1_3").is_err(),
            "nothing left"
        );
        assert!(ssl_protocol("TLSv9").is_err());
    }

    #[test]
    fn enabled_protocols_as_jsse_writes_them() {
        use TlsVersion::*;
        assert_eq!(
            enabled_protocols("TLSv1.3, TLSv1.2").unwrap(),
            [Tls12, Tls13]
        );
        assert!(enabled_protocols("TLSv1.1,TLSv1.2").is_err());
        assert!(enabled_protocols("SSLv2Hello").is_err());
    }

    #[test]
    fn openssl_cipher_lists() {
        let t13 = [0x1302, 0x1301, 0x1303];
        let all = ssl_cipher_suite("ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH").unwrap();
        assert_eq!(
            all.len(),
            9,
            "QuickFIX's usual string keeps everything rustls has"
        );
        assert_eq!(&all[..3], t13);
        let one = ssl_cipher_suite("ECDHE-RSA-AES128-GCM-SHA256").unwrap();
        assert_eq!(one[3..], [0xC02F]);
        let ecdsa_gcm = ssl_cipher_suite("ECDHE+AESGCM:!aRSA").unwrap();
        assert_eq!(ecdsa_gcm[3..], [0xC02C, 0xC02B]);
        let moved = ssl_cipher_suite("HIGH:+CHACHA20:!RSA").unwrap();
        assert_eq!(moved[3..], [0xC02C, 0xC02B, 0xCCA9]);
        assert!(ssl_cipher_suite("DES-CBC3-SHA").is_err(), "rustls lacks it");
        assert!(ssl_cipher_suite("RC4+RSA").is_err());
        assert!(ssl_cipher_suite("HIGH:RC4-SHA").is_err());
        assert!(ssl_cipher_suite("!ALL").is_err(), "nothing chosen");
    }

    #[test]
    fn jsse_cipher_lists() {
        assert_eq!(
            cipher_suites("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, TLS_AES_128_GCM_SHA256")
                .unwrap(),
            [0xCCA9, 0x1301]
        );
        assert!(cipher_suites("TLS_RSA_WITH_AES_128_CBC_SHA").is_err());
        assert!(suite_speaks(0x1301, TlsVersion::Tls13));
        assert_eq!(
            tls13_cipher_suites("TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256").unwrap(),
            [0x1303, 0x1301]
        );
        assert!(
            tls13_cipher_suites("TLS_AES_128_CCM_SHA256").is_err(),
            "rustls lacks it"
        );
        assert!(tls13_cipher_suites("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256").is_err());
        assert!(tls13_cipher_suites("").is_err());
        assert!(!suite_speaks(0x1301, TlsVersion::Tls12));
    }
}
