//! Loopback ports a test owns for as long as it needs them, so that no other process (or other
//! test) can take one between the moment the test learns its number and the moment it is used.
//!
//! Picking a port by binding a listener to port 0 and dropping it is racy: the port is free again
//! at once. Here the test keeps a TCP socket *bound* to the port, but not listening:
//! - [`refused`]: nothing listens there, so a connection is refused (the kernel answers the SYN
//!   with a reset), and no one else can bind the port while the socket lives (no SO_REUSEADDR).
//! - [`reserved`]: the same, with SO_REUSEADDR, so that a server we start ourselves and that
//!   binds with SO_REUSEADDR too (Postfix does) may bind and listen there, while a bind to
//!   port 0 elsewhere never picks it and a bind without SO_REUSEADDR is refused.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};

use socket2::{Domain, Protocol, Socket, Type};

/// A loopback port held by a bound, never listening TCP socket; free again when dropped.
pub struct HeldPort {
    pub port: u16,
    _socket: Socket,
}

fn hold(reuse_address: bool) -> HeldPort {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).unwrap();
    socket.set_reuse_address(reuse_address).unwrap();
    let any = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0));
    socket.bind(&any.into()).unwrap();
    let port = socket
        .local_addr()
        .unwrap()
        .as_socket()
        .expect("an IPv4 address")
        .port();
    HeldPort {
        port,
        _socket: socket,
    }
}

/// A port where nothing listens, and nothing can start listening while this lives: a relay that
/// is down. Checks that a connection there is refused before handing it out.
pub fn refused() -> HeldPort {
    let held = hold(false);
    let err = TcpStream::connect((Ipv4Addr::LOCALHOST, held.port))
        .expect_err("nothing listens on a bound, non-listening socket");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused, "{err}");
    held
}

/// A port reserved for a server the test starts itself, which must bind with SO_REUSEADDR.
pub fn reserved() -> HeldPort {
    hold(true)
}
