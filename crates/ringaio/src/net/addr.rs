//! `RawAddr`: a socket address as the kernel reads and writes it, and the conversions to and
//! from std's address types.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// A `sockaddr_storage` and its length: what `connect` reads, what `accept` and `recvmsg`
/// fill. Requests point at it, so it is kept boxed by the operation that uses it.
#[derive(Clone)]
pub(crate) struct RawAddr {
    pub(crate) storage: libc::sockaddr_storage,
    /// Bytes used; for an address to be filled in, the room (the whole storage).
    pub(crate) len: libc::socklen_t,
}

impl std::fmt::Debug for RawAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawAddr")
            .field("family", &self.storage.ss_family)
            .field("len", &self.len)
            .finish()
    }
}

fn invalid(what: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what)
}

impl RawAddr {
    /// Room for any address, to be filled in by the kernel.
    pub(crate) fn empty() -> RawAddr {
        RawAddr {
            // SAFETY: sockaddr_storage is plain integers; all zeroes is a valid value.
            storage: unsafe { zeroed() },
            len: size_of::<libc::sockaddr_storage>() as libc::socklen_t,
        }
    }

    /// The kernel's form of an IP address and port.
    pub(crate) fn from_inet(addr: SocketAddr) -> RawAddr {
        let mut raw = RawAddr::empty();
        match addr {
            SocketAddr::V4(v4) => {
                let sin = libc::sockaddr_in {
                    sin_family: libc::AF_INET as libc::sa_family_t,
                    sin_port: v4.port().to_be(),
                    sin_addr: libc::in_addr {
                        s_addr: u32::from_ne_bytes(v4.ip().octets()),
                    },
                    sin_zero: [0; 8],
                };
                // SAFETY: a sockaddr_in fits in (and is aligned for) a sockaddr_storage.
                unsafe { raw.as_mut_ptr().cast::<libc::sockaddr_in>().write(sin) };
                raw.len = size_of::<libc::sockaddr_in>() as libc::socklen_t;
            }
            SocketAddr::V6(v6) => {
                let sin6 = libc::sockaddr_in6 {
                    sin6_family: libc::AF_INET6 as libc::sa_family_t,
                    sin6_port: v6.port().to_be(),
                    sin6_flowinfo: v6.flowinfo(),
                    sin6_addr: libc::in6_addr {
                        s6_addr: v6.ip().octets(),
                    },
                    sin6_scope_id: v6.scope_id(),
                };
                // SAFETY: a sockaddr_in6 fits in (and is aligned for) a sockaddr_storage.
                unsafe { raw.as_mut_ptr().cast::<libc::sockaddr_in6>().write(sin6) };
                raw.len = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
            }
        }
        raw
    }

    /// The kernel's form of a Unix socket path.
    ///
    /// # Errors
    /// `InvalidInput` for a path too long for `sun_path` or with a NUL byte.
    pub(crate) fn from_path(path: &Path) -> io::Result<RawAddr> {
        let bytes = path.as_os_str().as_bytes();
        let mut raw = RawAddr::empty();
        // SAFETY: a sockaddr_un fits in (and is aligned for) a sockaddr_storage, and all
        // zeroes is a valid value for it.
        let un = unsafe { &mut *raw.as_mut_ptr().cast::<libc::sockaddr_un>() };
        if bytes.len() >= un.sun_path.len() {
            return Err(invalid("path must be shorter than SUN_LEN"));
        }
        if bytes.contains(&0) {
            return Err(invalid("paths must not contain interior null bytes"));
        }
        un.sun_family = libc::AF_UNIX as libc::sa_family_t;
        for (dst, src) in un.sun_path.iter_mut().zip(bytes) {
            *dst = *src as libc::c_char;
        }
        let base = std::mem::offset_of!(libc::sockaddr_un, sun_path);
        raw.len = (base + bytes.len() + 1) as libc::socklen_t;
        Ok(raw)
    }

    /// The address family (`AF_INET`, ...).
    pub(crate) fn family(&self) -> i32 {
        i32::from(self.storage.ss_family)
    }

    pub(crate) fn as_ptr(&self) -> *const libc::sockaddr {
        (&self.storage as *const libc::sockaddr_storage).cast()
    }

    pub(crate) fn as_mut_ptr(&mut self) -> *mut libc::sockaddr {
        (&mut self.storage as *mut libc::sockaddr_storage).cast()
    }

    /// The IP address and port the kernel filled in.
    ///
    /// # Errors
    /// `InvalidInput` when it is not an IPv4 or IPv6 address.
    pub(crate) fn to_inet(&self) -> io::Result<SocketAddr> {
        let len = self.len as usize;
        match self.family() {
            libc::AF_INET if len >= size_of::<libc::sockaddr_in>() => {
                // SAFETY: the family says sockaddr_in, and the length covers it.
                let sin = unsafe { &*self.as_ptr().cast::<libc::sockaddr_in>() };
                let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
                Ok(SocketAddrV4::new(ip, u16::from_be(sin.sin_port)).into())
            }
            libc::AF_INET6 if len >= size_of::<libc::sockaddr_in6>() => {
                // SAFETY: the family says sockaddr_in6, and the length covers it.
                let sin6 = unsafe { &*self.as_ptr().cast::<libc::sockaddr_in6>() };
                let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
                let port = u16::from_be(sin6.sin6_port);
                Ok(SocketAddrV6::new(ip, port, sin6.sin6_flowinfo, sin6.sin6_scope_id).into())
            }
            _ => Err(invalid("not an IP socket address")),
        }
    }

    /// The Unix socket path the kernel filled in; `None` for an unnamed (or abstract)
    /// address.
    pub(crate) fn to_path(&self) -> Option<PathBuf> {
        let base = std::mem::offset_of!(libc::sockaddr_un, sun_path);
        let len = (self.len as usize).checked_sub(base)?;
        if self.family() != libc::AF_UNIX || len == 0 {
            return None;
        }
        // SAFETY: the family says sockaddr_un, which fits in the storage.
        let un = unsafe { &*self.as_ptr().cast::<libc::sockaddr_un>() };
        let path = &un.sun_path[..len.min(un.sun_path.len())];
        if path.first() == Some(&0) {
            return None;
        }
        let bytes: Vec<u8> = path
            .iter()
            .take_while(|c| **c != 0)
            .map(|c| *c as u8)
            .collect();
        Some(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inet_round_trips() {
        for addr in ["127.0.0.1:8080", "[::1]:9", "[fe80::1%3]:443"] {
            let addr: SocketAddr = addr.parse().unwrap();
            assert_eq!(RawAddr::from_inet(addr).to_inet().unwrap(), addr);
        }
    }

    #[test]
    fn paths_round_trip_and_long_ones_are_refused() {
        let raw = RawAddr::from_path(Path::new("/tmp/sock")).unwrap();
        assert_eq!(raw.to_path().unwrap(), Path::new("/tmp/sock"));
        assert!(RawAddr::from_path(Path::new(&"x".repeat(200))).is_err());
        assert!(raw.to_inet().is_err());
    }
}
