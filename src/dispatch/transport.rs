//! What a sender needs of a server, as two small traits (after lettre's `AsyncTransport`):
//! `Transport` opens sessions, a `Session` carries one letter at a time in two halves. `Relay`
//! and `Connection` are the SMTP implementation; the workers in `send` are generic over them,
//! so they hold no SMTP of their own, and another transport (a scripted one in tests) can stand
//! in without a server.
//!
//! The contract the implementations keep: every step has a deadline; a `Failure` says where and
//! what happened; `begin` ends at the server's go-ahead for the message, so that the caller can
//! record that it is about to go before `finish` sends a byte of it.

use std::future::Future;

use lettre::Address;

use super::failure::Failure;
use super::{Connection, Relay};
use crate::message::Letter;
use crate::smtp::Reply;

/// Where sessions come from.
pub trait Transport: Send + Sync {
    type Session: Session;

    /// A session ready for letters (connected, greeted, encrypted, authenticated), or why not:
    /// any failure here concerns the transport, not a recipient.
    fn connect(&self) -> impl Future<Output = Result<Self::Session, Failure>> + Send;

    /// How the operator knows it (`host:port (security)`).
    fn describe(&self) -> String;
}

/// One open session, carrying one letter at a time.
pub trait Session: Send + Sized + 'static {
    /// Whether the server offers delivery status notifications.
    fn offers_dsn(&self) -> bool;

    /// Up to the server's go-ahead for the message of `size` bytes: the envelope, every address
    /// accepted.
    fn begin(
        &mut self,
        from: &Address,
        to: &[Address],
        envelope_id: Option<&str>,
        size: usize,
    ) -> impl Future<Output = Result<(), Failure>> + Send;

    /// The message, and the server's verdict on it.
    fn finish(&mut self, letter: &Letter) -> impl Future<Output = Result<Reply, Failure>> + Send;

    /// After a clean negative reply: the session again, if the server confirmed its reset.
    fn reset(self) -> impl Future<Output = Option<Self>> + Send;

    /// Ends the session politely, within the deadline.
    fn close(self) -> impl Future<Output = ()> + Send;
}

impl Transport for Relay {
    type Session = Connection;

    fn connect(&self) -> impl Future<Output = Result<Connection, Failure>> + Send {
        Relay::connect(self)
    }

    fn describe(&self) -> String {
        Relay::describe(self)
    }
}

impl Session for Connection {
    fn offers_dsn(&self) -> bool {
        Connection::offers_dsn(self)
    }

    fn begin(
        &mut self,
        from: &Address,
        to: &[Address],
        envelope_id: Option<&str>,
        size: usize,
    ) -> impl Future<Output = Result<(), Failure>> + Send {
        Connection::begin(self, from, to, envelope_id, size)
    }

    fn finish(&mut self, letter: &Letter) -> impl Future<Output = Result<Reply, Failure>> + Send {
        Connection::finish(self, letter)
    }

    fn reset(self) -> impl Future<Output = Option<Connection>> + Send {
        Connection::reset(self)
    }

    fn close(self) -> impl Future<Output = ()> + Send {
        Connection::close(self)
    }
}
